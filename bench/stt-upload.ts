import { speakWithEspeak } from '../audio/espeak-speech.js';
import { encodeOggOpus, OPUS_PRE_SKIP } from '../audio/ogg-opus.js';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { encodeWav } from '../audio/wav-file.js';
import { percentile } from './percentile.js';

/**
 * What a cloud speech-to-text upload costs in bytes and CPU: a 16 kHz utterance as WAV (what
 * needs no work) against Ogg Opus at 16 and 24 kbps (60 ms voip frames, the uplink's own
 * settings). The audio is espeak-ng speech cut to 1, 3 and 10 s. Times are medians of
 * several runs, with the fastest run beside them: on a shared, loaded machine the fastest is
 * the better estimate of the CPU an encode really needs. "After release" is what is left to do
 * once the audio stream ends when frames are encoded as they arrive: the last frame and the mux.
 *
 *   node dist-bench/bench/stt-upload.js [--runs N]     (after npm run build:bench)
 *   node --import tsx bench/stt-upload.ts
 */

const RATE = 16_000;
const FRAME = 960;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;

const TEXT =
  'Once upon a time a little fox lived at the edge of a big green forest. Every morning she ran down to the river ' +
  'to say hello to her friend the duck, and every evening they watched the stars come out one by one. ' +
  'One day the duck asked her why the sky turns orange when the sun goes down.';

async function speech(seconds: number): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for await (const pcm of speakWithEspeak(TEXT, { voice: 'en-us+f3', pitch: 60, speed: 150, sampleRate: RATE }, new AbortController().signal)) parts.push(pcm);
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  const out = new Int16Array(seconds * RATE);
  for (let i = 0; i < out.length; i++) out[i] = all[i % all.length] ?? 0;
  return out;
}

/** The whole utterance at once: frames padded past the encoder's lookahead, then muxed. */
function oggOpus(pcm: Int16Array, bitrate: number): { bytes: Buffer; packets: Uint8Array[]; lastFrameAndMuxMs: number } {
  const encoder = createOpusEncoder({ sampleRate: RATE, frameMs: 60, bitrate, application: 'voip' });
  const frames = Math.ceil((pcm.length + OPUS_PRE_SKIP / 3) / FRAME);
  const padded = new Int16Array(frames * FRAME);
  padded.set(pcm);
  const packets: Uint8Array[] = [];
  for (let f = 0; f < frames - 1; f++) packets.push(encoder.encode(padded.subarray(f * FRAME, (f + 1) * FRAME)));
  // When frames are encoded as the child speaks, only this part is left once the button is released.
  const start = performance.now();
  packets.push(encoder.encode(padded.subarray((frames - 1) * FRAME)));
  const bytes = encodeOggOpus(packets, { inputSampleRate: RATE, inputSamples: pcm.length });
  return { bytes, packets, lastFrameAndMuxMs: performance.now() - start };
}

function median(values: number[]): number {
  return percentile(values, 50) ?? NaN;
}

function timed(work: () => unknown): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
// At the gateway's uplink to the provider; computed from the size, not measured.
const sendMs = (bytes: number, mbps: number): string => ((bytes * 8) / (mbps * 1000)).toFixed(1);

const rows: Record<string, unknown>[] = [];
for (const seconds of [1, 3, 10]) {
  const pcm = await speech(seconds);
  const wav = encodeWav(pcm, RATE);
  const wavMs = median(Array.from({ length: RUNS }, () => timed(() => encodeWav(pcm, RATE))));
  process.stdout.write(`\n${seconds} s of speech (${pcm.length} samples)\n`);
  process.stdout.write(`  wav            ${kb(wav.length).padStart(10)}  encode ${wavMs.toFixed(2)} ms   send at 10/100 Mbit/s: ${sendMs(wav.length, 10)}/${sendMs(wav.length, 100)} ms\n`);
  const row: Record<string, unknown> = { seconds, wavBytes: wav.length, wavEncodeMs: wavMs };
  for (const bitrate of [16_000, 24_000]) {
    oggOpus(pcm, bitrate); // warm-up: loads the addon, JIT
    const tails: number[] = [];
    const totals: number[] = [];
    let size = 0;
    let packets: Uint8Array[] = [];
    for (let run = 0; run < RUNS; run++) {
      let tail = 0;
      totals.push(
        timed(() => {
          const result = oggOpus(pcm, bitrate);
          size = result.bytes.length;
          packets = result.packets;
          tail = result.lastFrameAndMuxMs;
        }),
      );
      tails.push(tail);
    }
    const muxes = Array.from({ length: RUNS }, () => timed(() => encodeOggOpus(packets, { inputSampleRate: RATE, inputSamples: pcm.length })));
    const total = median(totals);
    const fastest = Math.min(...totals);
    const tail = median(tails);
    const mux = median(muxes);
    process.stdout.write(
      `  ogg ${String(bitrate / 1000).padStart(2)} kbit/s  ${kb(size).padStart(10)}  encode+mux median ${total.toFixed(1)} ms, fastest ${fastest.toFixed(1)} ms` +
        ` (mux alone ${mux.toFixed(2)} ms; after release ${tail.toFixed(2)} ms)   ${(wav.length / size).toFixed(1)}x smaller` +
        `   send at 10/100 Mbit/s: ${sendMs(size, 10)}/${sendMs(size, 100)} ms\n`,
    );
    row[`ogg${bitrate / 1000}Bytes`] = size;
    row[`ogg${bitrate / 1000}EncodeMuxMs`] = total;
    row[`ogg${bitrate / 1000}EncodeMuxFastestMs`] = fastest;
    row[`ogg${bitrate / 1000}MuxMs`] = mux;
    row[`ogg${bitrate / 1000}AfterReleaseMs`] = tail;
  }
  rows.push(row);
}
process.stdout.write(`\n${JSON.stringify({ type: 'stt-upload', runs: RUNS, rows })}\n`);
