import { open as openFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { AudioError } from './audio-error.js';
import { bytesFromPcm } from './pcm-bytes.js';

const HEADER_BYTES = 44;
const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;
// A streaming writer that dies before close() leaves these sizes; lenient readers
// (ours, sox) then read up to the end of the file, as they do for espeak-ng's output.
const UNKNOWN_SIZE = 0xffffffff;

export interface DecodedWav {
  sampleRate: number;
  /** Channels in the file; `pcm` is always mono. */
  channels: number;
  pcm: Int16Array;
}

/** A complete mono 16-bit PCM WAV file. */
export function encodeWav(pcm: Int16Array, sampleRate: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + pcm.byteLength);
  writeHeader(out, sampleRate, pcm.byteLength);
  bytesFromPcm(pcm).copy(out, HEADER_BYTES);
  return out;
}

/**
 * Reads a 16-bit PCM WAV (plain or WAVE_FORMAT_EXTENSIBLE), mixing channels
 * down to mono. Unknown chunks are skipped; a data size larger than the file
 * (streamed WAVs) means "up to the end".
 */
export function decodeWav(bytes: Uint8Array): DecodedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number): string => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw badWav('not a RIFF/WAVE file');

  let format: { channels: number; sampleRate: number; blockAlign: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.byteLength) throw badWav('fmt chunk is too short');
      format = readFormat(view, body, size);
    } else if (id === 'data') {
      if (format === undefined) throw badWav('data chunk comes before the fmt chunk');
      const available = bytes.byteLength - body;
      const length = Math.min(size, available);
      const frames = Math.floor(length / format.blockAlign);
      return { sampleRate: format.sampleRate, channels: format.channels, pcm: mixDown(view, body, frames, format.channels) };
    }
    // Chunks are padded to an even length.
    offset = body + size + (size % 2);
  }
  throw badWav(format === undefined ? 'no fmt chunk' : 'no data chunk');
}

function readFormat(view: DataView, at: number, size: number): { channels: number; sampleRate: number; blockAlign: number } {
  let formatTag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (formatTag === FORMAT_EXTENSIBLE) {
    // The real format is the first two bytes of the sub-format GUID, 24 bytes into the extension.
    if (size < 40 || at + 26 > view.byteLength) throw badWav('extensible fmt chunk is too short');
    formatTag = view.getUint16(at + 24, true);
  }
  if (formatTag !== FORMAT_PCM) throw badWav(`format ${formatTag} is not PCM`);
  if (bits !== 16) throw badWav(`${bits}-bit samples are not supported, only 16-bit`);
  if (channels === 0) throw badWav('zero channels');
  if (sampleRate === 0) throw badWav('zero sample rate');
  if (blockAlign !== channels * 2) throw badWav(`block align ${blockAlign} does not match ${channels} channels of 16 bits`);
  return { channels, sampleRate, blockAlign };
}

function mixDown(view: DataView, at: number, frames: number, channels: number): Int16Array {
  const pcm = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    const base = at + f * channels * 2;
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += view.getInt16(base + c * 2, true);
    pcm[f] = Math.round(sum / channels);
  }
  return pcm;
}

function writeHeader(out: Buffer, sampleRate: number, dataBytes: number): void {
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(dataBytes === UNKNOWN_SIZE ? UNKNOWN_SIZE : dataBytes + HEADER_BYTES - 8, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
}

function badWav(reason: string): AudioError {
  return new AudioError('bad_wav', `malformed WAV: ${reason}`);
}

/**
 * Writes a mono 16-bit WAV while audio arrives. Writes go out one after the
 * other through a file handle, so the event loop never waits on the disk;
 * close() patches the sizes into the header.
 */
export class WavFileWriter {
  readonly path: string;
  readonly sampleRate: number;
  private readonly file: FileHandle;
  private dataBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;

  private constructor(path: string, sampleRate: number, file: FileHandle) {
    this.path = path;
    this.sampleRate = sampleRate;
    this.file = file;
  }

  /** Creates (or truncates) the file and writes a provisional header. */
  static async open(path: string, sampleRate: number): Promise<WavFileWriter> {
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`sampleRate must be a positive integer, got ${sampleRate}`);
    const file = await openFile(path, 'w');
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      writeHeader(header, sampleRate, UNKNOWN_SIZE);
      await file.write(header, 0, HEADER_BYTES, 0);
    } catch (error) {
      await file.close();
      throw error;
    }
    return new WavFileWriter(path, sampleRate, file);
  }

  /** Samples written so far (queued writes included). */
  get samples(): number {
    return this.dataBytes / 2;
  }

  /**
   * Appends samples. The bytes are copied at once, so the caller may reuse
   * `pcm`; the promise settles when they are on disk.
   */
  write(pcm: Int16Array): Promise<void> {
    if (this.closed) return Promise.reject(new AudioError('wav_closed', `${this.path} is already closed`));
    if (pcm.length === 0) return this.tail;
    const bytes = Buffer.from(bytesFromPcm(pcm));
    const position = HEADER_BYTES + this.dataBytes;
    this.dataBytes += bytes.byteLength;
    this.tail = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      try {
        await this.file.write(bytes, 0, bytes.byteLength, position);
      } catch (error) {
        this.failure = error;
        throw error;
      }
    });
    // The returned promise reports the error; the chain keeps it for close().
    this.tail.catch(() => undefined);
    return this.tail;
  }

  /** Waits for queued writes, fixes the header and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.tail.catch(() => undefined);
      const header = Buffer.alloc(HEADER_BYTES);
      writeHeader(header, this.sampleRate, this.dataBytes);
      await this.file.write(header, 0, HEADER_BYTES, 0);
    } finally {
      await this.file.close();
    }
    if (this.failure !== undefined) throw this.failure;
  }
}
