import { execFileSync, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { WavFileWriter, decodeWav, encodeWav } from './wav-file.js';

const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
const hasSoxi = spawnSync('soxi', ['-V0']).error === undefined;

/** A WAV assembled chunk by chunk, so tests can build odd files byte for byte. */
function riff(...chunks: Array<[id: string, body: Buffer]>): Buffer {
  const parts = chunks.map(([id, body]) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
  });
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...parts]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function fmt(channels: number, sampleRate: number, bits = 16, format = 1): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(format, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(sampleRate, 4);
  b.writeUInt32LE((sampleRate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

function samples(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return b;
}

t.test('encodeWav writes the canonical 44-byte header', async (t) => {
  const bytes = encodeWav(Int16Array.from([1, -2]), 16000);
  t.same(
    Array.from(bytes),
    [
      0x52, 0x49, 0x46, 0x46, 40, 0, 0, 0, 0x57, 0x41, 0x56, 0x45, // RIFF, 36 + 4 data bytes, WAVE
      0x66, 0x6d, 0x74, 0x20, 16, 0, 0, 0, 1, 0, 1, 0, // fmt, PCM, mono
      0x80, 0x3e, 0, 0, 0x00, 0x7d, 0, 0, 2, 0, 16, 0, // 16000 Hz, 32000 bytes/s, align 2, 16 bits
      0x64, 0x61, 0x74, 0x61, 4, 0, 0, 0, 1, 0, 0xfe, 0xff, // data
    ],
  );
});

t.test('decodeWav reads back what encodeWav wrote', async (t) => {
  const pcm = Int16Array.from({ length: 1000 }, (_, i) => (i * 97) % 65536 - 32768);
  const wav = decodeWav(encodeWav(pcm, 24000));
  t.equal(wav.sampleRate, 24000);
  t.equal(wav.channels, 1);
  t.same(Array.from(wav.pcm), Array.from(pcm));
});

t.test('stereo is mixed down to mono', async (t) => {
  const wav = decodeWav(riff(['fmt ', fmt(2, 8000)], ['data', samples(100, 300, -1000, 1000, 32767, 32767)]));
  t.equal(wav.channels, 2);
  t.same(Array.from(wav.pcm), [200, 0, 32767]);
});

t.test('unknown chunks, odd-sized ones included, are skipped', async (t) => {
  const wav = decodeWav(riff(['LIST', Buffer.from('abc')], ['fmt ', fmt(1, 16000)], ['fact', Buffer.alloc(4)], ['data', samples(5, 6)]));
  t.same(Array.from(wav.pcm), [5, 6]);
});

t.test('WAVE_FORMAT_EXTENSIBLE with a PCM sub-format is accepted', async (t) => {
  const ext = Buffer.alloc(40);
  fmt(1, 16000).copy(ext);
  ext.writeUInt16LE(0xfffe, 0);
  ext.writeUInt16LE(22, 16);
  ext.writeUInt16LE(1, 24); // KSDATAFORMAT_SUBTYPE_PCM starts with 0x0001
  t.same(Array.from(decodeWav(riff(['fmt ', ext], ['data', samples(9)])).pcm), [9]);
});

t.test('a data size beyond the end of the file means up to the end', async (t) => {
  const bytes = riff(['fmt ', fmt(1, 22050)], ['data', samples(1, 2, 3)]);
  bytes.writeUInt32LE(0x7ffff000, 40);
  t.same(Array.from(decodeWav(bytes).pcm), [1, 2, 3]);
  t.same(Array.from(decodeWav(Buffer.concat([bytes, Buffer.from([7])])).pcm), [1, 2, 3], 'a trailing half sample is dropped');
});

t.test('malformed input throws bad_wav', async (t) => {
  const bad = { code: 'bad_wav', retryable: false };
  t.throws(() => decodeWav(new Uint8Array(0)), bad, 'empty');
  t.throws(() => decodeWav(Buffer.from('RIFF\0\0\0\0AVI LIST', 'latin1')), bad, 'not WAVE');
  t.throws(() => decodeWav(riff(['data', samples(1)])), bad, 'data before fmt');
  t.throws(() => decodeWav(riff(['fmt ', fmt(1, 16000)])), bad, 'no data');
  t.throws(() => decodeWav(riff(['fmt ', fmt(1, 16000, 8)], ['data', Buffer.alloc(2)])), bad, '8-bit');
  t.throws(() => decodeWav(riff(['fmt ', fmt(1, 16000, 32, 3)], ['data', Buffer.alloc(4)])), bad, 'float');
  t.throws(() => decodeWav(riff(['fmt ', fmt(0, 16000)], ['data', Buffer.alloc(2)])), bad, 'no channels');
  t.throws(() => decodeWav(riff(['fmt ', Buffer.alloc(10)], ['data', Buffer.alloc(2)])), bad, 'short fmt');
  t.throws(() => decodeWav(encodeWav(new Int16Array(4), 16000).subarray(0, 30)), bad, 'truncated header');
});

t.test('decodes espeak-ng output', { skip: hasEspeak ? false : 'espeak-ng is not installed' }, async (t) => {
  const wav = decodeWav(execFileSync('espeak-ng', ['--stdout', 'hello there']));
  t.equal(wav.sampleRate, 22050);
  t.equal(wav.channels, 1);
  t.ok(wav.pcm.length > 22050 * 0.3, `${wav.pcm.length} samples of speech`);
  t.ok(wav.pcm.some((s) => Math.abs(s) > 1000), 'it is not silence');
});

t.test('WavFileWriter streams a file that decodes to what was written', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'out.wav');
  const writer = await WavFileWriter.open(path, 16000);
  const chunks = [Int16Array.from([1, 2, 3]), new Int16Array(0), Int16Array.from({ length: 5000 }, (_, i) => i - 2500)];
  // Not awaited one by one: order must still hold.
  const writes = chunks.map((c) => writer.write(c));
  chunks[0]?.fill(0);
  await Promise.all(writes);
  t.equal(writer.samples, 5003);
  const midStream = decodeWav(await readFile(path));
  t.equal(midStream.pcm.length, 5003, 'readable before close');
  await writer.close();
  await writer.close();
  const bytes = await readFile(path);
  t.equal(bytes.readUInt32LE(4), 36 + 5003 * 2, 'RIFF size patched');
  t.equal(bytes.readUInt32LE(40), 5003 * 2, 'data size patched');
  const wav = decodeWav(bytes);
  t.equal(wav.sampleRate, 16000);
  t.same(Array.from(wav.pcm.subarray(0, 4)), [1, 2, 3, -2500], 'the caller may reuse its array after write()');
  t.equal(wav.pcm[5002], 2499);
  if (hasSoxi) t.equal(execFileSync('soxi', ['-s', path]).toString().trim(), '5003', 'sox agrees');
  await t.rejects(writer.write(Int16Array.from([1])), { code: 'wav_closed' });
});

t.test('an empty recording is a valid file', async (t) => {
  const path = join(t.testdir({}), 'empty.wav');
  const writer = await WavFileWriter.open(path, 24000);
  await writer.close();
  const wav = decodeWav(await readFile(path));
  t.equal(wav.sampleRate, 24000);
  t.equal(wav.pcm.length, 0);
});

t.test('opening a file in a missing folder fails', async (t) => {
  await t.rejects(WavFileWriter.open(join(t.testdir({}), 'missing', 'x.wav'), 16000), { code: 'ENOENT' });
});
