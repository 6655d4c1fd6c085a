import { existsSync } from 'node:fs';
import t from 'tap';
import { FakeTimers } from './testing/fake-timers.js';
import { openLibgpiodInput, openLibgpiodOutput } from './libgpiod-line.js';

/** A stand-in for node-libgpiod's Chip and Line, recording what the driver asks of it. */
function fakeLibgpiod() {
  const calls: string[] = [];
  let level = 1;
  class Line {
    static RequestFlags = { BIAS_PULL_UP: 32, BIAS_PULL_DOWN: 16 };
    constructor(_chip: unknown, offset: number) {
      calls.push(`line ${offset}`);
    }
    getValue(): number {
      return level;
    }
    setValue(value: number): void {
      calls.push(`set ${value}`);
    }
    requestInputModeFlags(consumer: string, flags: number): void {
      calls.push(`input ${consumer} ${flags}`);
    }
    requestOutputMode(consumer: string, value: number): void {
      calls.push(`output ${consumer} ${value}`);
    }
    release(): void {
      calls.push('release');
    }
  }
  class Chip {
    constructor(n: number | string) {
      calls.push(`chip ${n}`);
    }
  }
  return { calls, lib: { Chip, Line }, setLevel: (v: number) => (level = v) };
}

t.test('off a Raspberry Pi it fails naming the missing chip device', { skip: existsSync('/dev/gpiochip0') ? 'this machine has /dev/gpiochip0' : false }, async (t) => {
  t.throws(() => openLibgpiodInput({ chip: 0, line: 17 }), { code: 'driver_unavailable', message: /\/dev\/gpiochip0 does not exist/ });
  t.throws(() => openLibgpiodOutput({ chip: 0, line: 17 }), { code: 'driver_unavailable', message: /gpiochip0/ });
});

t.test('without the npm package it fails naming the package and the Debian packages', async (t) => {
  const devDir = t.testdir({ gpiochip0: '' });
  const load = () => {
    throw new Error("Cannot find module 'node-libgpiod'");
  };
  t.throws(() => openLibgpiodInput({ chip: 0, line: 17, devDir, load }), { code: 'driver_unavailable', message: /node-libgpiod.*libgpiod-dev and gpiod/ });
});

t.test('an input is requested with a pull-up and polled for edges', async (t) => {
  const devDir = t.testdir({ gpiochip0: '' });
  const fake = fakeLibgpiod();
  const timers = new FakeTimers();
  const input = openLibgpiodInput({ chip: 0, line: 17, devDir, load: () => fake.lib, timers, pollMs: 5 });
  t.same(fake.calls, ['chip 0', 'line 17', 'input pommai 32']);
  const seen: number[] = [];
  input.watch((v) => seen.push(v));
  timers.advance(20);
  t.same(seen, [], 'no edge while the level stays');
  fake.setLevel(0);
  timers.advance(5);
  fake.setLevel(1);
  timers.advance(5);
  t.same(seen, [0, 1]);
  t.equal(input.read(), 1);
  input.close();
  input.close();
  t.equal(timers.size, 0, 'polling stopped');
  t.equal(fake.calls.filter((c) => c === 'release').length, 1, 'released once');
});

t.test('bias choices', async (t) => {
  const devDir = t.testdir({ gpiochip0: '' });
  const fake = fakeLibgpiod();
  openLibgpiodInput({ chip: 0, line: 5, devDir, load: () => fake.lib, bias: 'pull-down' }).close();
  openLibgpiodInput({ chip: 0, line: 6, devDir, load: () => fake.lib, bias: 'as-is' }).close();
  t.ok(fake.calls.includes('input pommai 16'));
  t.ok(fake.calls.includes('input pommai 0'));
});

t.test('an output starts low, writes levels and ends low', async (t) => {
  const devDir = t.testdir({ gpiochip0: '' });
  const fake = fakeLibgpiod();
  const output = openLibgpiodOutput({ chip: 0, line: 22, devDir, load: () => fake.lib });
  output.write(1);
  output.write(0);
  output.close();
  output.write(1);
  t.same(fake.calls, ['chip 0', 'line 22', 'output pommai 0', 'set 1', 'set 0', 'set 0', 'release']);
});

t.test('a busy line is a retryable gpio_unavailable', async (t) => {
  const devDir = t.testdir({ gpiochip0: '' });
  const fake = fakeLibgpiod();
  fake.lib.Line.prototype.requestOutputMode = () => {
    throw Object.assign(new Error('Device or resource busy'), { code: 'EBUSY' });
  };
  t.throws(() => openLibgpiodOutput({ chip: 0, line: 22, devDir, load: () => fake.lib }), { code: 'gpio_unavailable', retryable: true, message: /line 22 of gpiochip0/ });
});
