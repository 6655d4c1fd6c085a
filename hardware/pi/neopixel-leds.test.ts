import t from 'tap';
import { ledsContract } from '../testing/leds-contract.js';
import { FakePixelStrip } from './testing/fake-pixel-strip.js';
import { FakeTimers } from './testing/fake-timers.js';
import { breath, NeopixelLeds, pack } from './neopixel-leds.js';
import { openWs281xStrip } from './ws281x-strip.js';

ledsContract(t, 'NeopixelLeds on a fake strip', () => {
  const strip = new FakePixelStrip();
  const timers = new FakeTimers();
  // Five seconds of animation first: a pattern whose timer was left running draws over the last one.
  const shown = () => {
    timers.advance(5000);
    return strip.last;
  };
  return { leds: new NeopixelLeds({ strip, count: 12, timers }), shown };
});
// With real timers too: the animation must stop on close (or the test would hang).
ledsContract(t, 'NeopixelLeds on real timers', () => {
  const strip = new FakePixelStrip();
  return { leds: new NeopixelLeds({ strip, count: 12 }), shown: () => strip.last };
});

function setup(count = 4) {
  const strip = new FakePixelStrip();
  const timers = new FakeTimers();
  const leds = new NeopixelLeds({ strip, count, timers });
  return { strip, timers, leds };
}

t.test('starts dark; solid and off render once and set no timer', async (t) => {
  const { strip, timers, leds } = setup();
  t.teardown(() => leds.close());
  t.same(strip.last, [0, 0, 0, 0]);
  leds.show({ name: 'idle', color: [255, 0, 128], animation: 'solid' });
  t.same(strip.last, [0xff0080, 0xff0080, 0xff0080, 0xff0080]);
  t.equal(timers.size, 0);
  leds.show({ name: 'dark', color: [255, 0, 128], animation: 'off' });
  t.same(strip.last, [0, 0, 0, 0]);
  t.equal(timers.size, 0);
});

t.test('blink alternates the colour and dark every 400 ms', async (t) => {
  const { strip, timers, leds } = setup(2);
  t.teardown(() => leds.close());
  leds.show({ name: 'b', color: [0, 255, 0], animation: 'blink' });
  t.same(strip.last, [0x00ff00, 0x00ff00]);
  timers.advance(399);
  t.same(strip.last, [0x00ff00, 0x00ff00]);
  timers.advance(1);
  t.same(strip.last, [0, 0]);
  timers.advance(400);
  t.same(strip.last, [0x00ff00, 0x00ff00]);
});

t.test('spin moves a head with a fading tail round the ring', async (t) => {
  const { strip, timers, leds } = setup(4);
  t.teardown(() => leds.close());
  const blue = [0, 0, 200] as const;
  leds.show({ name: 's', color: blue, animation: 'spin' });
  t.same(strip.last, [pack(blue, 1), 0, pack(blue, 0.1), pack(blue, 0.3)]);
  timers.advance(80);
  t.same(strip.last, [pack(blue, 0.3), pack(blue, 1), 0, pack(blue, 0.1)]);
  timers.advance(80 * 4);
  t.same(strip.last, [pack(blue, 0.3), pack(blue, 1), 0, pack(blue, 0.1)], 'round again after 4 steps');
});

t.test('pulse breathes between full and the floor over 2 s', async (t) => {
  const { strip, timers, leds } = setup(1);
  t.teardown(() => leds.close());
  leds.show({ name: 'p', color: [200, 100, 0], animation: 'pulse' });
  t.same(strip.last, [pack([200, 100, 0], 1)]);
  timers.advance(1000);
  t.same(strip.last, [pack([200, 100, 0], 0.1)], 'dimmest half way');
  timers.advance(1000);
  t.same(strip.last, [pack([200, 100, 0], 1)], 'full again after a breath');
  t.equal(strip.frames.length, 1 + 1 + 40, 'one frame every 50 ms');
  t.equal(breath(0.25).toFixed(2), '0.55');
});

t.test('a new pattern replaces the running animation', async (t) => {
  const { strip, timers, leds } = setup(1);
  t.teardown(() => leds.close());
  leds.show({ name: 'b', color: [255, 0, 0], animation: 'blink' });
  leds.show({ name: 's', color: [0, 0, 255], animation: 'solid' });
  t.equal(timers.size, 0);
  const frames = strip.frames.length;
  timers.advance(5000);
  t.equal(strip.frames.length, frames, 'no more frames');
  t.same(strip.last, [0x0000ff]);
});

t.test('close stops the animation, turns the pixels off and resets the strip', async (t) => {
  const { strip, timers, leds } = setup(3);
  leds.show({ name: 'p', color: [255, 255, 255], animation: 'pulse' });
  await leds.close();
  await leds.close();
  t.equal(timers.size, 0);
  t.same(strip.last, [0, 0, 0]);
  t.equal(strip.resets, 1);
  leds.show({ name: 'late', color: [255, 255, 255], animation: 'solid' });
  t.same(strip.last, [0, 0, 0]);
});

t.test('a bad count is refused', async (t) => {
  t.throws(() => new NeopixelLeds({ strip: new FakePixelStrip(), count: 0 }), RangeError);
});

t.test('the real rpi-ws281x off a Raspberry Pi is driver_unavailable', async (t) => {
  const listeners = process.listeners('SIGINT').length;
  t.throws(() => openWs281xStrip({ count: 8 }), { code: 'driver_unavailable' });
  t.equal(process.listeners('SIGINT').length, listeners, 'its exit-on-signal handlers were removed');
});

t.test('rpi-ws281x through a stand-in: configured, rendered, reset once', async (t) => {
  const calls: unknown[] = [];
  const strip = openWs281xStrip({
    count: 2,
    gpio: 10,
    load: () => ({ configure: (o) => calls.push(o), render: (p) => calls.push(Array.from(p)), reset: () => calls.push('reset') }),
  });
  strip.render(Uint32Array.of(1, 2));
  strip.reset();
  strip.reset();
  strip.render(Uint32Array.of(3, 4));
  t.same(calls, [{ leds: 2, gpio: 10, brightness: 255, stripType: 'grb' }, [1, 2], 'reset']);
  t.throws(() => openWs281xStrip({ count: 1, load: () => { throw new Error('Cannot find module'); } }), { code: 'driver_unavailable', message: /rpi-ws281x/ });
  t.throws(
    () => openWs281xStrip({ count: 1, load: () => ({ configure: () => { throw new Error('ws2811_init() failed: Hardware revision is not supported'); }, render: () => undefined, reset: () => undefined }) }),
    { code: 'driver_unavailable', message: /not a supported Raspberry Pi/ },
  );
});
