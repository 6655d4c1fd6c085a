import { createRequire } from 'node:module';
import { AudioError } from './audio-error.js';
import { bytesFromPcm, pcmFromBytes } from './pcm-bytes.js';

export type OpusSampleRate = 8000 | 12000 | 16000 | 24000 | 48000;
export type OpusFrameMs = 20 | 40 | 60;

export interface OpusEncoderOptions {
  sampleRate: OpusSampleRate;
  frameMs: OpusFrameMs;
  /** Bits per second, 6000..510000. */
  bitrate: number;
  /** 'voip' tunes for speech; the library's own default is 'audio'. */
  application?: 'voip' | 'audio';
  /** Discontinuous transmission: silence shrinks to 1-2 byte packets. */
  dtx?: boolean;
}

export interface OpusEncoder {
  readonly sampleRate: OpusSampleRate;
  readonly frameMs: OpusFrameMs;
  /** Samples in one frame: sampleRate * frameMs / 1000. */
  readonly frameSamples: number;
  /** Encodes exactly one mono frame of `frameSamples`. */
  encode(frame: Int16Array): Uint8Array;
}

export interface OpusDecoder {
  readonly sampleRate: OpusSampleRate;
  /** Decodes one packet to mono samples (as many as the packet holds). */
  decode(packet: Uint8Array): Int16Array;
}

// The native binding: one class that encodes and decodes (see @discordjs/opus typings).
interface NativeOpus {
  encode(pcm: Buffer): Buffer;
  decode(packet: Buffer): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
  setBitrate(bitrate: number): void;
  getBitrate(): number;
}
type NativeOpusClass = new (rate: number, channels: number) => NativeOpus;

// Request numbers and values from libopus' opus_defines.h.
const OPUS_SET_APPLICATION = 4000;
const OPUS_SET_DTX = 4016;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_APPLICATION_AUDIO = 2049;
const SAMPLE_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];
const FRAME_MS: readonly number[] = [20, 40, 60];

let nativeClass: NativeOpusClass | undefined;

// Loaded on first use so processes that never touch Opus do not pay for the addon.
function loadNative(): NativeOpusClass {
  if (nativeClass === undefined) {
    const require = createRequire(import.meta.url);
    try {
      nativeClass = (require('@discordjs/opus') as { OpusEncoder: NativeOpusClass }).OpusEncoder;
    } catch (error) {
      throw new AudioError('opus_unavailable', `cannot load @discordjs/opus: ${(error as Error).message}`, { cause: error });
    }
  }
  return nativeClass;
}

export function createOpusEncoder(options: OpusEncoderOptions): OpusEncoder {
  const { sampleRate, frameMs, bitrate } = options;
  if (!SAMPLE_RATES.includes(sampleRate)) throw new RangeError(`Opus cannot encode at ${sampleRate} Hz`);
  if (!FRAME_MS.includes(frameMs)) throw new RangeError(`Opus frames of ${frameMs} ms are not supported here`);
  if (!Number.isInteger(bitrate) || bitrate < 6000 || bitrate > 510_000) throw new RangeError(`bitrate ${bitrate} is outside 6000..510000`);

  const native = new (loadNative())(sampleRate, 1);
  // The application can only change before the first frame is encoded.
  native.applyEncoderCTL(OPUS_SET_APPLICATION, options.application === 'voip' ? OPUS_APPLICATION_VOIP : OPUS_APPLICATION_AUDIO);
  native.setBitrate(bitrate);
  if (options.dtx === true) native.applyEncoderCTL(OPUS_SET_DTX, 1);
  const frameSamples = (sampleRate * frameMs) / 1000;

  return {
    sampleRate,
    frameMs,
    frameSamples,
    encode(frame: Int16Array): Uint8Array {
      // The binding takes the frame size from the buffer length and cannot report a bad one.
      if (frame.length !== frameSamples) {
        throw new AudioError('bad_frame', `an Opus frame at ${sampleRate} Hz / ${frameMs} ms has ${frameSamples} samples, got ${frame.length}`);
      }
      return native.encode(bytesFromPcm(frame));
    },
  };
}

export function createOpusDecoder(sampleRate: OpusSampleRate): OpusDecoder {
  if (!SAMPLE_RATES.includes(sampleRate)) throw new RangeError(`Opus cannot decode at ${sampleRate} Hz`);
  const native = new (loadNative())(sampleRate, 1);
  return {
    sampleRate,
    decode(packet: Uint8Array): Int16Array {
      // An empty packet would ask libopus for 120 ms of concealment, which is never what a caller means.
      if (packet.byteLength === 0) throw new AudioError('bad_packet', 'empty Opus packet');
      const input = Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
      let decoded: Buffer;
      try {
        decoded = native.decode(input);
      } catch (error) {
        throw new AudioError('bad_packet', `Opus could not decode a ${packet.byteLength}-byte packet: ${(error as Error).message}`, { cause: error });
      }
      return pcmFromBytes(decoded);
    },
  };
}
