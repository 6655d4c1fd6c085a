import { execFileSync, spawnSync } from 'node:child_process';
import t from 'tap';
import { FrameChunker } from './frame-chunker.js';
import { createOpusDecoder, createOpusEncoder } from './opus-codec.js';
import type { OpusEncoderOptions } from './opus-codec.js';
import { rms } from './pcm-level.js';
import { Resampler } from './resampler.js';
import { decodeWav } from './wav-file.js';

const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;

function sine(length: number, rate: number, hz: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)));
}

function speech(rate: number): Int16Array {
  const wav = decodeWav(execFileSync('espeak-ng', ['--stdout', 'Once upon a time a little dragon found a shiny red apple.']));
  const resampler = new Resampler(wav.sampleRate, rate);
  return Int16Array.from([...resampler.push(wav.pcm), ...resampler.flush()]);
}

/** Encodes and decodes in frames; reports the decoded signal and the packet sizes. */
function roundTrip(input: Int16Array, options: OpusEncoderOptions): { output: Int16Array; packetBytes: number[]; frames: number } {
  const encoder = createOpusEncoder(options);
  const decoder = createOpusDecoder(options.sampleRate);
  const chunker = new FrameChunker(encoder.frameSamples);
  const frames = chunker.push(input);
  const last = chunker.flush();
  if (last) frames.push(last);
  const output: number[] = [];
  const packetBytes: number[] = [];
  for (const frame of frames) {
    const packet = encoder.encode(frame);
    packetBytes.push(packet.byteLength);
    const decoded = decoder.decode(packet);
    if (decoded.length !== encoder.frameSamples) throw new Error(`decoded ${decoded.length} samples, expected ${encoder.frameSamples}`);
    output.push(...decoded);
  }
  return { output: Int16Array.from(output), packetBytes, frames: frames.length };
}

/** Best normalised correlation over the codec's delay (a few ms of look-ahead). */
function bestCorrelation(a: Int16Array, b: Int16Array, maxLag: number): number {
  let best = -1;
  for (let lag = 0; lag <= maxLag; lag++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i + lag < b.length && i < a.length; i++) {
      const x = a[i] ?? 0;
      const y = b[i + lag] ?? 0;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    if (aa > 0 && bb > 0) best = Math.max(best, ab / Math.sqrt(aa * bb));
  }
  return best;
}

const average = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

t.test('a sine survives 60 ms frames at 16 kHz', async (t) => {
  const input = sine(16000, 16000, 440);
  const { output, frames } = roundTrip(input, { sampleRate: 16000, frameMs: 60, bitrate: 16000 });
  t.equal(output.length, frames * 960);
  const correlation = bestCorrelation(input, output, 400);
  t.ok(correlation > 0.9, `correlation ${correlation.toFixed(3)}`);
  const ratio = rms(output) / rms(input);
  t.ok(ratio > 0.8 && ratio < 1.2, `rms ratio ${ratio.toFixed(3)}`);
});

const speechCases: Array<[OpusEncoderOptions, number]> = [
  [{ sampleRate: 16000, frameMs: 60, bitrate: 16000, application: 'voip' }, 16000],
  [{ sampleRate: 16000, frameMs: 60, bitrate: 16000 }, 16000],
  [{ sampleRate: 24000, frameMs: 60, bitrate: 24000 }, 24000],
  [{ sampleRate: 24000, frameMs: 60, bitrate: 20000 }, 24000],
];
for (const [options, rate] of speechCases) {
  const label = `${options.sampleRate / 1000} kHz, ${options.bitrate / 1000} kbps, ${options.application ?? 'audio'}`;
  t.test(`espeak speech survives at ${label}`, { skip: hasEspeak ? false : 'espeak-ng is not installed' }, async (t) => {
    const input = speech(rate);
    const { output, packetBytes } = roundTrip(input, options);
    const correlation = bestCorrelation(input, output, rate / 50);
    t.ok(correlation > 0.85, `correlation ${correlation.toFixed(3)}`);
    const ratio = rms(output) / rms(input);
    t.ok(ratio > 0.8 && ratio < 1.2, `rms ratio ${ratio.toFixed(3)}`);
    const budget = (options.bitrate * 0.06) / 8;
    const mean = average(packetBytes);
    t.comment(`${label}: ${mean.toFixed(1)} bytes per 60 ms frame on average, ${Math.max(...packetBytes)} at most (budget ${budget})`);
    t.ok(mean < budget * 1.1, 'the encoder keeps to its bitrate');
  });
}

t.test('DTX shrinks silence to tiny packets', async (t) => {
  const encoder = createOpusEncoder({ sampleRate: 16000, frameMs: 60, bitrate: 16000, application: 'voip', dtx: true });
  const sizes = Array.from({ length: 20 }, () => encoder.encode(new Int16Array(960)).byteLength);
  t.ok(sizes.slice(10).every((s) => s <= 3), `packet sizes ${sizes.join(',')}`);
});

t.test('frameSamples follows rate and duration', async (t) => {
  t.equal(createOpusEncoder({ sampleRate: 16000, frameMs: 60, bitrate: 16000 }).frameSamples, 960);
  t.equal(createOpusEncoder({ sampleRate: 24000, frameMs: 20, bitrate: 24000 }).frameSamples, 480);
  t.equal(createOpusEncoder({ sampleRate: 48000, frameMs: 40, bitrate: 32000 }).frameSamples, 1920);
});

t.test('a frame of the wrong size is refused', async (t) => {
  const encoder = createOpusEncoder({ sampleRate: 16000, frameMs: 60, bitrate: 16000 });
  t.throws(() => encoder.encode(new Int16Array(959)), { code: 'bad_frame', retryable: false });
  t.throws(() => encoder.encode(new Int16Array(320)), { code: 'bad_frame' });
});

t.test('bad options are refused before the encoder is built', async (t) => {
  t.throws(() => createOpusEncoder({ sampleRate: 22050 as 16000, frameMs: 60, bitrate: 16000 }), RangeError);
  t.throws(() => createOpusEncoder({ sampleRate: 16000, frameMs: 30 as 20, bitrate: 16000 }), RangeError);
  t.throws(() => createOpusEncoder({ sampleRate: 16000, frameMs: 60, bitrate: 100 }), RangeError);
  t.throws(() => createOpusDecoder(44100 as 48000), RangeError);
});

t.test('empty and corrupt packets are refused', async (t) => {
  const decoder = createOpusDecoder(16000);
  t.throws(() => decoder.decode(new Uint8Array(0)), { code: 'bad_packet' });
  // TOC code 3 with a frame count of zero is invalid by RFC 6716.
  t.throws(() => decoder.decode(Uint8Array.from([0x03, 0x00])), { code: 'bad_packet' });
  const encoder = createOpusEncoder({ sampleRate: 16000, frameMs: 20, bitrate: 16000 });
  t.equal(decoder.decode(encoder.encode(sine(320, 16000, 300))).length, 320, 'the decoder still works afterwards');
});

t.test('a packet in a plain Uint8Array at an odd offset decodes', async (t) => {
  const encoder = createOpusEncoder({ sampleRate: 24000, frameMs: 60, bitrate: 24000 });
  const packet = encoder.encode(sine(1440, 24000, 200));
  const framed = new Uint8Array(packet.byteLength + 1);
  framed.set(packet, 1);
  t.equal(createOpusDecoder(24000).decode(framed.subarray(1)).length, 1440);
});
