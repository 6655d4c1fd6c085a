import fc from 'fast-check';
import t from 'tap';
import { AUDIO_HEADER_BYTES, AudioKind, MAX_OPUS_PACKET_BYTES, decodeAudioFrame, encodeAudioFrame } from './audio-frame.js';
import { UPLINK_AUDIO } from './audio-params.js';
import { ErrorCode } from './error-codes.js';
import { MAX_TURN, type DeviceMessage } from './messages.js';
import { encodeMessage, parseDeviceMessage, parseGatewayMessage } from './parse-message.js';
import { PROTOCOL_VERSION } from './version.js';

/**
 * Properties of the parsers over inputs nobody wrote by hand, with a fixed
 * seed so a failure is the same failure on every run: whatever a peer sends,
 * parsing answers (never throws) with a message or a known error, and what the
 * parser accepts it gives back unchanged when encoded again.
 */
const RUNS = { seed: 20261204, numRuns: 3000 };
const CODES = new Set<string>(Object.values(ErrorCode));

const VALID: readonly DeviceMessage[] = [
  { type: 'hello', version: PROTOCOL_VERSION, deviceId: 'toy-1', secret: 'a-long-enough-test-secret', firmware: '0.1.0', audio: UPLINK_AUDIO, capabilities: ['hands_free'] },
  { type: 'listen', state: 'start', turn: 3, mode: 'push' },
  { type: 'abort', turn: 3, reason: 'barged_in' },
  { type: 'report', turn: 3, timings: { voiceToVoiceMs: 812 } },
  { type: 'ping', id: 7 },
];

function answers(text: string): boolean {
  for (const parse of [parseDeviceMessage, parseGatewayMessage]) {
    const result = parse(text);
    if (!result.ok && !CODES.has(result.error.code)) return false;
    // What is accepted comes back the same through the encoder.
    if (result.ok && JSON.stringify(parse(encodeMessage(result.message))) !== JSON.stringify(result)) return false;
  }
  return true;
}

t.test('any text at all gets a message or a known error, never an exception', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), answers), RUNS), `${RUNS.numRuns} strings`);
});

t.test('any JSON value gets a message or a known error', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => answers(JSON.stringify(value) ?? 'null')), RUNS), `${RUNS.numRuns} JSON values`);
});

t.test('a valid message with one field replaced by anything is still answered, and what passes round-trips', async (t) => {
  const field = fc.constantFrom(...VALID).chain((message) =>
    fc.tuple(fc.constant(message), fc.constantFrom(...Object.keys(message), 'extra'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.integer(), fc.double())),
  );
  t.doesNotThrow(() => fc.assert(fc.property(field, ([message, key, value]) => answers(JSON.stringify({ ...message, [key]: value }))), RUNS), `${RUNS.numRuns} mutated messages`);
});

t.test('every listen message the contract allows parses back to itself', async (t) => {
  const listen = fc.record({
    type: fc.constant('listen' as const),
    state: fc.constantFrom('start' as const, 'stop' as const),
    turn: fc.integer({ min: 1, max: MAX_TURN }),
    mode: fc.constantFrom('push' as const, 'hands_free' as const),
  });
  const roundTrips = fc.property(listen, (message) => {
    const parsed = parseDeviceMessage(encodeMessage(message));
    return parsed.ok && JSON.stringify(parsed.message) === JSON.stringify(message);
  });
  t.doesNotThrow(() => fc.assert(roundTrips, RUNS), `${RUNS.numRuns} listen messages`);
});

t.test('any bytes as an audio frame are answered without an exception; valid frames round-trip', async (t) => {
  const anyBytes = fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    const result = decodeAudioFrame(bytes);
    return result.ok ? bytes.length > AUDIO_HEADER_BYTES : CODES.has(result.error.code);
  });
  t.doesNotThrow(() => fc.assert(anyBytes, RUNS), `${RUNS.numRuns} byte strings`);
  const frame = fc.record({
    kind: fc.constantFrom(AudioKind.Microphone, AudioKind.Voice),
    turn: fc.integer({ min: 1, max: MAX_TURN }),
    sequence: fc.integer({ min: 0, max: 0xffff_ffff }),
    payload: fc.uint8Array({ minLength: 1, maxLength: MAX_OPUS_PACKET_BYTES }),
  });
  const frameRoundTrips = fc.property(frame, (f) => {
    const decoded = decodeAudioFrame(encodeAudioFrame(f));
    return decoded.ok && decoded.frame.kind === f.kind && decoded.frame.turn === f.turn && decoded.frame.sequence === f.sequence && Buffer.from(decoded.frame.payload).equals(Buffer.from(f.payload));
  });
  t.doesNotThrow(() => fc.assert(frameRoundTrips, { ...RUNS, numRuns: 500 }), '500 valid frames');
});
