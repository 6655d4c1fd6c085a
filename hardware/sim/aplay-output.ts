import { bytesFromPcm } from '../../audio/pcm-bytes.js';
import { spawnAplay, type Aplay } from '../aplay-process.js';

/**
 * Raw PCM into an `aplay` child. aplay instead of the 'speaker' package because
 * that one aborts the whole process when ALSA has no default device. The pipe
 * gives backpressure: aplay stops reading while the card's buffer is full.
 * A failure disables the output instead of throwing: the sound card is an
 * extra for people listening, never what the caller depends on.
 */
export class AplayOutput {
  readonly sampleRate: number;
  readonly device: string;
  private child: Aplay | undefined;
  /** The aplay playing out the end of a stretch after finish(): stop() must silence it too. */
  private draining: Aplay | undefined;
  private failure: Error | undefined;

  constructor(options: { sampleRate: number; device?: string }) {
    this.sampleRate = options.sampleRate;
    this.device = options.device ?? 'default';
  }

  /** Why the output gave up, if it did. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Resolves when aplay has taken the bytes (or at once if the output has failed). */
  write(pcm: Int16Array): Promise<void> {
    if (this.failure !== undefined || pcm.length === 0) return Promise.resolve();
    const child = this.child ?? this.start();
    return new Promise((resolve) => {
      // The callback runs once the bytes are handed to the pipe, or with an error when aplay died.
      child.stdin.write(Buffer.from(bytesFromPcm(pcm)), () => resolve());
    });
  }

  /** Cuts what aplay still holds; the next write starts a fresh process. */
  stop(): void {
    const children = [this.child, this.draining];
    this.child = undefined;
    this.draining = undefined;
    for (const child of children) {
      if (child === undefined) continue;
      child.stdin.destroy();
      child.kill('SIGTERM');
    }
  }

  /**
   * Lets aplay play what it has and waits for it to exit; the next write
   * starts a fresh process. Needed at the end of each stretch of audio: aplay
   * reads whole periods, and a partial last one is only played at end of input.
   */
  async finish(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    this.draining = child;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end();
    await exited;
    if (this.draining === child) this.draining = undefined;
  }

  private start(): Aplay {
    const child: Aplay = spawnAplay(this.device, this.sampleRate, {
      onSpawnError: (error) => {
        this.failure ??= new Error(`cannot run aplay: ${error.message}`, { cause: error });
        if (this.child === child) this.child = undefined;
      },
      onClose: (code, _signal, reason) => {
        // Only a process still in use can fail: one ended by stop() or finish() may exit with any status.
        if (this.child !== child) return;
        this.child = undefined;
        if (code !== 0) this.failure ??= new Error(`aplay -D ${this.device} exited with code ${code}${reason === '' ? '' : `: ${reason}`}`);
      },
    });
    this.child = child;
    return child;
  }
}
