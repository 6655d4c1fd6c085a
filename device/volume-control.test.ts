import t from 'tap';
import { VolumeControl, volumeToGain } from './volume-control.js';

const fullScale = () => Int16Array.from({ length: 4800 }, (_, i) => (i % 2 === 0 ? 32767 : -32768));
const peak = (pcm: Int16Array) => pcm.reduce((m, s) => Math.max(m, Math.abs(s)), 0);

t.test('the lowest of request, parent maximum and maker maximum wins', async (t) => {
  const v = new VolumeControl(90, 70);
  t.equal(v.effective, 70);
  v.setParentLimits(100, 40);
  t.equal(v.effective, 40, 'the parent maximum caps a request of 100');
  v.setVolume(100);
  t.equal(v.effective, 40, 'asking on the toy cannot lift it');
  v.setParentLimits(100, 100);
  t.equal(v.effective, 90, 'the maker ceiling holds when the parent allows everything');
  v.setVolume(20);
  t.equal(v.effective, 20);
});

t.test('a full-scale signal at maximum request never peaks above the parent cap', async (t) => {
  for (const cap of [0, 10, 40, 73, 100]) {
    const v = new VolumeControl(100, 100);
    v.setParentLimits(100, cap);
    let loudest = 0;
    for (let chunk = 0; chunk < 5; chunk++) loudest = Math.max(loudest, peak(v.apply(fullScale())));
    t.ok(loudest <= 32768 * volumeToGain(cap), `cap ${cap}: peak ${loudest} <= ${Math.floor(32768 * volumeToGain(cap))}`);
  }
});

t.test('out-of-range and non-numeric volumes are clamped, never amplifying', async (t) => {
  const v = new VolumeControl(100, 100);
  v.setParentLimits(1000, 1000);
  t.equal(v.effective, 100);
  v.setParentLimits(Number.NaN, Number.POSITIVE_INFINITY);
  t.equal(v.effective, 0);
  t.ok(v.apply(fullScale()).every((s) => s === 0), 'a nonsense volume is silence');
  t.throws(() => new VolumeControl(101), RangeError);
});

t.test('a change of volume ramps across the chunk instead of jumping', async (t) => {
  const v = new VolumeControl(100, 100);
  const ones = new Int16Array(1000).fill(10_000);
  v.apply(ones);
  v.setVolume(50);
  const out = v.apply(ones);
  t.ok((out[0] as number) > 9000, 'starts near the old gain');
  t.equal(out[999], Math.trunc(10_000 * volumeToGain(50)), 'ends at the new gain');
  for (let i = 1; i < out.length; i++) t.ok((out[i] as number) <= (out[i - 1] as number), 'monotonic');
});

t.test('lowering the parent maximum mid-reply applies from the very next sample', async (t) => {
  const v = new VolumeControl(100, 100);
  v.setParentLimits(100, 100);
  v.apply(fullScale());
  v.setParentLimits(100, 30);
  t.ok(peak(v.apply(fullScale())) <= 32768 * volumeToGain(30));
});
