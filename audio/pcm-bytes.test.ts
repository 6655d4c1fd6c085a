import t from 'tap';
import { PcmByteReader, bytesFromPcm, pcmFromBytes } from './pcm-bytes.js';

t.test('pcmFromBytes reads little-endian samples', async (t) => {
  const pcm = pcmFromBytes(Uint8Array.from([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]));
  t.same(Array.from(pcm), [1, -1, -32768, 32767]);
});

t.test('pcmFromBytes shares memory when the view is aligned', async (t) => {
  const bytes = Buffer.from([0x02, 0x00, 0x03, 0x00]);
  const pcm = pcmFromBytes(bytes);
  bytes[0] = 0x05;
  t.equal(pcm[0], 5, 'a write to the bytes shows in the samples');
});

t.test('pcmFromBytes copies a slice that starts at an odd offset', async (t) => {
  const backing = Buffer.from([0xaa, 0x10, 0x00, 0x20, 0x00]);
  const odd = backing.subarray(1);
  t.equal(odd.byteOffset % 2, 1, 'the fixture really is misaligned');
  t.same(Array.from(pcmFromBytes(odd)), [16, 32]);
});

t.test('pcmFromBytes rejects an odd number of bytes', async (t) => {
  t.throws(() => pcmFromBytes(Uint8Array.from([1, 2, 3])), { code: 'odd_pcm_bytes', retryable: false });
});

t.test('bytesFromPcm writes little-endian bytes', async (t) => {
  t.same(Array.from(bytesFromPcm(Int16Array.from([1, -1, 256]))), [0x01, 0x00, 0xff, 0xff, 0x00, 0x01]);
  const window = Int16Array.from([7, 8, 9]).subarray(1);
  t.same(Array.from(bytesFromPcm(window)), [8, 0, 9, 0], 'respects the view offset');
});

t.test('PcmByteReader gives the same samples however the bytes are split', async (t) => {
  const samples = Int16Array.from({ length: 50 }, (_, i) => (i * 1237) % 65536 - 32768);
  const bytes = Buffer.from(bytesFromPcm(samples));
  for (let cut = 0; cut <= bytes.length; cut++) {
    const reader = new PcmByteReader();
    const got = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
    if (got.length !== samples.length || got.some((s, i) => s !== samples[i])) {
      t.fail(`split at byte ${cut} changed the samples`);
      return;
    }
    t.equal(reader.pending, false);
  }
  const reader = new PcmByteReader();
  const single = bytes.subarray(0, 3);
  t.same(Array.from(reader.push(single.subarray(0, 1))), []);
  t.equal(reader.pending, true, 'half a sample waits');
  t.same(Array.from(reader.push(single.subarray(1))), [samples[0]]);
  t.equal(reader.pending, true);
});
