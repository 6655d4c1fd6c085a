import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { encodeOggOpus, opusPacketSamples, OPUS_PRE_SKIP } from './ogg-opus.js';
import { createOpusDecoder, createOpusEncoder } from './opus-codec.js';

// --- An independent reader, written from RFC 3533 rather than from the muxer ---------------

interface Page {
  readonly flags: number;
  readonly granule: bigint;
  readonly serial: number;
  readonly sequence: number;
  readonly storedCrc: number;
  readonly computedCrc: number;
  readonly lacing: readonly number[];
  readonly packets: readonly Buffer[];
  readonly byteLength: number;
}

/** The CRC bit by bit, with no table: polynomial 0x04c11db7, MSB first, init 0, no final xor. */
function bitwiseCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
  }
  return crc >>> 0;
}

function readPages(file: Buffer): Page[] {
  const pages: Page[] = [];
  let at = 0;
  while (at < file.length) {
    if (file.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`no capture pattern at byte ${at}`);
    if (file[at + 4] !== 0) throw new Error('stream structure version is not 0');
    const count = file[at + 26] ?? 0;
    const lacing = [...file.subarray(at + 27, at + 27 + count)];
    const bodyLength = lacing.reduce((a, b) => a + b, 0);
    const length = 27 + count + bodyLength;
    const copy = Buffer.from(file.subarray(at, at + length));
    copy.writeUInt32LE(0, 22);
    const packets: Buffer[] = [];
    let start = at + 27 + count;
    let size = 0;
    for (const value of lacing) {
      size += value;
      if (value < 255) {
        packets.push(file.subarray(start, start + size));
        start += size;
        size = 0;
      }
    }
    if (size !== 0) throw new Error('a packet continues past its page (never needed for Opus)');
    pages.push({
      flags: file[at + 5] ?? -1,
      granule: file.readBigInt64LE(at + 6),
      serial: file.readUInt32LE(at + 14),
      sequence: file.readUInt32LE(at + 18),
      storedCrc: file.readUInt32LE(at + 22),
      computedCrc: bitwiseCrc(copy),
      lacing,
      packets,
      byteLength: length,
    });
    at += length;
  }
  return pages;
}

// --- Audio ---------------------------------------------------------------------------------

const RATE = 16_000;

/** Voice-like: harmonics of a gliding 150-300 Hz fundamental, opening and closing four times a second. */
function voiceLike(seconds: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const time = i / RATE;
    phase += (2 * Math.PI * (150 + 75 * (1 + Math.sin(2 * Math.PI * 0.7 * time)))) / RATE;
    let value = 0;
    for (let h = 1; h <= 8; h++) value += Math.sin(h * phase) / h;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * time);
    out[i] = Math.round(6000 * envelope * value);
  }
  return out;
}

function encode(pcm: Int16Array, bitrate = 24_000): Uint8Array[] {
  const encoder = createOpusEncoder({ sampleRate: RATE, frameMs: 60, bitrate, application: 'voip' });
  const packets: Uint8Array[] = [];
  // Padded past the end by at least the lookahead, so the last real samples come out of the decoder.
  const padded = new Int16Array(Math.ceil((pcm.length + OPUS_PRE_SKIP / 3) / encoder.frameSamples) * encoder.frameSamples);
  padded.set(pcm);
  for (let at = 0; at < padded.length; at += encoder.frameSamples) packets.push(Buffer.from(encoder.encode(padded.subarray(at, at + encoder.frameSamples))));
  return packets;
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

function correlation(a: Int16Array, b: Int16Array, lag: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = Math.max(0, -lag); i < a.length && i + lag < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i + lag] ?? 0;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

// A synthetic packet: a TOC byte for SILK 60 ms, one frame (config 11, code 0), then filler.
function fakePacket(bytes: number, fill: number): Buffer {
  const packet = Buffer.alloc(bytes, fill);
  packet[0] = (11 << 3) | 0;
  return packet;
}

// --- Tests ---------------------------------------------------------------------------------

const input = voiceLike(2.05);
const packets = encode(input);
const file = encodeOggOpus(packets, { inputSampleRate: RATE, inputSamples: input.length });
const pages = readPages(file);

t.test('capture pattern, checksums, one serial, consecutive sequence numbers', async (t) => {
  t.equal(file.toString('latin1', 0, 4), 'OggS');
  t.ok(pages.length >= 4, `${pages.length} pages`);
  pages.forEach((page, index) => {
    t.equal(page.storedCrc, page.computedCrc, `page ${index} CRC 0x${page.storedCrc.toString(16)}`);
    t.equal(page.sequence, index, `page ${index} sequence`);
    t.equal(page.serial, pages[0]?.serial);
  });
  t.equal(pages.reduce((sum, page) => sum + page.byteLength, 0), file.length, 'nothing after the last page');
});

t.test('OpusHead alone on a beginning-of-stream page, then OpusTags alone', async (t) => {
  const [head, tags] = pages;
  t.equal(head?.flags, 0x02, 'BOS only');
  t.equal(head?.granule, 0n);
  t.equal(head?.packets.length, 1);
  const h = head?.packets[0] ?? Buffer.alloc(0);
  t.equal(h.length, 19);
  t.equal(h.toString('latin1', 0, 8), 'OpusHead');
  t.equal(h[8], 1, 'version 1');
  t.equal(h[9], 1, 'one channel');
  t.equal(h.readUInt16LE(10), 312, 'pre-skip: libopus lookahead');
  t.equal(h.readUInt32LE(12), 16_000, 'input sample rate');
  t.equal(h.readInt16LE(16), 0, 'no output gain');
  t.equal(h[18], 0, 'mapping family 0');

  t.equal(tags?.flags, 0, 'not BOS, not EOS, not continued');
  t.equal(tags?.granule, 0n);
  t.equal(tags?.packets.length, 1);
  const g = tags?.packets[0] ?? Buffer.alloc(0);
  t.equal(g.toString('latin1', 0, 8), 'OpusTags');
  const vendorLength = g.readUInt32LE(8);
  t.equal(g.toString('utf8', 12, 12 + vendorLength), 'pommai');
  t.equal(g.readUInt32LE(12 + vendorLength), 0, 'no comments');
  t.equal(g.length, 16 + vendorLength);
});

t.test('audio pages: the packets in order, granules at 48 kHz, the last page ends the stream', async (t) => {
  const audio = pages.slice(2);
  t.same(audio.flatMap((page) => page.packets.map((p) => [...p])), packets.map((p) => [...p]), 'packets come back byte for byte');
  let decoded = 0;
  audio.forEach((page, index) => {
    decoded += page.packets.length * 2880;
    const last = index === audio.length - 1;
    t.equal(page.flags, last ? 0x04 : 0, `page ${index + 2} flags`);
    if (!last) t.equal(page.granule, BigInt(decoded), `page ${index + 2} granule counts every 60 ms packet as 2880`);
  });
  t.equal(audio.at(-1)?.granule, BigInt(312 + input.length * 3), 'the last granule is pre-skip + the real length: padding is trimmed');
  t.ok((audio.at(-1)?.granule ?? 0n) < BigInt(decoded), 'and it does trim');
  // A page is closed once it holds a second: 17 packets of 60 ms.
  t.same(audio.map((page) => page.packets.length), [17, 17, 1]);
});

t.test('the segment table: packets of 255 bytes and more, and pages that fill up', async (t) => {
  const sizes = [1, 254, 255, 256, 510, 1000];
  const big = encodeOggOpus(sizes.map((size, i) => fakePacket(size, i + 1)), { inputSampleRate: RATE });
  const [, , page] = readPages(big);
  t.same(page?.lacing, [1, 254, 255, 0, 255, 1, 255, 255, 0, 255, 255, 255, 235]);
  t.same(page?.packets.map((p) => p.length), sizes);
  t.equal(page?.granule, BigInt(6 * 2880));

  // 300-byte packets take two lacing values each; the second's worth of them closes each page first.
  const many = readPages(encodeOggOpus(Array.from({ length: 200 }, (_, i) => fakePacket(300, i & 0xff)), { inputSampleRate: RATE, preSkip: 0 }));
  const audio = many.slice(2);
  t.ok(audio.every((p) => p.lacing.length <= 255 && p.packets.length <= 17), `packets per page: ${audio.map((p) => p.packets.length).join(',')}`);
  t.equal(audio.reduce((sum, p) => sum + p.packets.length, 0), 200);
  t.equal(audio.at(-1)?.granule, BigInt(200 * 2880));
  t.equal(audio.at(-1)?.flags, 0x04);

  const lacingBound = readPages(encodeOggOpus(Array.from({ length: 200 }, () => Buffer.from([(16 << 3) | 0, 1, 2])), { inputSampleRate: RATE }));
  // 2.5 ms CELT packets: a second would be 400 of them, so the 255-entry table is what splits them.
  t.same(lacingBound.slice(2).map((p) => p.packets.length), [200]);
  const crowded = readPages(encodeOggOpus(Array.from({ length: 300 }, () => Buffer.from([(16 << 3) | 0, 1, 2])), { inputSampleRate: RATE }));
  t.same(crowded.slice(2).map((p) => p.packets.length), [255, 45]);
});

t.test('no packets at all still makes a whole stream', async (t) => {
  const empty = readPages(encodeOggOpus([], { inputSampleRate: RATE, inputSamples: 0 }));
  t.equal(empty.length, 2);
  t.same(empty.map((p) => p.flags), [0x02, 0x04]);
  t.ok(empty.every((p) => p.storedCrc === p.computedCrc));
});

t.test('bad input is refused', async (t) => {
  t.throws(() => encodeOggOpus([Buffer.alloc(0)], { inputSampleRate: RATE }), RangeError);
  t.throws(() => encodeOggOpus(packets, { inputSampleRate: RATE, inputSamples: input.length * 2 }), RangeError, 'more samples than the packets hold');
  t.throws(() => encodeOggOpus(packets, { inputSampleRate: RATE, inputSamples: 100 }), RangeError, 'trimming into earlier pages');
  t.throws(() => encodeOggOpus(packets, { inputSampleRate: 0 }), RangeError);
});

t.test('packet durations from the TOC byte', async (t) => {
  t.equal(opusPacketSamples(Uint8Array.from([11 << 3])), 2880, 'SILK 60 ms');
  t.equal(opusPacketSamples(Uint8Array.from([(1 << 3) | 1])), 1920, 'two SILK 20 ms frames');
  t.equal(opusPacketSamples(Uint8Array.from([(13 << 3) | 2])), 1920, 'two hybrid 20 ms frames');
  t.equal(opusPacketSamples(Uint8Array.from([(16 << 3) | 3, 3])), 360, 'three CELT 2.5 ms frames');
  t.equal(opusPacketSamples(packets[0] ?? new Uint8Array(0)), 2880, 'what the encoder makes');
  t.throws(() => opusPacketSamples(Uint8Array.from([(16 << 3) | 3, 0])), RangeError, 'zero frames');
});

t.test('decoding the pages gives back the audio', async (t) => {
  const decoder = createOpusDecoder(RATE);
  const parts = pages.slice(2).flatMap((page) => page.packets.map((p) => decoder.decode(p)));
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  // What a player plays: pre-skip dropped from the front, the end cut at the last granule.
  const preSkip = OPUS_PRE_SKIP / 3;
  const end = Number(pages.at(-1)?.granule ?? 0n) / 3;
  const played = all.subarray(preSkip, end);
  t.equal(played.length, input.length, 'as many samples as went in');
  let best = { lag: 0, r: -1 };
  for (let lag = -40; lag <= 40; lag++) {
    const r = correlation(input, played, lag);
    if (r > best.r) best = { lag, r };
  }
  t.ok(Math.abs(best.lag) <= 2, `aligned once the pre-skip is dropped (best lag ${best.lag})`);
  t.ok(best.r > 0.8, `waveforms correlate: ${best.r.toFixed(3)}`);
  const ratio = rms(played) / rms(input);
  t.ok(ratio > 0.8 && ratio < 1.2, `level kept: RMS ratio ${ratio.toFixed(3)}`);
});

// Reads a file with libsndfile through ctypes: format, rate, channels, frames read and their RMS.
// With "-" it only says whether libsndfile can be loaded.
const SNDFILE_PROBE = `
import ctypes, ctypes.util, json, math, sys
try:
    lib = ctypes.CDLL(ctypes.util.find_library('sndfile') or 'libsndfile.so.1')
except OSError:
    print(json.dumps({'error': 'no libsndfile'})); sys.exit(0)
if sys.argv[1] == '-':
    print(json.dumps({'ready': True})); sys.exit(0)
class Info(ctypes.Structure):
    _fields_ = [('frames', ctypes.c_int64), ('samplerate', ctypes.c_int), ('channels', ctypes.c_int),
                ('format', ctypes.c_int), ('sections', ctypes.c_int), ('seekable', ctypes.c_int)]
lib.sf_open.restype = ctypes.c_void_p
lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(Info)]
lib.sf_strerror.restype = ctypes.c_char_p
lib.sf_strerror.argtypes = [ctypes.c_void_p]
lib.sf_readf_short.restype = ctypes.c_int64
lib.sf_readf_short.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_short), ctypes.c_int64]
lib.sf_close.argtypes = [ctypes.c_void_p]
info = Info()
handle = lib.sf_open(sys.argv[1].encode(), 0x10, ctypes.byref(info))
if not handle:
    print(json.dumps({'error': lib.sf_strerror(None).decode()})); sys.exit(0)
buf = (ctypes.c_short * 4096)()
read = 0
squares = 0.0
while True:
    n = lib.sf_readf_short(handle, buf, 4096 // max(1, info.channels))
    if n <= 0:
        break
    squares += sum(buf[i] * buf[i] for i in range(n * info.channels))
    read += n
lib.sf_close(handle)
print(json.dumps({'format': info.format, 'samplerate': info.samplerate, 'channels': info.channels,
                  'read': read, 'rms': math.sqrt(squares / max(1, read))}))
`;

const tools = ['ffprobe', 'opusinfo'].filter((tool) => spawnSync('which', [tool]).status === 0);
const libsndfile = spawnSync('python3', ['-c', SNDFILE_PROBE, '-'], { encoding: 'utf8' }).stdout?.includes('"ready"') === true;
const noReader = tools.length === 0 && !libsndfile ? 'neither ffprobe, opusinfo nor libsndfile (through python3) is on this machine' : false;

t.test('an independent Ogg Opus reader accepts the file', { skip: noReader }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ogg-opus-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'speech.ogg');
  writeFileSync(path, file);

  if (tools.includes('ffprobe')) {
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], { encoding: 'utf8' });
    t.equal(probe.status, 0, probe.stderr);
    t.match(probe.stdout, /"codec_name": "opus"/);
  }
  if (tools.includes('opusinfo')) {
    const info = spawnSync('opusinfo', [path], { encoding: 'utf8' });
    t.equal(info.status, 0, info.stdout + info.stderr);
    t.notMatch(info.stdout + info.stderr, /WARNING|ERROR/i);
  }
  if (libsndfile) {
    // libsndfile reads Ogg through libogg, which drops any page whose CRC is wrong.
    const read = spawnSync('python3', ['-c', SNDFILE_PROBE, path], { encoding: 'utf8' });
    const result = JSON.parse(read.stdout || '{}') as { format?: number; samplerate?: number; channels?: number; read?: number; rms?: number; error?: string };
    t.notOk(result.error, result.error ?? 'libsndfile opened it');
    t.equal(result.format, 0x200064, 'libsndfile says Ogg (0x200000) Opus (0x64)');
    t.equal(result.samplerate, RATE);
    t.equal(result.channels, 1);
    t.equal(result.read, input.length, 'libsndfile honours pre-skip and the end trim');
    const ratio = (result.rms ?? 0) / rms(input);
    t.ok(ratio > 0.8 && ratio < 1.2, `level ${ratio.toFixed(3)}`);

    const broken = Buffer.from(file);
    const middle = Math.floor(file.length / 2);
    broken[middle] = (broken[middle] ?? 0) ^ 0xff;
    const corrupt = join(dir, 'broken.ogg');
    writeFileSync(corrupt, broken);
    const bad = JSON.parse(spawnSync('python3', ['-c', SNDFILE_PROBE, corrupt], { encoding: 'utf8' }).stdout || '{}') as { read?: number; error?: string };
    t.ok(bad.error !== undefined || (bad.read ?? 0) < input.length, 'a flipped byte is noticed, so the checksums were really checked');
  }
});
