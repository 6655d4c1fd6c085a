import { spawnAplay, type Aplay } from '../aplay-process.js';
import { HardwareError } from '../hardware-error.js';
import type { Speaker } from '../speaker.js';

export interface AlsaSpeakerOptions {
  sampleRate: number;
  /** ALSA playback device, e.g. 'default', 'plughw:1,0'. Always named: ALSA's guess is often wrong. */
  device?: string;
}

/**
 * A real speaker through an `aplay` child (not the npm 'speaker' module, which
 * aborts the whole process when ALSA has no default device). The pipe gives
 * backpressure: aplay stops reading while the card's buffer is full. drain()
 * closes aplay's input and waits for it to exit, which is when ALSA has played
 * everything; the next write starts a fresh process.
 */
export class AlsaSpeaker implements Speaker {
  readonly sampleRate: number;
  readonly device: string;
  private child: Aplay | undefined;
  /** The aplay playing out the end of a stretch after drain(): stop() must silence it too. */
  private draining: Aplay | undefined;
  private finishing: Promise<void> | undefined;
  private failure: HardwareError | undefined;
  private readonly pendingWrites = new Set<() => void>();
  private readonly pendingDrains = new Set<() => void>();
  private closed = false;

  constructor(options: AlsaSpeakerOptions) {
    if (!Number.isInteger(options.sampleRate) || options.sampleRate <= 0) throw new RangeError(`sampleRate must be a positive integer, got ${options.sampleRate}`);
    this.sampleRate = options.sampleRate;
    this.device = options.device ?? 'default';
  }

  async write(pcm: Int16Array): Promise<void> {
    if (this.closed) throw new HardwareError('speaker_closed', 'the speaker is closed');
    this.throwFailure();
    if (pcm.length === 0) return;
    // A copy: the caller may reuse its array as soon as this resolves.
    const bytes = Buffer.from(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
    if (this.finishing !== undefined) await this.finishing;
    if (this.closed) throw new HardwareError('speaker_closed', 'the speaker is closed');
    const child = this.child ?? this.start();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.pendingWrites.delete(done);
        resolve();
      };
      this.pendingWrites.add(done);
      // Called once aplay has taken the bytes, or with an error when it died or was stopped.
      child.stdin.write(bytes, () => done());
    });
    this.throwFailure();
  }

  async drain(): Promise<void> {
    const child = this.child;
    if (child !== undefined) {
      this.child = undefined;
      this.draining = child;
      const exited = new Promise<void>((resolve) => {
        const done = (): void => {
          this.pendingDrains.delete(done);
          if (this.draining === child) this.draining = undefined;
          resolve();
        };
        this.pendingDrains.add(done);
        child.once('close', done);
      });
      const finishing = exited.finally(() => {
        if (this.finishing === finishing) this.finishing = undefined;
      });
      this.finishing = finishing;
      child.stdin.end();
    }
    if (this.finishing !== undefined) await this.finishing;
    this.throwFailure();
  }

  stop(): void {
    // The running aplay, and one still playing out the end of the last reply: a barge-in silences both.
    const children = [this.child, this.draining];
    this.child = undefined;
    this.draining = undefined;
    this.finishing = undefined;
    for (const child of children) {
      if (child === undefined) continue;
      child.stdin.destroy();
      child.kill('SIGTERM');
    }
    for (const done of [...this.pendingWrites, ...this.pendingDrains]) done();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    this.closed = true;
  }

  /** Reports a failure once; the next write tries a fresh aplay. */
  private throwFailure(): void {
    const failure = this.failure;
    if (failure === undefined) return;
    this.failure = undefined;
    throw failure;
  }

  private start(): Aplay {
    const child: Aplay = spawnAplay(this.device, this.sampleRate, {
      onSpawnError: (error) => {
        this.failure ??= new HardwareError('driver_unavailable', `cannot run aplay (Debian package alsa-utils): ${error.message}`, { cause: error });
      },
      onClose: (code, signal, reason) => {
        if (this.child === child) this.child = undefined;
        // Killed by stop(), or a clean end: nothing to report.
        if (code === 0 || signal !== null || this.failure !== undefined) return;
        this.failure = new HardwareError('speaker_unavailable', `aplay -D ${this.device} exited with code ${code}${reason === '' ? '' : `: ${reason}`}`, { retryable: true });
        for (const done of [...this.pendingWrites]) done();
      },
    });
    this.child = child;
    return child;
  }
}
