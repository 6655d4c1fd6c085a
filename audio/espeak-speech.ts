import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { AudioError } from './audio-error.js';
import { PcmByteReader } from './pcm-bytes.js';
import { Resampler } from './resampler.js';

export interface EspeakSpeechOptions {
  /** espeak-ng voice name (en-us, en-gb, en-us+f3, ...). */
  readonly voice: string;
  /** 0-99. */
  readonly pitch: number;
  /** Words per minute. */
  readonly speed: number;
  /** The rate of the PCM this yields; espeak-ng's own 22050 Hz is converted. */
  readonly sampleRate: number;
  /** The program to run; defaults to espeak-ng on the PATH. */
  readonly command?: string;
}

const STDERR_LIMIT = 2048;
// espeak-ng's header is 44 bytes; anything this long without a data chunk is not a WAV stream.
const HEADER_LIMIT = 4096;

/**
 * Speaks `text` with espeak-ng and yields mono 16-bit PCM at `options.sampleRate` while espeak
 * is still synthesising. The text goes in on stdin, never on the command line, so no text can
 * become an option. Aborting kills espeak-ng; the stream ends only once it has exited.
 */
export async function* speakWithEspeak(
  text: string,
  options: EspeakSpeechOptions,
  signal: AbortSignal,
): AsyncIterable<Int16Array> {
  if (signal.aborted) throw abortedError(signal);
  const command = options.command ?? 'espeak-ng';
  const child = spawn(
    command,
    ['--stdout', '-v', options.voice, '-p', integerArg('pitch', options.pitch), '-s', integerArg('speed', options.speed)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, exitSignal) => resolve({ code, signal: exitSignal }));
  });
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError ??= error;
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (data: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += data.slice(0, STDERR_LIMIT - stderr.length);
  });
  // espeak-ng may exit before reading all its input (an unknown voice); its exit status says why.
  child.stdin.on('error', () => {});
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  signal.addEventListener('abort', kill, { once: true });

  try {
    try {
      await once(child, 'spawn');
    } catch (error) {
      throw startError(command, error);
    }
    child.stdin.end(text);

    const header = new StreamedWavHeader();
    const bytes = new PcmByteReader();
    let resampler: Resampler | undefined;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      if (signal.aborted) break;
      let body: Uint8Array = chunk;
      if (resampler === undefined) {
        const parsed = header.push(chunk);
        if (parsed === undefined) continue;
        resampler = new Resampler(parsed.sampleRate, options.sampleRate);
        body = parsed.rest;
      }
      const pcm = resampler.push(bytes.push(body));
      if (pcm.length > 0) yield pcm;
    }
    if (signal.aborted) throw abortedError(signal);

    const exit = await exited;
    if (signal.aborted) throw abortedError(signal);
    if (spawnError !== undefined) throw startError(command, spawnError);
    if (exit.code !== 0) {
      const why = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
      // Killed by a signal (out of memory, say) may not happen again; an exit status will.
      throw new AudioError('tts_failed', `${command} exited with ${exit.code ?? exit.signal}${why}`, {
        retryable: exit.signal !== null,
      });
    }
    if (resampler === undefined) throw new AudioError('tts_failed', `${command} wrote no WAV header`);
    const tail = resampler.flush();
    if (tail.length > 0) yield tail;
  } finally {
    signal.removeEventListener('abort', kill);
    // Also reached when the consumer stops early: never leave espeak-ng running or unreaped.
    if (child.exitCode === null && child.signalCode === null && spawnError === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

interface WavStreamStart {
  readonly sampleRate: number;
  /** Bytes after the header: the first PCM. */
  readonly rest: Uint8Array;
}

/**
 * Reads a WAV header that may arrive in pieces. The data size is ignored: a streamed WAV
 * cannot know it and espeak-ng writes a placeholder, so PCM simply runs to the end of the stream.
 */
class StreamedWavHeader {
  private buffered = new Uint8Array(0);

  push(chunk: Uint8Array): WavStreamStart | undefined {
    const joined = new Uint8Array(this.buffered.length + chunk.length);
    joined.set(this.buffered);
    joined.set(chunk, this.buffered.length);
    this.buffered = joined;
    const found = parseHeader(joined);
    if (found === undefined && joined.length > HEADER_LIMIT) throw badStream('no data chunk in the first bytes');
    return found;
  }
}

function parseHeader(bytes: Uint8Array): WavStreamStart | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw badStream('not a RIFF/WAVE stream');
  let sampleRate: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'data') {
      if (sampleRate === undefined) throw badStream('data before fmt');
      return { sampleRate, rest: bytes.subarray(body) };
    }
    if (id === 'fmt ') {
      if (body + 16 > bytes.length) return undefined;
      const format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const bits = view.getUint16(body + 14, true);
      if (format !== 1 || channels !== 1 || bits !== 16) {
        throw badStream(`expected mono 16-bit PCM, got format ${format}, ${channels} channels, ${bits} bits`);
      }
      sampleRate = view.getUint32(body + 4, true);
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

function integerArg(name: string, value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`espeak-ng ${name} must be a number, got ${value}`);
  return String(Math.round(value));
}

function startError(command: string, error: unknown): AudioError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES') {
    return new AudioError(
      'tts_unavailable',
      `cannot run ${command} (${code}): offline speech needs espeak-ng; on Debian install the package espeak-ng`,
      { cause: error },
    );
  }
  return new AudioError('tts_failed', `cannot start ${command}: ${(error as Error).message}`, { cause: error });
}

function abortedError(signal: AbortSignal): AudioError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new AudioError('aborted', `speech aborted: ${reason}`);
}

function badStream(reason: string): AudioError {
  return new AudioError('tts_failed', `espeak-ng output is not a usable WAV stream: ${reason}`);
}
