import fc from 'fast-check';
import { AUDIO_HEADER_BYTES, AudioKind, CloseCode, ErrorCode, MAX_CONTROL_FRAME_BYTES, PROTOCOL_VERSION, UPLINK_AUDIO, parseDeviceMessage } from '../../../protocol/index.js';

/** A text frame (string) or a binary frame (bytes), as a fuzzing client sends it. */
export type FuzzFrame = string | Uint8Array;

/** The WebSocket's own limit on one frame (the gateway's `maxPayload`): past it `ws` closes with 1009. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * How a fuzzing connection ends, and the close codes its client may see then. Every ending but the
 * client's own (close, reset, half a frame) is the gateway's answer the contract promises.
 */
export const FUZZ_ENDINGS = Object.freeze({
  /** Says nothing more: the hello timer closes it (unauthenticated only). */
  hello_timeout: { before: true, after: false, weight: 1, closes: [CloseCode.HelloTimeout] },
  /** A valid message that is not hello (unauthenticated only): not_ready, then 4000. */
  not_hello: { before: true, after: false, weight: 3, closes: [CloseCode.ProtocolError] },
  /** An audio frame before hello. */
  audio_before_hello: { before: true, after: false, weight: 3, closes: [CloseCode.ProtocolError] },
  /** A hello of a registered device with a wrong secret, or of a device nobody registered: scrypt runs. */
  wrong_secret: { before: true, after: false, weight: 3, closes: [CloseCode.Unauthorized] },
  unknown_device: { before: true, after: false, weight: 3, closes: [CloseCode.Unauthorized] },
  bad_version: { before: true, after: false, weight: 3, closes: [CloseCode.VersionMismatch] },
  /** A hello with audio the gateway does not take. */
  bad_audio: { before: true, after: false, weight: 3, closes: [CloseCode.ProtocolError] },
  /** One frame past maxPayload: `ws` closes with 1009 (Message Too Big). */
  oversized: { before: true, after: true, weight: 3, closes: [1009] },
  /** A text frame that is not UTF-8: `ws` closes with 1007 (Invalid Frame Payload Data). */
  bad_utf8: { before: true, after: true, weight: 3, closes: [1007] },
  /**
   * Frames sent as fast as the socket takes them, past the allowance: 4007. The gateway stops
   * reading and cuts the socket a second later, so the close frame arrives first.
   */
  flood: { before: true, after: true, weight: 1, closes: [CloseCode.Flooding] },
  /** The same device connects again (authenticated only): the older connection is closed with 4004. */
  replaced: { before: false, after: true, weight: 2, closes: [CloseCode.Replaced] },
  /** The client closes normally: the gateway answers the close handshake. */
  client_close: { before: true, after: true, weight: 3, closes: [1000] },
  /** The client drops the TCP connection (mid-turn, mid-hello). */
  reset: { before: true, after: true, weight: 3, closes: [1006] },
  /** The client sends half of a WebSocket frame's bytes, then drops the connection. */
  half_frame: { before: true, after: true, weight: 3, closes: [1006] },
} as const);

export type FuzzEnding = keyof typeof FUZZ_ENDINGS;

/** One fuzzing connection: authenticated (a real hello first) or not, frames, then its ending. */
export interface FuzzScript {
  readonly authenticated: boolean;
  /** An authenticated script's hello announces hands_free, so hands-free turns (and the VAD) run too. */
  readonly handsFree: boolean;
  readonly frames: readonly FuzzFrame[];
  readonly ending: FuzzEnding;
}

export interface FuzzScriptOptions {
  readonly seed: number;
  /** Real Opus packets of the uplink format, so some audio reaches the decoder and the recogniser. */
  readonly opus: readonly Uint8Array[];
  /** Frames per connection at most: authenticated ones get up to this many, unauthenticated a tenth. */
  readonly maxFrames?: number;
  /** Scripts drawn per fast-check sample: a chunk of the stream. */
  readonly chunk?: number;
}

/** Turn numbers that meet each other (1..6) more often than not, and out-of-range ones. */
const turnArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 70_000 }) });
const modeArb = fc.constantFrom('push', 'hands_free');
const helloOf = (overrides: Record<string, unknown> = {}) => ({
  type: 'hello',
  version: PROTOCOL_VERSION,
  deviceId: 'fuzz-stranger',
  secret: 'not-the-secret-of-anyone',
  firmware: 'fuzz',
  audio: UPLINK_AUDIO,
  capabilities: [],
  ...overrides,
});

/** Messages the contract allows, sent in any order: listen stop without start, report of no turn, a second hello... */
const validMessageArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('listen'), state: fc.constantFrom('start', 'stop'), turn: fc.integer({ min: 1, max: 6 }), mode: modeArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('abort'), turn: fc.integer({ min: 1, max: 6 }), reason: fc.constantFrom('barged_in', 'timeout', 'failed', '') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('report'), turn: fc.integer({ min: 1, max: 6 }), timings: fc.dictionary(fc.string({ maxLength: 8 }), fc.double({ noNaN: true, noDefaultInfinity: true }), { maxKeys: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('ping'), id: fc.integer({ min: 0, max: 1_000_000 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('pong'), id: fc.integer({ min: 0, max: 1_000_000 }) }) },
  { weight: 1, arbitrary: fc.constant(helloOf()) },
);

/** A valid message with one field replaced by anything, or one more field. */
const mutatedArb = fc
  .tuple(validMessageArb, fc.oneof(fc.constantFrom('type', 'turn', 'state', 'mode', 'id', 'timings', 'version', 'secret', 'audio'), fc.string({ maxLength: 6 })), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 40 }), fc.integer(), fc.double()))
  .map(([message, key, value]) => JSON.stringify({ ...message, [key]: value }));

/** A message cut short, as a frame torn in a buggy client would be. */
const truncatedArb = fc.tuple(validMessageArb, fc.nat()).map(([message, cut]) => {
  const text = JSON.stringify(message);
  return text.slice(0, cut % text.length);
});

const garbageTextArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
  fc.constantFrom('', '{', '}', '[]', 'null', '{"type":1}', '{"type":"listen"}', '{"type":"hello"}', '{"__proto__":{"type":"ping"}}', '{"type":"dance","turn":1}'),
);

/** Text past the protocol's 16 KiB control frame but within maxPayload: refused with malformed_frame, the session lives. */
const overlongTextArb = fc.integer({ min: MAX_CONTROL_FRAME_BYTES + 1, max: MAX_CONTROL_FRAME_BYTES + 4096 }).map((length) => `{"type":"ping","id":1,"pad":"${'a'.repeat(length)}"}`);

const garbageBytesArb = fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ minLength: 8, maxLength: 400 }), fc.uint8Array({ minLength: 3800, maxLength: 3900 }));

function audioArb(opus: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const payload = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...opus) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }) });
  const kind = fc.constantFrom(AudioKind.Microphone, AudioKind.Microphone, AudioKind.Microphone, AudioKind.Voice, 0, 255);
  const flags = fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1);
  return fc.record({ kind, flags, turn: turnArb, sequence: fc.integer({ min: 0, max: 0xffff }), payload }).map(({ kind, flags, turn, sequence, payload }) => {
    // Written by hand, not with encodeAudioFrame: the fuzzer wants frames the encoder would refuse, too.
    const frame = new Uint8Array(AUDIO_HEADER_BYTES + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint8(0, kind);
    view.setUint8(1, flags);
    view.setUint16(2, turn & 0xffff);
    view.setUint32(4, sequence);
    frame.set(payload, AUDIO_HEADER_BYTES);
    return frame;
  });
}

/**
 * Whether an unauthenticated text frame leaves the connection open: only frames the parser
 * refuses do (the hello may still follow), except a hello of another version, which closes.
 */
function keepsUnauthenticatedOpen(text: string): boolean {
  const parsed = parseDeviceMessage(text);
  return !parsed.ok && parsed.error.code !== ErrorCode.VersionMismatch;
}

function scriptArb(o: Required<Omit<FuzzScriptOptions, 'seed'>>): fc.Arbitrary<FuzzScript> {
  const audio = audioArb(o.opus);
  const before = fc.oneof(
    { weight: 4, arbitrary: garbageTextArb },
    { weight: 3, arbitrary: truncatedArb },
    { weight: 3, arbitrary: mutatedArb },
  );
  const after = fc.oneof(
    { weight: 5, arbitrary: validMessageArb.map((m) => JSON.stringify(m)) },
    { weight: 6, arbitrary: audio },
    { weight: 2, arbitrary: garbageBytesArb },
    { weight: 3, arbitrary: garbageTextArb },
    { weight: 2, arbitrary: truncatedArb },
    { weight: 2, arbitrary: mutatedArb },
  );
  // A flood costs thousands of frames and a hello timeout a wait: they come less often than the rest.
  const endings = (which: 'before' | 'after') =>
    fc.oneof(...(Object.keys(FUZZ_ENDINGS) as FuzzEnding[]).filter((e) => FUZZ_ENDINGS[e][which]).map((e) => ({ weight: FUZZ_ENDINGS[e].weight, arbitrary: fc.constant(e) })));
  // Overlong text is rare: one in a few hundred frames, so a connection is not mostly padding.
  const beforeFrames = fc.array(fc.oneof({ weight: 60, arbitrary: before }, { weight: 1, arbitrary: overlongTextArb }), {
    maxLength: Math.max(1, Math.round(o.maxFrames / 10)),
    size: 'max',
  });
  const afterFrames = fc.array(fc.oneof({ weight: 200, arbitrary: after }, { weight: 1, arbitrary: overlongTextArb }), { minLength: 10, maxLength: o.maxFrames, size: 'max' });
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        authenticated: fc.constant(false),
        handsFree: fc.constant(false),
        frames: beforeFrames.map((frames) => frames.filter((f) => typeof f !== 'string' || keepsUnauthenticatedOpen(f))),
        ending: endings('before'),
      }),
    },
    { weight: 2, arbitrary: fc.record({ authenticated: fc.constant(true), handsFree: fc.boolean(), frames: afterFrames, ending: endings('after') }) },
  );
}

/**
 * An endless stream of fuzzing connections, the same for the same seed: malformed, truncated,
 * overlong and mutated text, garbage and stray audio, valid messages out of order, each connection
 * ended by one of FUZZ_ENDINGS. Drawn with fast-check in chunks, so a long run needs no memory for
 * what it has already sent.
 */
export function* fuzzScripts(options: FuzzScriptOptions): Generator<FuzzScript> {
  const o = { opus: options.opus, maxFrames: options.maxFrames ?? 1200, chunk: options.chunk ?? 16 };
  if (o.opus.length === 0) throw new Error('fuzzScripts needs at least one Opus packet');
  const arb = scriptArb(o);
  for (let chunk = 0; ; chunk++) yield* fc.sample(arb, { seed: (options.seed + chunk * 7919) | 0, numRuns: o.chunk });
}

/** The hello of a stranger, a wrong secret, another version or other audio: the frames of the hello endings. */
export function refusedHello(ending: 'wrong_secret' | 'unknown_device' | 'bad_version' | 'bad_audio', registered: string): string {
  switch (ending) {
    case 'wrong_secret':
      return JSON.stringify(helloOf({ deviceId: registered }));
    case 'unknown_device':
      return JSON.stringify(helloOf({ deviceId: 'nobody-registered-this' }));
    case 'bad_version':
      return JSON.stringify(helloOf({ version: PROTOCOL_VERSION + 1 }));
    case 'bad_audio':
      return JSON.stringify(helloOf({ audio: { ...UPLINK_AUDIO, sampleRate: 48_000 } }));
  }
}
