import { MAX_TURN } from './messages.js';

/**
 * A binary WebSocket frame: an 8-byte header, then one Opus packet.
 *
 *   byte 0     kind: 1 = microphone audio (device to gateway), 2 = toy voice (gateway to device)
 *   byte 1     flags: reserved, 0
 *   bytes 2-3  turn, unsigned 16-bit big-endian (the turn this audio belongs to)
 *   bytes 4-7  sequence, unsigned 32-bit big-endian (0 for the turn's first frame)
 *   bytes 8-   one Opus packet (1..1275 bytes per 20 ms, so at most 3 x 1275 for 60 ms)
 */
export const AUDIO_HEADER_BYTES = 8;
export const MAX_OPUS_PACKET_BYTES = 3 * 1275;

export const AudioKind = Object.freeze({ Microphone: 1, Voice: 2 } as const);
export type AudioKind = (typeof AudioKind)[keyof typeof AudioKind];

export interface AudioFrame {
  readonly kind: AudioKind;
  readonly turn: number;
  readonly sequence: number;
  readonly payload: Uint8Array;
}

export type AudioFrameResult =
  | { readonly ok: true; readonly frame: AudioFrame }
  | { readonly ok: false; readonly error: { readonly code: 'malformed_frame'; readonly message: string } };

/** Throws RangeError on a field out of range; the result is a fresh array, byteOffset 0. */
export function encodeAudioFrame(frame: AudioFrame): Uint8Array {
  if (frame.kind !== AudioKind.Microphone && frame.kind !== AudioKind.Voice) throw new RangeError(`kind ${frame.kind} out of range`);
  if (frame.turn < 1 || frame.turn > MAX_TURN || !Number.isInteger(frame.turn)) throw new RangeError(`turn ${frame.turn} out of range`);
  if (frame.sequence < 0 || frame.sequence > 0xffff_ffff || !Number.isInteger(frame.sequence)) throw new RangeError(`sequence ${frame.sequence} out of range`);
  if (frame.payload.length < 1 || frame.payload.length > MAX_OPUS_PACKET_BYTES) throw new RangeError(`payload of ${frame.payload.length} bytes`);
  const bytes = new Uint8Array(AUDIO_HEADER_BYTES + frame.payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, frame.kind);
  view.setUint8(1, 0);
  view.setUint16(2, frame.turn);
  view.setUint32(4, frame.sequence);
  bytes.set(frame.payload, AUDIO_HEADER_BYTES);
  return bytes;
}

/** Never throws. The payload is a view into `bytes`, not a copy. */
export function decodeAudioFrame(bytes: Uint8Array): AudioFrameResult {
  if (bytes.length < AUDIO_HEADER_BYTES + 1) return bad(`audio frame of ${bytes.length} bytes is shorter than its header plus one byte`);
  if (bytes.length > AUDIO_HEADER_BYTES + MAX_OPUS_PACKET_BYTES) return bad(`audio frame of ${bytes.length} bytes is too long`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = view.getUint8(0);
  if (kind !== AudioKind.Microphone && kind !== AudioKind.Voice) return bad(`unknown audio frame kind ${kind}`);
  const flags = view.getUint8(1);
  if (flags !== 0) return bad(`unknown audio frame flags ${flags}`);
  const turn = view.getUint16(2);
  if (turn === 0) return bad('audio frame turn 0 is not a turn');
  return { ok: true, frame: { kind, turn, sequence: view.getUint32(4), payload: bytes.subarray(AUDIO_HEADER_BYTES) } };
}

function bad(message: string): AudioFrameResult {
  return { ok: false, error: { code: 'malformed_frame', message } };
}
