import { EventEmitter } from 'node:events';
import t from 'tap';
import type { ButtonEvent } from '../button.js';
import { buttonContract } from '../testing/button-contract.js';
import { KeyboardButton } from './keyboard-button.js';
import type { KeyInput, KeyTimers } from './keyboard-button.js';

/** Timers that fire only when the test moves time on. */
class ManualTimers implements KeyTimers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }

  get count(): number {
    return this.pending.size;
  }
}

/** Stands in for a TTY stdin. */
class FakeInput extends EventEmitter implements KeyInput {
  isTTY: boolean;
  isRaw = false;
  paused = true;
  rawModeCalls: boolean[] = [];

  constructor(tty = true) {
    super();
    this.isTTY = tty;
  }

  setRawMode(mode: boolean): this {
    this.rawModeCalls.push(mode);
    this.isRaw = mode;
    return this;
  }

  resume(): this {
    this.paused = false;
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  type(text: string): void {
    this.emit('data', Buffer.from(text, 'latin1'));
  }
}

function setup(options: { longPressMs?: number; tty?: boolean } = {}) {
  const input = new FakeInput(options.tty ?? true);
  const timers = new ManualTimers();
  let interrupts = 0;
  const button = new KeyboardButton({ input, timers, longPressMs: options.longPressMs, onInterrupt: () => interrupts++ });
  const heard: Array<[ButtonEvent, number]> = [];
  button.subscribe((e) => heard.push([e, timers.now]));
  return { input, timers, button, heard, interrupts: () => interrupts };
}

buttonContract(t, 'KeyboardButton', () => {
  const input = new FakeInput();
  const timers = new ManualTimers();
  const button = new KeyboardButton({ input, timers, longPressMs: 1500, onInterrupt: () => undefined });
  const trigger = (event: ButtonEvent): void => {
    if (event === 'press') {
      // A tap: no auto-repeat follows, so the button stays down.
      input.type(' ');
      timers.advance(701);
    } else if (event === 'longPress') {
      timers.advance(1500);
    } else {
      input.type(' ');
    }
  };
  return { button, trigger };
});

t.test('holding space (auto-repeat) presses, and releases when the repeats stop', async (t) => {
  const { input, timers, button, heard } = setup();
  t.teardown(() => button.close());
  input.type(' ');
  t.same(heard, [['press', 0]], 'the first space presses at once');
  timers.advance(500); // a typical auto-repeat delay
  for (let i = 0; i < 40; i++) {
    input.type(' ');
    timers.advance(33);
  }
  t.same(heard.map(([e]) => e), ['press'], 'no release while repeats keep coming');
  const lastRepeat = timers.now - 33;
  timers.advance(300);
  t.same(heard.map(([e]) => e), ['press', 'release']);
  t.equal(heard[1]?.[1], lastRepeat + 200, 'released 200 ms after the last repeat');
  t.equal(timers.count, 0, 'no timer left behind');
});

t.test('a tap latches the button until the next space', async (t) => {
  const { input, timers, button, heard } = setup();
  t.teardown(() => button.close());
  input.type(' ');
  timers.advance(5000);
  t.same(heard.map(([e]) => e), ['press'], 'still down long after the tap');
  input.type(' ');
  t.same(heard.map(([e]) => e), ['press', 'release']);
  input.type(' ');
  t.same(heard.map(([e]) => e), ['press', 'release', 'press'], 'and the next space presses again');
});

t.test('repeats that arrive in one chunk count as a hold', async (t) => {
  const { input, timers, button, heard } = setup();
  t.teardown(() => button.close());
  input.type('    ');
  timers.advance(199);
  t.same(heard.map(([e]) => e), ['press']);
  timers.advance(1);
  t.same(heard.map(([e]) => e), ['press', 'release']);
});

t.test('other keys do nothing; Ctrl-C interrupts', async (t) => {
  const { input, button, heard, interrupts } = setup();
  t.teardown(() => button.close());
  input.type('abc\r\n');
  t.same(heard, []);
  input.type('\x03');
  t.equal(interrupts(), 1);
});

t.test('string chunks work as well as buffers', async (t) => {
  const { input, button, heard } = setup();
  t.teardown(() => button.close());
  input.emit('data', ' ');
  t.same(heard.map(([e]) => e), ['press']);
});

t.test('raw mode is switched on for a TTY and restored on close', async (t) => {
  const { input, button } = setup();
  t.same(input.rawModeCalls, [true]);
  t.equal(input.paused, false, 'reading');
  await button.close();
  t.same(input.rawModeCalls, [true, false]);
  t.equal(input.paused, true, 'no longer keeps the process alive');
  t.equal(input.listenerCount('data'), 0);
});

t.test('a piped stdin is read without raw mode', async (t) => {
  const { input, button, heard } = setup({ tty: false });
  t.teardown(() => button.close());
  t.same(input.rawModeCalls, []);
  input.type(' ');
  t.same(heard.map(([e]) => e), ['press']);
});

t.test('closing while held releases and leaves no timers', async (t) => {
  const { input, timers, button, heard } = setup({ longPressMs: 2000 });
  input.type(' ');
  await button.close();
  t.same(heard.map(([e]) => e), ['press', 'release']);
  t.equal(timers.count, 0);
});

t.test('longPress fires once while down, only when asked for', async (t) => {
  const withLong = setup({ longPressMs: 1500 });
  t.teardown(() => withLong.button.close());
  withLong.input.type(' ');
  withLong.timers.advance(4000);
  withLong.input.type(' ');
  t.same(withLong.heard, [['press', 0], ['longPress', 1500], ['release', 4000]]);

  const quickRelease = setup({ longPressMs: 1500 });
  t.teardown(() => quickRelease.button.close());
  quickRelease.input.type(' ');
  quickRelease.timers.advance(800);
  quickRelease.input.type(' ');
  quickRelease.timers.advance(5000);
  t.same(quickRelease.heard.map(([e]) => e), ['press', 'release'], 'no longPress after a short press');

  const without = setup();
  t.teardown(() => without.button.close());
  without.input.type(' ');
  without.timers.advance(60_000);
  t.same(without.heard.map(([e]) => e), ['press']);
});
