import { UPLINK_AUDIO } from '../protocol/audio-params.js';

/** The microphone delivers mono signed 16-bit PCM at the uplink's rate (16 kHz), so nothing is resampled before Opus. */
export const MICROPHONE_SAMPLE_RATE = UPLINK_AUDIO.sampleRate;

export interface Microphone {
  readonly sampleRate: number;
  /**
   * Captures until `signal` aborts (the iteration then ends after what was
   * already captured) or until the source itself ends. Chunks are of any size.
   * Only one capture runs at a time.
   */
  capture(signal: AbortSignal): AsyncIterable<Int16Array>;
  close(): Promise<void>;
}
