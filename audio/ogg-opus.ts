export interface OggOpusOptions {
  /** The rate the audio had before encoding; players may resample back to it. */
  readonly inputSampleRate: number;
  /**
   * Samples of real audio at `inputSampleRate`. The last page's granule position then tells
   * decoders to drop what the encoder padded the last frame with. Default: keep every sample.
   */
  readonly inputSamples?: number;
  /** 48 kHz samples decoders discard at the start: the encoder's lookahead. */
  readonly preSkip?: number;
  /** The logical stream's serial number; any value works for a file with one stream. */
  readonly serial?: number;
  readonly vendor?: string;
}

/** libopus' lookahead at every sample rate, in 48 kHz samples (2.5 ms + 4 ms of delay compensation). */
export const OPUS_PRE_SKIP = 312;

const HEADER_BYTES = 27;
const FLAG_BOS = 0x02;
const FLAG_EOS = 0x04;
// Few, long pages cost fewest bytes (27 + lacing per page); a second each keeps seeking sane.
const MAX_PAGE_SAMPLES = 48_000;
const MAX_LACING = 255;

/**
 * An Ogg Opus file (RFC 7845) of one mono stream: the OpusHead page, the OpusTags page, then
 * the packets on pages of up to a second, the last one flagged end-of-stream. Packets are
 * whole Opus packets as an encoder returns them; their durations come from their TOC bytes.
 */
export function encodeOggOpus(packets: readonly Uint8Array[], options: OggOpusOptions): Buffer {
  const preSkip = options.preSkip ?? OPUS_PRE_SKIP;
  if (!Number.isInteger(options.inputSampleRate) || options.inputSampleRate <= 0) {
    throw new RangeError(`inputSampleRate must be a positive integer, got ${options.inputSampleRate}`);
  }
  if (!Number.isInteger(preSkip) || preSkip < 0 || preSkip > 0xffff) throw new RangeError(`preSkip must fit 16 bits, got ${preSkip}`);

  const serial = (options.serial ?? 0x706f6d6d) >>> 0;
  const pages: Buffer[] = [];
  let sequence = 0;
  const page = (segments: readonly Uint8Array[], granule: bigint, flags: number): void => {
    pages.push(oggPage(segments, granule, flags, serial, sequence++));
  };

  page([opusHead(preSkip, options.inputSampleRate)], 0n, FLAG_BOS);
  page([opusTags(options.vendor ?? 'pommai')], 0n, 0);

  const durations = packets.map(opusPacketSamples);
  const total = durations.reduce((sum, samples) => sum + samples, 0);
  let last = total;
  if (options.inputSamples !== undefined) {
    const kept = preSkip + (options.inputSamples * 48_000) / options.inputSampleRate;
    if (packets.length > 0 && (!Number.isInteger(kept) || kept > total || options.inputSamples < 0)) {
      throw new RangeError(`${options.inputSamples} input samples do not fit the ${total} samples the packets hold after a pre-skip of ${preSkip}`);
    }
    last = kept;
  }

  let onPage: Uint8Array[] = [];
  let lacing = 0;
  let pageSamples = 0;
  let granule = 0;
  packets.forEach((packet, index) => {
    const needs = Math.floor(packet.byteLength / 255) + 1;
    if (needs > MAX_LACING) throw new RangeError(`a ${packet.byteLength}-byte packet does not fit one Ogg page`);
    if (onPage.length > 0 && (lacing + needs > MAX_LACING || pageSamples >= MAX_PAGE_SAMPLES)) {
      page(onPage, BigInt(granule), 0);
      onPage = [];
      lacing = 0;
      pageSamples = 0;
    }
    onPage.push(packet);
    lacing += needs;
    pageSamples += durations[index] ?? 0;
    granule += durations[index] ?? 0;
  });
  if (onPage.length > 0) {
    // End trimming may only cut into the last page (RFC 7845 section 4.4).
    if (last <= granule - pageSamples) throw new RangeError(`${options.inputSamples} input samples end before the last page`);
    page(onPage, BigInt(last), FLAG_EOS);
  } else {
    // No audio at all: the tags page ends the stream.
    const tags = pages.pop();
    if (tags !== undefined) {
      tags[5] = FLAG_EOS;
      writeCrc(tags);
      pages.push(tags);
    }
  }
  return Buffer.concat(pages);
}

/** How many 48 kHz samples an Opus packet decodes to, from its TOC byte (RFC 6716 section 3.1). */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) throw new RangeError('an Opus packet cannot be empty');
  const config = toc >> 3;
  // SILK 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms, as 48 kHz samples.
  const frame = config < 12 ? [480, 960, 1920, 2880][config % 4] : config < 16 ? [480, 960][config % 2] : [120, 240, 480, 960][config % 4];
  const code = toc & 0x03;
  let frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  if (code === 3 && packet.byteLength < 2) frames = 0;
  const samples = (frame ?? 0) * frames;
  if (samples === 0 || samples > 5760) throw new RangeError(`malformed Opus packet (TOC 0x${toc.toString(16)})`);
  return samples;
}

function opusHead(preSkip: number, inputSampleRate: number): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(inputSampleRate, 12);
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // channel mapping family: mono/stereo, no table
  return head;
}

function opusTags(vendor: string): Buffer {
  const name = Buffer.from(vendor, 'utf8');
  const tags = Buffer.alloc(8 + 4 + name.byteLength + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(name.byteLength, 8);
  name.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + name.byteLength); // no user comments
  return tags;
}

function oggPage(packets: readonly Uint8Array[], granule: bigint, flags: number, serial: number, sequence: number): Buffer {
  const lacing: number[] = [];
  for (const packet of packets) {
    // A packet is a run of 255s ended by a smaller value, so one of exactly 255 bytes ends with a 0.
    for (let left = packet.byteLength; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
  }
  const bodyBytes = packets.reduce((sum, packet) => sum + packet.byteLength, 0);
  const out = Buffer.alloc(HEADER_BYTES + lacing.length + bodyBytes);
  out.write('OggS', 0, 'latin1');
  out[4] = 0; // version
  out[5] = flags;
  out.writeBigInt64LE(granule, 6);
  out.writeUInt32LE(serial, 14);
  out.writeUInt32LE(sequence, 18);
  out[26] = lacing.length;
  out.set(lacing, HEADER_BYTES);
  let at = HEADER_BYTES + lacing.length;
  for (const packet of packets) {
    out.set(packet, at);
    at += packet.byteLength;
  }
  writeCrc(out);
  return out;
}

/** The page checksum, computed with its own field zeroed and stored little-endian. */
function writeCrc(page: Buffer): void {
  page.writeUInt32LE(0, 22);
  page.writeUInt32LE(oggCrc(page), 22);
}

// Ogg's CRC-32: polynomial 0x04c11db7, MSB first, initial value 0, no final inversion (unlike zlib's).
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  return crc;
}
