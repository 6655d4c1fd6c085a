/** The microphone delivers 16 kHz, mono, signed 16-bit PCM. */
export const MICROPHONE_SAMPLE_RATE = 16_000;

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
