import { setTimeout as sleep } from 'node:timers/promises';

export interface PacingOptions {
  /** Duration of one frame. */
  readonly frameMs: number;
  /** How far ahead of the device's playback we may run: its jitter cushion. */
  readonly leadMs: number;
  /** 1 = real time. Tests and benchmarks speed playback up on both ends alike. */
  readonly rate: number;
  readonly now?: () => number;
  /** Waits; injectable so tests can run on a fake clock. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<unknown>;
}

/**
 * Sends frames no faster than the device plays them, keeping about `leadMs`
 * of audio queued on the device. The estimate of the device's queue drains
 * with the real clock, so pacing never drifts, and after a gap (a slow
 * sentence) the cushion is refilled at once instead of bursting everything.
 * Frames are pulled from upstream only when they may be sent: backpressure.
 */
export async function paceFrames(
  frames: AsyncIterable<Uint8Array>,
  send: (frame: Uint8Array) => void,
  options: PacingOptions,
  signal: AbortSignal,
): Promise<number> {
  const now = options.now ?? (() => performance.now());
  const wait = options.sleep ?? ((ms: number, s: AbortSignal) => sleep(ms, undefined, { signal: s }));
  let queuedMs = 0;
  let last = now();
  let sent = 0;
  const drain = () => {
    const t = now();
    queuedMs = Math.max(0, queuedMs - (t - last) * options.rate);
    last = t;
  };
  for await (const frame of frames) {
    signal.throwIfAborted();
    drain();
    if (queuedMs + options.frameMs > options.leadMs) {
      await wait((queuedMs + options.frameMs - options.leadMs) / options.rate, signal);
      drain();
    }
    send(frame);
    sent++;
    queuedMs += options.frameMs;
  }
  return sent;
}
