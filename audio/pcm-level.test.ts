import t from 'tap';
import { peak, rms } from './pcm-level.js';

t.test('rms of a constant is its magnitude', async (t) => {
  t.equal(rms(new Int16Array(100).fill(-1000)), 1000);
});

t.test('rms of a sine is its amplitude over root two', async (t) => {
  const pcm = Int16Array.from({ length: 16000 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
  t.ok(Math.abs(rms(pcm) - 10000 / Math.SQRT2) < 5, `rms ${rms(pcm)}`);
});

t.test('silence and empty input have no level', async (t) => {
  t.equal(rms(new Int16Array(0)), 0);
  t.equal(peak(new Int16Array(0)), 0);
  t.equal(rms(new Int16Array(320)), 0);
  t.equal(peak(new Int16Array(320)), 0);
});

t.test('peak is the largest magnitude, including the most negative sample', async (t) => {
  t.equal(peak(Int16Array.from([3, -7, 5])), 7);
  t.equal(peak(Int16Array.from([32767, -32768])), 32768);
});
