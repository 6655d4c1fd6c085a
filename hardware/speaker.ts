/** A mono, signed 16-bit PCM output at a fixed sample rate. */
export interface Speaker {
  readonly sampleRate: number;
  /** Queues samples; resolves once the driver has room for more (backpressure). */
  write(pcm: Int16Array): Promise<void>;
  /** Resolves when every sample written so far has been played. */
  drain(): Promise<void>;
  /** Cuts playback now and discards whatever is queued; pending drain() calls resolve. */
  stop(): void;
  close(): Promise<void>;
}
