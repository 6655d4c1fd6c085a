import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { endianness } from 'node:os';
import { ProviderError } from '../provider-error.js';
import { BacktraceLog } from './backtrace-log.js';
import type { Segment } from './backtrace-log.js';

export interface DecodeOutput {
  /** What it printed on stdout: one line per utterance the voice activity detector heard. */
  readonly hypotheses: readonly string[];
  readonly utterances: readonly (readonly Segment[])[];
}

export const UNAVAILABLE_HINT = 'offline speech recognition needs the Debian packages pocketsphinx and pocketsphinx-en-us';

const MAX_STDOUT = 4096;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * One pocketsphinx_continuous run over one utterance, fed raw PCM while it is spoken.
 *
 * The program opens its input by name (`-infile /dev/stdin`), which fails on the socket Node
 * gives a child for stdin; a `cat` in a shell pipeline turns it into a real pipe. The shell,
 * cat and the decoder share a process group of their own, so kill() ends all three at once.
 */
export class PocketsphinxProcess {
  readonly finished: Promise<DecodeOutput>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly log = new BacktraceLog();
  private stdout = '';
  private exited = false;
  private killed = false;

  constructor(command: string, args: readonly string[]) {
    this.child = spawn('sh', ['-c', 'cat | exec "$0" "$@"', command, ...args], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      if (this.stdout.length < MAX_STDOUT) this.stdout += text.slice(0, MAX_STDOUT - this.stdout.length);
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => this.log.push(text));
    // Writes after the decoder died fail with EPIPE; its exit status tells the real story.
    this.child.stdin.on('error', () => {});
    this.finished = new Promise<DecodeOutput>((resolve, reject) => {
      let spawnError: Error | undefined;
      this.child.once('error', (error) => {
        spawnError = error;
      });
      this.child.once('close', (code, signal) => {
        this.exited = true;
        this.log.end();
        if (spawnError !== undefined) {
          reject(new ProviderError('stt_unavailable', `cannot start sh: ${spawnError.message}`, { cause: spawnError }));
        } else if (this.killed) {
          reject(new ProviderError('stt_killed', `${command} was stopped`));
        } else if (code === 127 || code === 126) {
          reject(new ProviderError('stt_unavailable', `cannot run ${command}: ${UNAVAILABLE_HINT}`));
        } else if (code !== 0) {
          const why = this.log.lastError === undefined ? '' : `: ${this.log.lastError}`;
          // A signal from outside (out of memory, say) may not recur; a failing exit status will.
          reject(new ProviderError('stt_failed', `${command} exited with ${code ?? signal}${why}`, { retryable: code === null }));
        } else {
          resolve({
            hypotheses: this.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== ''),
            utterances: this.log.utterances,
          });
        }
      });
    });
    // Whoever stops the decoder early does not want its result; the rejection must not go unhandled.
    this.finished.catch(() => {});
  }

  /** Sends samples and resolves when the pipe has room again (or the process is gone). */
  async write(pcm: Int16Array): Promise<void> {
    if (this.exited || this.killed || this.child.stdin.writableEnded || pcm.length === 0) return;
    // A copy, since the caller may reuse its buffer while this write is still queued.
    const bytes = Buffer.from(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    if (!LITTLE_ENDIAN) bytes.swap16();
    if (this.child.stdin.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.child.stdin.off('drain', done);
        this.child.off('close', done);
        resolve();
      };
      this.child.stdin.once('drain', done);
      this.child.once('close', done);
    });
  }

  /** End of audio: the decoder finishes the utterance and prints it. */
  end(): void {
    if (!this.child.stdin.writableEnded) this.child.stdin.end();
  }

  kill(): void {
    if (this.exited || this.killed) return;
    this.killed = true;
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
