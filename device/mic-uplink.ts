import { AudioKind, type AudioFrame } from '../protocol/index.js';

/** The turn microphone frames are sent for; the counters are the turn's own. */
export interface UplinkTurn {
  readonly turn: number;
  /** The sequence number of the turn's next microphone frame. */
  sequence: number;
  /** Frames the link took (a full socket buffer refuses them). */
  framesSent: number;
}

/** Where the Opus packets come from: AudioCapture, or a fake in tests. */
export interface PacketSource {
  packets(signal: AbortSignal): AsyncIterable<Uint8Array>;
}

interface Run<T> {
  readonly controller: AbortController;
  target: T;
}

/**
 * Streams the microphone to the gateway as the frames of one turn.
 *
 * The microphone serves one capture at a time, so a new capture waits for the last one to let go.
 * In hands-free the capture does not stop between turns: `handOver` makes its next frame the next
 * turn's first (sequence 0), so not a frame of the child's voice is lost at the turn's edge, and a
 * real microphone is not reopened (which costs an arecord start, some 100 ms on a Pi Zero).
 */
export class MicUplink<T extends UplinkTurn> {
  private run: Run<T> | undefined;
  /** Settles when every capture started so far has ended and sent its last frame. */
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: PacketSource,
    private readonly send: (frame: AudioFrame) => boolean,
    /** The capture failed (the microphone broke); `turn` is the one it was streaming for. */
    private readonly failed: (turn: T, error: Error) => void,
  ) {}

  /** The turn a capture that has not been stopped streams for, if any. */
  get streamingFor(): T | undefined {
    return this.run?.target;
  }

  /** Starts capturing for `turn` once the microphone is free; any capture still running stops first. */
  start(turn: T): void {
    this.run?.controller.abort();
    const run: Run<T> = { controller: new AbortController(), target: turn };
    this.run = run;
    this.idle = this.idle.then(() => this.stream(run));
  }

  /** The running capture goes on for `turn`: its next frame is that turn's first. False when nothing captures. */
  handOver(turn: T): boolean {
    if (this.run === undefined) return false;
    this.run.target = turn;
    return true;
  }

  /**
   * Stops the capture if it streams for `turn` (or whatever it streams for, without a turn).
   * Resolves once the microphone has let go and the last (padded) frame has gone out.
   */
  stop(turn?: T): Promise<void> {
    const run = this.run;
    // Handed on to another turn: this one's frames ended at the hand-over.
    if (run !== undefined && turn !== undefined && run.target !== turn) return Promise.resolve();
    if (run !== undefined) {
      this.run = undefined;
      run.controller.abort();
    }
    return this.idle;
  }

  private async stream(run: Run<T>): Promise<void> {
    try {
      for await (const payload of this.source.packets(run.controller.signal)) {
        // Read per frame: a hand-over between two frames moves the very next one to the new turn.
        const target = run.target;
        if (this.send({ kind: AudioKind.Microphone, turn: target.turn, sequence: target.sequence, payload })) target.framesSent++;
        target.sequence++;
      }
    } catch (error) {
      if (this.run === run) this.run = undefined;
      this.failed(run.target, error as Error);
    }
    // A source that ends by itself leaves nothing running.
    if (this.run === run) this.run = undefined;
  }
}
