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
export function spawnAplay(device: string, sampleRate: number, events: AplayEvents): Aplay {
  const args = ['-q', '-D', device, '-t', 'raw', '-f', 'S16_LE', '-r', String(sampleRate), '-c', '1'];
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
