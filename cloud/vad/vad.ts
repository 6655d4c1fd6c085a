import { UPLINK_AUDIO } from '../../protocol/index.js';

/** Every Vad hears the uplink's own format: mono signed 16-bit PCM at its rate (16 kHz). */
export const VAD_SAMPLE_RATE = UPLINK_AUDIO.sampleRate;

/**
 * A voice activity detector over one continuous audio stream. It is stateful (a noise floor, a
 * recurrent model), so one instance serves one stream.
 *
 * `process` takes PCM of any length and resolves with one speech probability (0..1) per analysis
 * window of `windowSamples` that the call completed, oldest first; samples short of a window wait
 * for the next call. Cutting a stream into different chunks gives the same probabilities. Calls
 * are answered in the order they were made, even when a caller does not await each one.
 *
 * It is asynchronous because a neural detector runs off the JavaScript thread; a detector that
 * needs no such thing still answers through a promise so callers need not care which they hold.
 */
export interface Vad {
  /** What it is, for logs and benchmarks: "energy", "silero". */
  readonly name: string;
  /** Samples per analysis window (16 kHz): the time resolution of its probabilities. */
  readonly windowSamples: number;
  process(pcm: Int16Array): Promise<Float32Array>;
  /** Forgets the stream: the next sample is the first of a new one. Pending samples are dropped. */
  reset(): void;
  /** Releases what the detector holds; it must not be used afterwards. */
  close(): Promise<void>;
}
