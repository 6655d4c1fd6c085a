import { AUDIO_FRAME_MS, AUDIO_SAMPLE_RATES, type AudioParams } from './audio-params.js';
import { ErrorCode } from './error-codes.js';
import { FieldReader, isPlainObject } from './field-reader.js';
import { MAX_TEXT_LENGTH, MAX_TURN, type DeviceMessage, type GatewayMessage } from './messages.js';
import { PROTOCOL_VERSION } from './version.js';
import { VOLUME_RANGE } from './volume.js';

/** The largest text frame either side accepts, in UTF-8 bytes. */
export const MAX_CONTROL_FRAME_BYTES = 16 * 1024;

export interface ParseProblem {
  readonly code:
    | typeof ErrorCode.MalformedFrame
    | typeof ErrorCode.InvalidMessage
    | typeof ErrorCode.UnknownType
    | typeof ErrorCode.VersionMismatch;
  readonly message: string;
}

export type ParseResult<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly error: ParseProblem };

/** What a device id may look like (1..64 characters). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/**
 * How long the hello's secret may be, in characters. The gateway checks a
 * secret with a hash that is slow on purpose, so the length is bounded:
 * hashing megabytes per login attempt would be a cheap denial of service.
 */
export const SECRET_LENGTH: Readonly<{ min: number; max: number }> = Object.freeze({ min: 1, max: 256 });
const MAX_ID = 0xffff_ffff;
const MAX_VERSION = 0xffff;
/** Messages that carry the sender's PROTOCOL_VERSION. */
const VERSIONED = ['hello', 'welcome'];

type Reader = (r: FieldReader) => unknown;

function audioParams(r: FieldReader): AudioParams {
  return {
    codec: r.oneOf('codec', ['opus'] as const),
    sampleRate: r.oneOf('sampleRate', AUDIO_SAMPLE_RATES) as AudioParams['sampleRate'],
    channels: r.oneOf('channels', [1] as const),
    frameMs: r.oneOf('frameMs', AUDIO_FRAME_MS) as AudioParams['frameMs'],
  };
}

const turn = (r: FieldReader) => r.integer('turn', 1, MAX_TURN);

const shared: Record<string, Reader> = {
  abort: (r) => ({ type: 'abort', turn: turn(r), reason: r.string('reason', { max: 200 }) }),
  ping: (r) => ({ type: 'ping', id: r.integer('id', 0, MAX_ID) }),
  pong: (r) => ({ type: 'pong', id: r.integer('id', 0, MAX_ID) }),
};

const fromDevice: Record<string, Reader> = {
  ...shared,
  hello: (r) => ({
    type: 'hello',
    version: r.integer('version', 0, MAX_VERSION),
    deviceId: r.string('deviceId', { min: 1, max: 64, pattern: DEVICE_ID_PATTERN }),
    secret: r.string('secret', SECRET_LENGTH),
    firmware: r.string('firmware', { max: 64 }),
    audio: audioParams(r.nested('audio')),
    capabilities: r.stringList('capabilities', { maxItems: 32, maxLength: 64 }),
  }),
  report: (r) => ({ type: 'report', turn: turn(r), timings: r.numberMap('timings', { maxKeys: 32 }) }),
  listen: (r) => ({ type: 'listen', state: r.oneOf('state', ['start', 'stop'] as const), turn: turn(r), mode: r.oneOf('mode', ['push', 'hands_free'] as const) }),
};

const fromGateway: Record<string, Reader> = {
  ...shared,
  welcome: (r) => {
    const toy = r.nested('toy');
    const heartbeat = r.nested('heartbeat');
    return {
      type: 'welcome',
      version: r.integer('version', 0, MAX_VERSION),
      sessionId: r.string('sessionId', { min: 1, max: 64 }),
      audio: audioParams(r.nested('audio')),
      toy: toySettings(toy),
      heartbeat: { intervalMs: heartbeat.integer('intervalMs', 100, 600_000), timeoutMs: heartbeat.integer('timeoutMs', 100, 600_000) },
    };
  },
  settings: (r) => ({ type: 'settings', toy: toySettings(r.nested('toy')) }),
  transcript: (r) => ({ type: 'transcript', turn: turn(r), text: r.string('text', { max: MAX_TEXT_LENGTH }) }),
  reply: (r) => ({ type: 'reply', turn: turn(r), index: r.integer('index', 0, 10_000), text: r.string('text', { min: 1, max: MAX_TEXT_LENGTH }) }),
  speak: (r) => ({ type: 'speak', state: r.oneOf('state', ['start', 'stop'] as const), turn: turn(r) }),
  metrics: (r) => ({ type: 'metrics', turn: turn(r), timings: r.numberMap('timings', { maxKeys: 32 }) }),
  vad: (r) => ({ type: 'vad', turn: turn(r), event: r.oneOf('event', ['speech', 'end', 'idle', 'barge_in'] as const) }),
  error: (r) => {
    const message = {
      type: 'error',
      code: r.string('code', { min: 1, max: 64 }),
      message: r.string('message', { max: 500 }),
      retryable: r.boolean('retryable'),
    };
    return r.has('turn') ? { ...message, turn: turn(r) } : message;
  },
};

function toySettings(toy: FieldReader) {
  return {
    name: toy.string('name', { min: 1, max: 64 }),
    volume: toy.integer('volume', VOLUME_RANGE.min, VOLUME_RANGE.max),
    maxVolume: toy.integer('maxVolume', VOLUME_RANGE.min, VOLUME_RANGE.max),
    // Absent means unlocked, so a welcome from before locks existed still reads.
    locked: toy.has('locked') ? toy.boolean('locked') : false,
  };
}

function parseWith<T>(readers: Record<string, Reader>, text: string): ParseResult<T> {
  if (!fitsControlFrame(text)) {
    return fail(ErrorCode.MalformedFrame, `text frame exceeds ${MAX_CONTROL_FRAME_BYTES} bytes`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail(ErrorCode.MalformedFrame, 'text frame is not valid JSON');
  }
  if (!isPlainObject(data)) return fail(ErrorCode.MalformedFrame, 'text frame must be a JSON object');
  const type = data['type'];
  if (typeof type !== 'string') return fail(ErrorCode.InvalidMessage, "field 'type' must be a string");
  const read = Object.hasOwn(readers, type) ? readers[type] : undefined;
  if (!read) return fail(ErrorCode.UnknownType, `unknown message type '${type.slice(0, 40)}'`);
  const reader = new FieldReader(data);
  const message = read(reader);
  if (reader.problem) {
    // A peer of another version may send another shape: say why, not which field this version misses.
    const version = data['version'];
    if (VERSIONED.includes(type) && isOtherVersion(version)) {
      return fail(ErrorCode.VersionMismatch, `${type}: version ${version} is not ${PROTOCOL_VERSION} (${reader.problem})`);
    }
    return fail(ErrorCode.InvalidMessage, `${type}: ${reader.problem}`);
  }
  return { ok: true, message: message as T };
}

/** A well-formed version number that is not ours. */
function isOtherVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_VERSION && value !== PROTOCOL_VERSION;
}

/** Whether the UTF-8 encoding of `text` fits MAX_CONTROL_FRAME_BYTES; counts without encoding. */
function fitsControlFrame(text: string): boolean {
  // Every UTF-16 unit takes 1 to 3 UTF-8 bytes (a surrogate pair takes 4 for its two units).
  if (text.length > MAX_CONTROL_FRAME_BYTES) return false;
  if (text.length * 3 <= MAX_CONTROL_FRAME_BYTES) return true;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3; // the rest of the BMP; a lone surrogate is sent as U+FFFD, also 3 bytes
    if (bytes > MAX_CONTROL_FRAME_BYTES) return false;
  }
  return true;
}

function fail(code: ParseProblem['code'], message: string): { ok: false; error: ParseProblem } {
  return { ok: false, error: { code, message } };
}

/** What the gateway accepts. Never throws: bad input gives `{ ok: false, error }`. */
export function parseDeviceMessage(text: string): ParseResult<DeviceMessage> {
  return parseWith(fromDevice, text);
}

/** What the device accepts. Never throws: bad input gives `{ ok: false, error }`. */
export function parseGatewayMessage(text: string): ParseResult<GatewayMessage> {
  return parseWith(fromGateway, text);
}

/** Text frames are plain JSON; this exists so both sides serialise the same way. */
export function encodeMessage(message: DeviceMessage | GatewayMessage): string {
  return JSON.stringify(message);
}
