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
    const input = sine(30_000);
    out = n.process(input);
    // Int16Array wraps instead of clipping, so a peak check proves nothing: compare sample by sample.
    t.ok(input.every((s, j) => Math.abs(out[j]!) <= Math.abs(s) && out[j]! * s >= 0), 'every sample kept its sign and was not made louder');
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
  const input = sine(32_000);
  const out = n.process(input);
  // Without the limit the gain of 3 would overflow and wrap; with it every sample is scaled by at most 32767/32000.
  const ratios = Array.from(input).flatMap((s, j) => (Math.abs(s) > 1000 ? [out[j]! / s] : []));
  t.ok(Math.min(...ratios) >= 1 && Math.max(...ratios) <= 32767 / 32000 + 0.001, `gain ${Math.min(...ratios).toFixed(3)}..${Math.max(...ratios).toFixed(3)}`);
  n.reset();
  t.equal(n.currentGain, 1);
});
