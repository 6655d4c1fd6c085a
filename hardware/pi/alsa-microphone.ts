import { spawn } from 'node:child_process';
import { PcmByteReader } from '../../audio/pcm-bytes.js';
import { HardwareError } from '../hardware-error.js';
import { MICROPHONE_SAMPLE_RATE } from '../microphone.js';
import type { Microphone } from '../microphone.js';

export { hasCaptureDevice } from '../sound-card.js';

export interface AlsaMicrophoneOptions {
  /** ALSA capture device, e.g. 'default', 'plughw:1,0'. Always named: ALSA's guess is often wrong. */
  device?: string;
}

// Time a stopped arecord gets to exit before it is killed outright.
const EXIT_GRACE_MS = 1000;

/** A real microphone through an `arecord` child, one process per capture. */
export class AlsaMicrophone implements Microphone {
  readonly sampleRate = MICROPHONE_SAMPLE_RATE;
  readonly device: string;
  private readonly closing = new AbortController();
  private capturing = false;

  constructor(options: AlsaMicrophoneOptions = {}) {
    this.device = options.device ?? 'default';
  }

  async *capture(signal: AbortSignal): AsyncGenerator<Int16Array, void, undefined> {
    if (this.closing.signal.aborted) throw new HardwareError('mic_closed', 'the microphone is closed');
    if (this.capturing) throw new HardwareError('mic_busy', 'the microphone is already capturing', { retryable: true });
    if (signal.aborted) return;
    this.capturing = true;
    const args = ['-q', '-D', this.device, '-f', 'S16_LE', '-r', String(this.sampleRate), '-c', '1', '-t', 'raw'];
    const child = spawn('arecord', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let spawnError: Error | undefined;
    let stopped = false;
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.once('error', (error) => {
      spawnError = error;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-2000);
    });
    const stop = (): void => {
      stopped = true;
      child.kill('SIGTERM');
    };
    signal.addEventListener('abort', stop);
    this.closing.signal.addEventListener('abort', stop);
    try {
      const reader = new PcmByteReader();
      // After stop() arecord exits, stdout ends, and what it had already captured is still delivered.
      for await (const bytes of child.stdout as AsyncIterable<Buffer>) {
        const pcm = reader.push(bytes);
        if (pcm.length > 0) yield pcm;
      }
      const code = await exited;
      if (!stopped && (spawnError !== undefined || code !== 0)) {
        const reason = spawnError?.message ?? (stderr.trim().split('\n').pop() || `exit code ${code}`);
        throw new HardwareError('mic_unavailable', `cannot capture from ALSA device "${this.device}": ${reason}`, { cause: spawnError });
      }
    } finally {
      signal.removeEventListener('abort', stop);
      this.closing.signal.removeEventListener('abort', stop);
      if (child.exitCode === null && child.signalCode === null && spawnError === undefined) {
        // The reader left early (break, throw): the process must not outlive the capture.
        stop();
        const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      this.capturing = false;
    }
  }

  /** Ends a running capture; later captures throw. */
  async close(): Promise<void> {
    this.closing.abort();
  }
}
