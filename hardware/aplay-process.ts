import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export type Aplay = ChildProcessByStdio<Writable, null, Readable>;

export interface AplayEvents {
  /** aplay could not be started at all (alsa-utils missing). */
  onSpawnError(error: Error): void;
  /** aplay ended; `reason` is the last line it wrote on stderr, if any. */
  onClose(code: number | null, signal: NodeJS.Signals | null, reason: string): void;
}

/**
 * One `aplay` child reading raw mono S16_LE PCM on stdin from a named ALSA
 * device: the one way both the simulated and the real speaker reach a card
 * (the npm 'speaker' module aborts the process when ALSA has no default device).
 */
export const APLAY_BUFFER_US = 150_000;

export function spawnAplay(device: string, sampleRate: number, events: AplayEvents): Aplay {
  // aplay's default buffer is up to 500 ms and playback starts only once it is full: a hidden
  // half second before the child hears anything. 150 ms in 30 ms periods starts sooner and is still
  // safe on a Pi Zero 2 W, since the pipe in front of aplay holds over a second more.
  const args = ['-q', '-D', device, '-t', 'raw', '-f', 'S16_LE', '-r', String(sampleRate), '-c', '1', `--buffer-time=${APLAY_BUFFER_US}`, `--period-time=${APLAY_BUFFER_US / 5}`];
  const child = spawn('aplay', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-1000);
  });
  // EPIPE when aplay exits early; the close event says why.
  child.stdin.on('error', () => undefined);
  child.once('error', (error) => events.onSpawnError(error));
  child.once('close', (code, signal) => events.onClose(code, signal, stderr.trim().split('\n').pop() ?? ''));
  return child;
}
