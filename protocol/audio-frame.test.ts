import t, { type Test } from 'tap';
import {
  AUDIO_HEADER_BYTES,
  AudioKind,
  MAX_OPUS_PACKET_BYTES,
  decodeAudioFrame,
  encodeAudioFrame,
  type AudioFrame,
} from './audio-frame.js';

/** Bytes written out the way they appear on the wire, e.g. '01 00 00 07'. */
function hex(text: string): Uint8Array {
  const digits = text.split(/\s+/).filter((d) => d !== '');
  return Uint8Array.from(digits.map((d) => {
    if (!/^[0-9a-f]{2}$/i.test(d)) throw new Error(`bad fixture byte ${d}`);
    return parseInt(d, 16);
  }));
}

const FIXTURES: readonly { name: string; frame: AudioFrame; wire: Uint8Array }[] = [
  {
    name: 'microphone, turn 7, sequence 258',
    frame: { kind: 1, turn: 7, sequence: 258, payload: Uint8Array.from([0xfc, 0x01, 0x02]) },
    wire: hex('01 00 00 07 00 00 01 02 fc 01 02'),
  },
  {
    name: 'voice, largest turn and sequence, one-byte payload',
    frame: { kind: 2, turn: 65535, sequence: 0xffff_ffff, payload: Uint8Array.from([0x00]) },
    wire: hex('02 00 ff ff ff ff ff ff 00'),
  },
  {
    name: 'voice, multi-byte fields are big-endian',
    frame: { kind: 2, turn: 0x1234, sequence: 0x0102_0304, payload: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) },
    wire: hex('02 00 12 34 01 02 03 04 de ad be ef'),
  },
  {
    name: 'first frame of turn 1',
    frame: { kind: 1, turn: 1, sequence: 0, payload: Uint8Array.from([0x78]) },
    wire: hex('01 00 00 01 00 00 00 00 78'),
  },
];

function expectFrame(t: Test, actual: AudioFrame, expected: AudioFrame): void {
  t.equal(actual.kind, expected.kind, 'kind');
  t.equal(actual.turn, expected.turn, 'turn');
  t.equal(actual.sequence, expected.sequence, 'sequence');
  t.same([...actual.payload], [...expected.payload], 'payload');
}

t.test('constants match the documented layout', async (t) => {
  t.equal(AUDIO_HEADER_BYTES, 8);
  t.equal(MAX_OPUS_PACKET_BYTES, 3825);
  t.same({ ...AudioKind }, { Microphone: 1, Voice: 2 });
});

for (const { name, frame, wire } of FIXTURES) {
  t.test(`encode: ${name}`, async (t) => {
    const bytes = encodeAudioFrame(frame);
    t.ok(bytes instanceof Uint8Array);
    t.equal(bytes.byteOffset, 0);
    t.equal(bytes.byteLength, bytes.buffer.byteLength, 'owns its whole buffer');
    t.same([...bytes], [...wire]);
  });

  t.test(`decode: ${name}`, async (t) => {
    const result = decodeAudioFrame(wire);
    if (!result.ok) return t.fail(result.error.message);
    expectFrame(t, result.frame, frame);
    t.same([...encodeAudioFrame(result.frame)], [...wire], 'encodes back to the same bytes');
  });
}

t.test('decodes a subarray with a non-zero byteOffset', async (t) => {
  const wire = FIXTURES[0]!.wire;
  const backing = new Uint8Array(3 + wire.length + 2);
  backing.set([0xaa, 0xbb, 0xcc], 0);
  backing.set(wire, 3);
  backing.set([0xdd, 0xee], 3 + wire.length);
  const view = backing.subarray(3, 3 + wire.length);
  t.equal(view.byteOffset, 3);

  const result = decodeAudioFrame(view);
  if (!result.ok) return t.fail(result.error.message);
  expectFrame(t, result.frame, FIXTURES[0]!.frame);
  t.equal(result.frame.payload.buffer, backing.buffer, 'payload is a view, not a copy');
  t.equal(result.frame.payload.byteOffset, 3 + AUDIO_HEADER_BYTES);
  t.equal(result.frame.payload.length, 3, 'payload stops at the end of the view, not of the buffer');
});

t.test('decodes a Buffer that starts inside a larger allocation', async (t) => {
  const pool = Buffer.alloc(64, 0xff);
  const wire = FIXTURES[2]!.wire;
  pool.set(wire, 17);
  const slice = pool.subarray(17, 17 + wire.length);
  const result = decodeAudioFrame(slice);
  if (!result.ok) return t.fail(result.error.message);
  expectFrame(t, result.frame, FIXTURES[2]!.frame);
});

t.test('the largest frame is accepted, one byte more is not', async (t) => {
  const largest = new Uint8Array(AUDIO_HEADER_BYTES + MAX_OPUS_PACKET_BYTES);
  largest.set(hex('02 00 00 09 00 00 00 05'));
  const result = decodeAudioFrame(largest);
  if (!result.ok) return t.fail(result.error.message);
  t.equal(result.frame.payload.length, MAX_OPUS_PACKET_BYTES);
  t.same(
    [...encodeAudioFrame({ kind: 2, turn: 9, sequence: 5, payload: new Uint8Array(MAX_OPUS_PACKET_BYTES) })],
    [...largest],
  );
});

const MALFORMED: readonly [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one byte', hex('01')],
  ['header only, no payload', hex('01 00 00 07 00 00 01 02')],
  ['unknown kind 0', hex('00 00 00 07 00 00 01 02 fc')],
  ['unknown kind 3', hex('03 00 00 07 00 00 01 02 fc')],
  ['unknown kind 255', hex('ff 00 00 07 00 00 01 02 fc')],
  ['flags 1', hex('01 01 00 07 00 00 01 02 fc')],
  ['flags 0x80', hex('02 80 00 07 00 00 01 02 fc')],
  ['turn 0', hex('01 00 00 00 00 00 01 02 fc')],
  ['one byte too long', new Uint8Array(AUDIO_HEADER_BYTES + MAX_OPUS_PACKET_BYTES + 1).fill(1)],
  ['far too long', new Uint8Array(64 * 1024).fill(1)],
];

for (const [name, bytes] of MALFORMED) {
  t.test(`rejects ${name}`, async (t) => {
    const result = decodeAudioFrame(bytes);
    t.equal(result.ok, false);
    if (result.ok) return;
    t.equal(result.error.code, 'malformed_frame');
    t.type(result.error.message, 'string');
    t.ok(result.error.message.length > 0);
  });
}

t.test('rejection reasons name the problem', async (t) => {
  const message = (bytes: Uint8Array) => {
    const result = decodeAudioFrame(bytes);
    return result.ok ? '' : result.error.message;
  };
  t.match(message(hex('01 00 00 07')), /4 bytes/);
  t.match(message(hex('03 00 00 07 00 00 01 02 fc')), /kind 3/);
  t.match(message(hex('01 02 00 07 00 00 01 02 fc')), /flags 2/);
  t.match(message(hex('01 00 00 00 00 00 01 02 fc')), /turn 0/);
});

t.test('encode throws RangeError on out-of-range fields', async (t) => {
  const good: AudioFrame = { kind: 1, turn: 7, sequence: 258, payload: Uint8Array.from([0xfc]) };
  const bad: [string, AudioFrame][] = [
    ['kind 0', { ...good, kind: 0 as AudioFrame['kind'] }],
    ['kind 3', { ...good, kind: 3 as AudioFrame['kind'] }],
    ['kind 257 (would wrap to 1 in a byte)', { ...good, kind: 257 as AudioFrame['kind'] }],
    ['turn 0', { ...good, turn: 0 }],
    ['turn 65536', { ...good, turn: 65536 }],
    ['turn -1', { ...good, turn: -1 }],
    ['turn 1.5', { ...good, turn: 1.5 }],
    ['turn NaN', { ...good, turn: Number.NaN }],
    ['sequence -1', { ...good, sequence: -1 }],
    ['sequence 2^32', { ...good, sequence: 2 ** 32 }],
    ['sequence 0.5', { ...good, sequence: 0.5 }],
    ['sequence Infinity', { ...good, sequence: Number.POSITIVE_INFINITY }],
    ['empty payload', { ...good, payload: new Uint8Array(0) }],
    ['payload too long', { ...good, payload: new Uint8Array(MAX_OPUS_PACKET_BYTES + 1) }],
  ];
  for (const [name, frame] of bad) t.throws(() => encodeAudioFrame(frame), RangeError, name);
  t.doesNotThrow(() => encodeAudioFrame(good));
});

t.test('decoding random bytes never throws (seeded)', async (t) => {
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  let accepted = 0;
  let unstable = 0;
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(next() % 24);
    for (let j = 0; j < bytes.length; j++) bytes[j] = next() & 0xff;
    // Give a quarter of them a plausible header so the accepting path is exercised too.
    if (i % 4 === 0 && bytes.length > 2) {
      bytes[0] = 1 + (next() % 2);
      bytes[1] = 0;
    }
    const result = decodeAudioFrame(bytes);
    if (result.ok) {
      accepted++;
      if (encodeAudioFrame(result.frame).join() !== bytes.join()) unstable++;
    } else if (result.error.code !== 'malformed_frame') {
      t.fail(`unexpected code ${String(result.error.code)}`);
    }
  }
  t.ok(accepted > 0, `${accepted} random frames were valid`);
  t.equal(unstable, 0, 'every accepted frame encodes back to its own bytes');
});
