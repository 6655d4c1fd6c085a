/**
 * How long each simulated provider takes, in milliseconds: the typical latencies of the cloud
 * chain, so the gateway can be measured on its own (bench/latency) without a network or a key.
 */
export interface SimulatedLatencies {
  /** From the end of the audio (listen stop) to the transcript. */
  readonly sttMs: number;
  /** One safety check, either direction. */
  readonly safetyMs: number;
  /** From the request to the language model's first token. */
  readonly llmFirstTokenMs: number;
  /** Between two tokens after the first. */
  readonly llmTokenMs: number;
  /** From the request to the voice's first audio. */
  readonly ttsFirstByteMs: number;
}

export const DEFAULT_SIMULATED_LATENCIES: SimulatedLatencies = Object.freeze({
  sttMs: 300,
  safetyMs: 75,
  llmFirstTokenMs: 400,
  llmTokenMs: 30,
  ttsFirstByteMs: 250,
});

/** A simulated wait that came to its end. */
export type SimulatedStage = 'stt' | 'safety' | 'llmFirstToken' | 'llmToken' | 'ttsFirstByte';

/**
 * Hears how long each simulated wait was meant to take and really took: timers fire late on a
 * loaded event loop, and a benchmark wants to know by how much. A token the consumer asks for
 * late is meant to wait less (or not at all), so only the timer's own lateness shows.
 */
export type LatencyObserver = (stage: SimulatedStage, plannedMs: number, actualMs: number) => void;
