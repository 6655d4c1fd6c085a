import t from 'tap';
import { ledsContract } from '../testing/leds-contract.js';
import type { LedPattern } from '../leds.js';
import { RecordingLeds } from './recording-leds.js';

ledsContract(t, 'RecordingLeds', () => {
  const leds = new RecordingLeds();
  return { leds, shown: () => leds.current };
});

const pattern = (name: string): LedPattern => ({ name, color: [0, 255, 0], animation: 'solid' });

t.test('keeps what was shown, in order', async (t) => {
  const leds = new RecordingLeds();
  leds.show(pattern('idle'));
  leds.show(pattern('listening'));
  t.same(leds.names, ['idle', 'listening']);
  t.equal(leds.current?.name, 'listening');
  t.same(leds.patterns[0], pattern('idle'));
  leds.clear();
  t.same(leds.names, []);
  t.equal(leds.current, undefined);
});

t.test('keeps only the last 100', async (t) => {
  const leds = new RecordingLeds();
  for (let i = 0; i < 250; i++) leds.show(pattern(`p${i}`));
  t.equal(leds.patterns.length, 100);
  t.equal(leds.names[0], 'p150');
  t.equal(leds.current?.name, 'p249');
});

t.test('waitFor resolves on a later pattern, or at once for the current one', async (t) => {
  const leds = new RecordingLeds();
  const waiting = leds.waitFor('speaking');
  leds.show(pattern('thinking'));
  setImmediate(() => leds.show(pattern('speaking')));
  t.equal((await waiting).name, 'speaking');
  t.equal((await leds.waitFor('speaking')).name, 'speaking', 'already showing');
  const byColour = leds.waitFor((p) => p.animation === 'blink');
  leds.show({ name: 'error', color: [255, 0, 0], animation: 'blink' });
  t.equal((await byColour).name, 'error');
});

t.test('waitFor gives up after its bound and says what was shown', async (t) => {
  const leds = new RecordingLeds();
  leds.show(pattern('idle'));
  await t.rejects(leds.waitFor('never', 30), /no LED pattern "never" within 30 ms \(shown: idle\)/);
});

t.test('patterns shown after close are not recorded', async (t) => {
  const leds = new RecordingLeds();
  await leds.close();
  leds.show(pattern('late'));
  t.same(leds.names, []);
});
