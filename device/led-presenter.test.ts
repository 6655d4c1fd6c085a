import t from 'tap';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { STATES } from './device-state-machine.js';
import { STATE_PATTERNS, UPDATING_PATTERN, presentState } from './led-presenter.js';

const all = [...STATES.map((state) => STATE_PATTERNS[state]), UPDATING_PATTERN];

t.test('every state and the update have a pattern of their own, even on a single RGB LED', async (t) => {
  // One LED cannot spin: it blinks instead, so spin and blink count as the same movement.
  const looks = all.map((p) => `${p.color.join(',')}/${p.animation === 'spin' ? 'blink' : p.animation}`);
  t.equal(new Set(looks).size, looks.length, looks.join('  '));
  t.same(all.map((p) => p.name), [...STATES, 'updating'], 'named for what they show');
});

t.test('no pattern is dark: a toy that looks switched off looks broken', async (t) => {
  for (const pattern of all) {
    t.not(pattern.animation, 'off', pattern.name);
    t.ok(Math.max(...pattern.color) >= 100, `${pattern.name} is visible`);
  }
});

t.test('presentState shows the state\'s pattern', async (t) => {
  const leds = new RecordingLeds();
  presentState(leds, 'locked');
  presentState(leds, 'idle');
  t.same(leds.names, ['locked', 'idle']);
});
