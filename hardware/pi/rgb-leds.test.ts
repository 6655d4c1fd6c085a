import t from 'tap';
import { ledsContract } from '../testing/leds-contract.js';
import { FakeGpioOutput } from './testing/fake-gpio.js';
import { FakeTimers } from './testing/fake-timers.js';
import { channels, RgbLeds } from './rgb-leds.js';

function setup(options: { activeLow?: boolean } = {}) {
  const red = new FakeGpioOutput();
  const green = new FakeGpioOutput();
  const blue = new FakeGpioOutput();
  const timers = new FakeTimers();
  const leds = new RgbLeds({ red, green, blue, timers, ...options });
  const levels = () => [red.value, green.value, blue.value];
  return { red, green, blue, timers, leds, levels };
}

ledsContract(t, 'RgbLeds on fake lines', () => {
  const { timers, leds, levels } = setup();
  // Five seconds of animation first: a pattern whose timer was left running toggles the lines.
  const shown = () => {
    timers.advance(5000);
    return levels();
  };
  return { leds, shown };
});
ledsContract(t, 'RgbLeds on real timers', () => {
  const [red, green, blue] = [new FakeGpioOutput(), new FakeGpioOutput(), new FakeGpioOutput()];
  return { leds: new RgbLeds({ red, green, blue }), shown: () => [red.value, green.value, blue.value] };
});

t.test('colours reduce to the channels at least half as bright as the brightest', async (t) => {
  t.same(channels([0, 0, 0]), [false, false, false]);
  t.same(channels([255, 255, 255]), [true, true, true]);
  t.same(channels([255, 0, 128]), [true, false, true]);
  t.same(channels([255, 140, 0]), [true, true, false], 'orange');
  t.same(channels([0, 0, 40]), [false, false, true], 'a dim blue is still blue');
  t.same(channels([300, -5, 100]), [true, false, false], 'out-of-range values are clamped');
});

t.test('starts off; solid sets the lines once, without a timer', async (t) => {
  const { red, timers, leds, levels } = setup();
  t.teardown(() => leds.close());
  t.same(levels(), [0, 0, 0]);
  leds.show({ name: 'x', color: [255, 0, 255], animation: 'solid' });
  t.same(levels(), [1, 0, 1]);
  leds.show({ name: 'x', color: [255, 0, 255], animation: 'solid' });
  t.same(red.writes, [0, 1], 'an unchanged level is not written again');
  t.equal(timers.size, 0);
  leds.show({ name: 'off', color: [255, 0, 255], animation: 'off' });
  t.same(levels(), [0, 0, 0]);
});

t.test('blink and spin toggle every 400 ms, pulse every 1000 ms', async (t) => {
  for (const [animation, half] of [['blink', 400], ['spin', 400], ['pulse', 1000]] as const) {
    const { timers, leds, levels } = setup();
    leds.show({ name: animation, color: [0, 255, 0], animation });
    t.same(levels(), [0, 1, 0], `${animation} starts lit`);
    timers.advance(half - 1);
    t.same(levels(), [0, 1, 0]);
    timers.advance(1);
    t.same(levels(), [0, 0, 0], `${animation} dark after ${half} ms`);
    timers.advance(half);
    t.same(levels(), [0, 1, 0], `${animation} lit again`);
    await leds.close();
  }
});

t.test('common-anode wiring inverts the levels', async (t) => {
  const { leds, levels } = setup({ activeLow: true });
  t.same(levels(), [1, 1, 1], 'off is high');
  leds.show({ name: 'r', color: [255, 0, 0], animation: 'solid' });
  t.same(levels(), [0, 1, 1]);
  await leds.close();
  t.same(levels(), [1, 1, 1]);
});

t.test('close stops the animation, turns the LED off and closes the lines', async (t) => {
  const { red, green, blue, timers, leds, levels } = setup();
  leds.show({ name: 'b', color: [255, 255, 255], animation: 'blink' });
  await leds.close();
  t.equal(timers.size, 0);
  t.same(levels(), [0, 0, 0]);
  t.ok(red.closed && green.closed && blue.closed);
  await leds.close();
  leds.show({ name: 'late', color: [255, 255, 255], animation: 'solid' });
  t.same(levels(), [0, 0, 0]);
});
