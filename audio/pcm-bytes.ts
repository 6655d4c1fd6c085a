import { AudioError } from './audio-error.js';

// Int16Array uses the machine's byte order; the wire and WAV files are little-endian.
const MACHINE_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads little-endian signed 16-bit samples. Shares memory with `bytes` when
 * it can; copies when the view would be misaligned (a Buffer slice may start
 * at an odd offset, which Int16Array refuses).
 */
export function pcmFromBytes(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new AudioError('odd_pcm_bytes', `16-bit PCM needs an even number of bytes, got ${bytes.byteLength}`);
  }
  const samples = bytes.byteLength / 2;
  if (MACHINE_IS_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, samples);
  }
  const out = new Int16Array(samples);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < samples; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/** The samples as little-endian bytes; a view without copying on little-endian machines. */
export function bytesFromPcm(pcm: Int16Array): Buffer {
  if (MACHINE_IS_LITTLE_ENDIAN) return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const out = Buffer.allocUnsafe(pcm.byteLength);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i] ?? 0, i * 2);
  return out;
}

/**
 * Turns a byte stream (a child's stdout, a socket) into samples. Pipes split
 * data anywhere, so an odd trailing byte is carried into the next chunk.
 */
export class PcmByteReader {
  private carry: number | undefined;

  push(bytes: Uint8Array): Int16Array {
    if (bytes.byteLength === 0) return new Int16Array(0);
    let input = bytes;
    if (this.carry !== undefined) {
      input = new Uint8Array(bytes.byteLength + 1);
      input[0] = this.carry;
      input.set(bytes, 1);
      this.carry = undefined;
    }
    if (input.byteLength % 2 !== 0) {
      this.carry = input[input.byteLength - 1];
      input = input.subarray(0, input.byteLength - 1);
    }
    return pcmFromBytes(input);
  }

  /** True when half a sample is still waiting for its other byte. */
  get pending(): boolean {
    return this.carry !== undefined;
  }
}
