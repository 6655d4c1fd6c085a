import t from 'tap';
import { Resampler } from './resampler.js';

function sine(length: number, rate: number, hz: number, amplitude = 12000): Int16Array {
  return Int16Array.from({ length }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)));
}

function resampleAll(resampler: Resampler, input: Int16Array, chunkSizes: readonly number[]): Int16Array {
  const out: number[] = [];
  let offset = 0;
  let k = 0;
  while (offset < input.length) {
    const size = chunkSizes[k++ % chunkSizes.length] ?? 1;
    out.push(...resampler.push(input.subarray(offset, offset + size)));
    offset += size;
  }
  out.push(...resampler.flush());
  return Int16Array.from(out);
}

t.test('equal rates pass the samples through', async (t) => {
  const input = sine(100, 16000, 300);
  const resampler = new Resampler(16000, 16000);
  t.equal(resampler.push(input), input);
  t.equal(resampler.flush().length, 0);
});

t.test('the output has ceil(n * to / from) samples', async (t) => {
  for (const [from, to, n] of [[22050, 16000, 22050], [22050, 24000, 12345], [16000, 48000, 999], [48000, 16000, 1000], [24000, 16000, 1]]) {
    const out = resampleAll(new Resampler(from!, to!), sine(n!, from!, 200), [n!]);
    t.equal(out.length, Math.ceil((n! * to!) / from!), `${n} samples ${from} -> ${to}`);
  }
});

t.test('cutting the input anywhere gives the samples of one push', async (t) => {
  const input = sine(22050, 22050, 523);
  for (const to of [16000, 24000]) {
    const whole = resampleAll(new Resampler(22050, to), input, [input.length]);
    for (const sizes of [[1], [7, 441, 3], [1024], [320, 1, 2]]) {
      const chunked = resampleAll(new Resampler(22050, to), input, sizes);
      t.same(Array.from(chunked), Array.from(whole), `chunks of ${sizes.join(',')} to ${to} Hz`);
    }
  }
});

t.test('a sine keeps its frequency and has no jumps at chunk boundaries', async (t) => {
  const hz = 440;
  const input = sine(22050, 22050, hz);
  const out = resampleAll(new Resampler(22050, 16000), input, [441]);
  // Compare with the same sine generated directly at the target rate.
  const ideal = sine(out.length, 16000, hz);
  let worst = 0;
  for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs((out[i] ?? 0) - (ideal[i] ?? 0)));
  t.ok(worst < 12000 * 0.02, `largest deviation from the ideal sine: ${worst}`);
  // The steepest step of this sine at 16 kHz is about 2070; a click would be far larger.
  let step = 0;
  for (let i = 1; i < out.length; i++) step = Math.max(step, Math.abs((out[i] ?? 0) - (out[i - 1] ?? 0)));
  t.ok(step < 2200, `largest step between neighbours: ${step}`);
});

t.test('a constant stays constant and flush starts a new stream', async (t) => {
  const resampler = new Resampler(22050, 24000);
  const first = resampleAll(resampler, new Int16Array(1000).fill(-5000), [333]);
  t.ok(first.every((s) => s === -5000));
  const second = resampleAll(resampler, new Int16Array(10).fill(700), [10]);
  t.equal(second.length, Math.ceil((10 * 24000) / 22050));
  t.ok(second.every((s) => s === 700), 'nothing of the first stream leaks into the second');
});

t.test('rates must be positive integers', async (t) => {
  t.throws(() => new Resampler(0, 16000), RangeError);
  t.throws(() => new Resampler(22050, 16000.5), RangeError);
});
