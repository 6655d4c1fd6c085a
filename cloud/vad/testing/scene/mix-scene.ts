import { speechSpans, type SampleSpan } from './speech-spans.js';

export interface PlacedSpeech {
  readonly pcm: Int16Array;
  /** First sample of `pcm` in the scene. */
  readonly at: number;
}

export interface SceneOptions {
  readonly samples: number;
  /** Utterances, each already trimmed to its speech, at their positions; they must not overlap. */
  readonly speech: readonly PlacedSpeech[];
  /** Noise with an RMS of 1, as long as the scene at least, and where the speech is this many dB above it. */
  readonly noise?: { readonly signal: Float32Array; readonly snrDb: number };
  /** The speech's active level in dBFS (mean power over its speech ticks); -26 is a usual microphone level. */
  readonly speechLevelDb?: number;
}

export interface Scene {
  readonly pcm: Int16Array;
  /** Each utterance as placed: its first and last sample of speech. */
  readonly utterances: readonly SampleSpan[];
  /** Frame-level truth: where the clean speech is, pauses under 150 ms bridged. */
  readonly speech: readonly SampleSpan[];
}

/**
 * Speech at known places, brought to a known level, plus noise at a known signal-to-noise ratio
 * (measured on the speech's active parts, as ITU-T P.56 does, so pauses do not flatter the SNR).
 */
export function mixScene(options: SceneOptions): Scene {
  const { samples } = options;
  const clean = new Float64Array(samples);
  const utterances: SampleSpan[] = [];
  const speech: SampleSpan[] = [];
  let activePower = 0;
  let activeSamples = 0;
  for (const placed of options.speech) {
    const spans = speechSpans(placed.pcm);
    for (const span of spans) {
      for (let i = span.start; i < span.end; i++) activePower += ((placed.pcm[i] as number) / 32768) ** 2;
      activeSamples += span.end - span.start;
      speech.push({ start: placed.at + span.start, end: placed.at + span.end });
    }
    utterances.push({ start: placed.at, end: placed.at + placed.pcm.length });
    for (let i = 0; i < placed.pcm.length && placed.at + i < samples; i++) clean[placed.at + i] = (placed.pcm[i] as number) / 32768;
  }
  const level = activeSamples > 0 ? activePower / activeSamples : 0;
  const target = 10 ** ((options.speechLevelDb ?? -26) / 10);
  const speechGain = level > 0 ? Math.sqrt(target / level) : 0;
  const noiseGain = options.noise === undefined ? 0 : Math.sqrt(target / 10 ** (options.noise.snrDb / 10));
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const noise = options.noise === undefined ? 0 : (options.noise.signal[i] ?? 0) * noiseGain;
    const v = Math.round(((clean[i] as number) * speechGain + noise) * 32768);
    pcm[i] = Math.max(-32768, Math.min(32767, v));
  }
  speech.sort((a, b) => a.start - b.start);
  return { pcm, utterances, speech };
}
