import t from 'tap';
import { LevelNormalizer } from './level-normalizer.js';

const sine = (amplitude: number, n = 320) => Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin(i / 3)));
const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / pcm.length);
const peak = (pcm: Int16Array) => pcm.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

t.test('a quiet voice is brought up towards the target, gradually', async (t) => {
  const n = new LevelNormalizer();
  const levels: number[] = [];
  for (let i = 0; i < 40; i++) levels.push(rms(n.process(sine(1000))));
  t.ok(levels[0]! < 707 * 1.9, 'the first chunk is barely changed');
  t.ok(levels.at(-1)! > 2400 && levels.at(-1)! < 3300, `it settles near the target (${levels.at(-1)!.toFixed(0)})`);
  for (let i = 1; i < levels.length; i++) t.ok(levels[i]! >= levels[i - 1]! - 1, 'rising smoothly');
});

t.test('a loud voice is brought down and nothing clips', async (t) => {
  const n = new LevelNormalizer();
  let out: Int16Array = new Int16Array();
  for (let i = 0; i < 40; i++) {
    out = n.process(sine(30_000));
    t.ok(peak(out) <= 32767);
  }
  t.ok(rms(out) < 6000, `settled at ${rms(out).toFixed(0)}`);
});

t.test('silence and faint noise are never amplified', async (t) => {
  const n = new LevelNormalizer();
  for (let i = 0; i < 40; i++) n.process(sine(60));
  t.equal(n.currentGain, 1, 'the gain held at unity below the noise floor');
});

t.test('the gain is limited so a sudden loud chunk after a quiet stretch cannot clip', async (t) => {
  const n = new LevelNormalizer();
  for (let i = 0; i < 40; i++) n.process(sine(600));
  t.ok(n.currentGain > 3);
  const out = n.process(sine(32_000));
  t.ok(peak(out) <= 32767, `peak ${peak(out)}`);
  n.reset();
  t.equal(n.currentGain, 1);
});
