import t from 'tap';
import { FrameChunker } from './frame-chunker.js';

function ramp(length: number, start = 0): Int16Array {
  return Int16Array.from({ length }, (_, i) => ((start + i) % 30000) + 1);
}

t.test('frames are exact and in order whatever the chunk sizes', async (t) => {
  const input = ramp(5000);
  const chunker = new FrameChunker(960);
  const frames: Int16Array[] = [];
  let offset = 0;
  for (const size of [1, 959, 1, 2000, 7, 333, 1699]) {
    frames.push(...chunker.push(input.subarray(offset, offset + size)));
    offset += size;
  }
  t.equal(offset, input.length);
  t.equal(frames.length, 5);
  t.ok(frames.every((f) => f.length === 960));
  t.equal(chunker.buffered, 200);
  const last = chunker.flush();
  t.ok(last);
  t.equal(last?.length, 960, 'the partial frame is padded to full size');
  const joined = Int16Array.from([...frames.flatMap((f) => [...f]), ...(last ?? [])]);
  t.same(Array.from(joined.subarray(0, 5000)), Array.from(input));
  t.ok(joined.subarray(5000).every((s) => s === 0), 'padding is silence');
  t.equal(chunker.flush(), undefined, 'nothing left after a flush');
});

t.test('frames do not share memory with the input', async (t) => {
  const chunker = new FrameChunker(4);
  const input = ramp(6);
  const [frame] = chunker.push(input);
  input.fill(0);
  t.same(Array.from(frame ?? []), [1, 2, 3, 4]);
  const carried = chunker.push(Int16Array.from([9, 9]));
  t.same(Array.from(carried[0] ?? []), [5, 6, 9, 9], 'samples held back were copied too');
});

t.test('empty pushes and an idle flush produce nothing', async (t) => {
  const chunker = new FrameChunker(320);
  t.same(chunker.push(new Int16Array(0)), []);
  t.equal(chunker.flush(), undefined);
});

t.test('a frame size must be a positive integer', async (t) => {
  t.throws(() => new FrameChunker(0), RangeError);
  t.throws(() => new FrameChunker(2.5), RangeError);
});
