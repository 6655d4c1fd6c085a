import t from 'tap';
import { ClickGuard } from './click-guard.js';

const tone = (length: number, from = 0) => new Int16Array(length).map((_, i) => Math.round(8000 * Math.sin((from + i) / 3)));
const maxStep = (pcm: Int16Array) => pcm.reduce((max, v, i) => (i === 0 ? max : Math.max(max, Math.abs(v - (pcm[i - 1] as number)))), 0);

t.test('audio that keeps coming passes through unchanged, only later by the hold-back', async (t) => {
  const guard = new ClickGuard(120);
  const whole = tone(3000);
  const out = [guard.next(whole.slice(0, 1000)), guard.next(whole.slice(1000, 2000)), guard.next(whole.slice(2000))];
  t.same(out.map((c) => c.length), [880, 1000, 1000], 'each chunk comes out 120 samples late');
  t.same(Array.from(Int16Array.from(out.flatMap((c) => Array.from(c)))), Array.from(whole.slice(0, 2880)), 'sample for sample');
  t.ok(guard.holding);
});

t.test('running dry fades the held samples to silence, and the next sound fades in', async (t) => {
  const guard = new ClickGuard(120);
  const before = guard.next(tone(960));
  const faded = guard.runOut();
  t.equal(faded.length, 120);
  t.equal(faded.at(-1), 0, 'the last sample before the gap is silence');
  t.notOk(guard.holding);
  const after = guard.next(tone(960, 500));
  t.equal(after[0], 0, 'the first sample after the gap is silence');
  const joined = Int16Array.from([...before, ...faded]);
  const unfaded = tone(960);
  t.ok(maxStep(joined) <= maxStep(unfaded) + 1, `no step larger than the tone's own (${maxStep(joined)} <= ${maxStep(unfaded)})`);
  t.ok(Math.abs(unfaded.at(-1) as number) > 2000, 'without the fade the last sample would jump to silence by thousands');
  t.ok(maxStep(after) <= maxStep(unfaded) + 1, 'fading in does not step either');
});

t.test('runOut takes a final chunk along (a resampler\'s flush) and fades the end of both', async (t) => {
  const guard = new ClickGuard(50);
  guard.next(tone(200));
  const out = guard.runOut(tone(30, 200));
  t.equal(out.length, 80);
  t.equal(out.at(-1), 0);
  t.equal(guard.runOut().length, 0, 'nothing held: nothing to play');
});

t.test('drop forgets the held samples and makes the next sound fade in', async (t) => {
  const guard = new ClickGuard(64);
  guard.next(tone(500));
  guard.drop();
  t.notOk(guard.holding);
  t.equal(guard.next(tone(500, 100))[0], 0);
});

t.test('a chunk shorter than the hold-back is held whole', async (t) => {
  const guard = new ClickGuard(120);
  t.equal(guard.next(tone(50)).length, 0);
  t.equal(guard.next(tone(100)).length, 30);
  t.throws(() => new ClickGuard(0), RangeError);
});
