import t from 'tap';
import type { ButtonEvent } from '../button.js';
import { buttonContract } from '../testing/button-contract.js';
import { FakeGpioInput } from './testing/fake-gpio.js';
import { FakeTimers } from './testing/fake-timers.js';
import { GpioButton } from './gpio-button.js';

const PRESSED = 0;
const RELEASED = 1;

function setup(options: { debounceMs?: number; longPressMs?: number; activeLow?: boolean; level?: number } = {}) {
  const timers = new FakeTimers();
  const line = new FakeGpioInput(options.level ?? RELEASED);
  const button = new GpioButton(line, { ...options, timers });
  const heard: ButtonEvent[] = [];
  button.subscribe((e) => heard.push(e));
  return { timers, line, button, heard };
}

buttonContract(t, 'GpioButton over a bouncing fake line', () => {
  const timers = new FakeTimers();
  const line = new FakeGpioInput(RELEASED);
  const button = new GpioButton(line, { timers });
  const actions: Record<ButtonEvent, () => void> = {
    press: () => {
      line.bounceTo(PRESSED);
      timers.advance(button.debounceMs);
    },
    // Holding on: the driver itself fires the long press.
    longPress: () => timers.advance(button.longPressMs),
    release: () => {
      line.bounceTo(RELEASED);
      timers.advance(button.debounceMs);
    },
  };
  return { button, trigger: (event) => actions[event]() };
});

t.test('bounces within the debounce time make one press and one release', async (t) => {
  const { timers, line, button, heard } = setup();
  t.teardown(() => button.close());
  line.bounceTo(PRESSED, 5);
  timers.advance(29);
  t.same(heard, [], 'nothing before the level has held 30 ms');
  timers.advance(1);
  t.same(heard, ['press']);
  t.equal(button.isPressed, true);
  line.bounceTo(RELEASED, 5);
  timers.advance(30);
  t.same(heard, ['press', 'release']);
});

t.test('each bounce restarts the debounce time', async (t) => {
  const { timers, line, button, heard } = setup();
  t.teardown(() => button.close());
  line.set(PRESSED);
  timers.advance(20);
  line.set(RELEASED);
  timers.advance(5);
  line.set(PRESSED);
  timers.advance(29);
  t.same(heard, [], 'the last edge was only 29 ms ago');
  timers.advance(1);
  t.same(heard, ['press']);
});

t.test('a glitch shorter than the debounce time is ignored', async (t) => {
  const { timers, line, button, heard } = setup();
  t.teardown(() => button.close());
  line.set(PRESSED);
  timers.advance(10);
  line.set(RELEASED);
  timers.advance(100);
  t.same(heard, []);
  t.equal(timers.size, 0, 'no timer left behind');
});

t.test('a long press fires once while held, then the release', async (t) => {
  const { timers, line, button, heard } = setup();
  t.teardown(() => button.close());
  line.bounceTo(PRESSED);
  timers.advance(30);
  timers.advance(1499);
  t.same(heard, ['press'], 'not before 1.5 s');
  timers.advance(1);
  t.same(heard, ['press', 'longPress']);
  timers.advance(10_000);
  t.same(heard, ['press', 'longPress'], 'only once however long it is held');
  line.bounceTo(RELEASED);
  timers.advance(30);
  t.same(heard, ['press', 'longPress', 'release']);
});

t.test('a short press has no long press, and the next press times its own', async (t) => {
  const { timers, line, button, heard } = setup({ longPressMs: 500, debounceMs: 10 });
  t.teardown(() => button.close());
  line.set(PRESSED);
  timers.advance(10);
  timers.advance(400);
  line.set(RELEASED);
  timers.advance(10);
  timers.advance(1000);
  t.same(heard, ['press', 'release']);
  line.set(PRESSED);
  timers.advance(10 + 499);
  t.same(heard, ['press', 'release', 'press']);
  timers.advance(1);
  t.same(heard, ['press', 'release', 'press', 'longPress']);
});

t.test('active-high wiring', async (t) => {
  const { timers, line, button, heard } = setup({ activeLow: false, level: 0 });
  t.teardown(() => button.close());
  line.set(1);
  timers.advance(30);
  line.set(0);
  timers.advance(30);
  t.same(heard, ['press', 'release']);
});

t.test('a button held at start-up is ignored until released', async (t) => {
  const { timers, line, button, heard } = setup({ level: PRESSED });
  t.teardown(() => button.close());
  t.equal(button.isPressed, false);
  timers.advance(5000);
  line.set(RELEASED);
  timers.advance(30);
  t.same(heard, [], 'no release for a press nobody heard');
  line.set(PRESSED);
  timers.advance(30);
  t.same(heard, ['press']);
});

t.test('a debounce of 0 reports every edge at once', async (t) => {
  const { line, button, heard } = setup({ debounceMs: 0 });
  t.teardown(() => button.close());
  line.set(PRESSED);
  line.set(RELEASED);
  t.same(heard, ['press', 'release']);
});

t.test('close releases the line and cancels pending timers', async (t) => {
  const { timers, line, button, heard } = setup();
  line.set(PRESSED);
  timers.advance(30);
  await button.close();
  t.equal(line.closed, true);
  t.equal(timers.size, 0, 'the long-press timer is gone');
  timers.advance(5000);
  t.same(heard, ['press']);
});

t.test('bad timings are refused', async (t) => {
  t.throws(() => new GpioButton(new FakeGpioInput(), { debounceMs: -1 }), RangeError);
  t.throws(() => new GpioButton(new FakeGpioInput(), { longPressMs: 0 }), RangeError);
});
