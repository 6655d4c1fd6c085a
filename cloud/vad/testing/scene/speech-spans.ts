import { VAD_SAMPLE_RATE } from '../../vad.js';

/** Labels are decided per 10 ms. */
export const LABEL_TICK = VAD_SAMPLE_RATE / 100;
/** A tick is speech when within this many dB of the loudest tick of the same clean speech. */
const RANGE_DB = 40;
/** Pauses shorter than this inside speech (stops, gaps between words) are labelled speech, as VAD corpora do. */
const BRIDGE_MS = 150;
const ABSOLUTE_FLOOR_DB = -70;

export interface SampleSpan {
  /** First sample (inclusive). */
  readonly start: number;
  /** End (exclusive). */
  readonly end: number;
}

/**
 * Where `clean` (speech with no noise added) holds speech, in samples, cut at 10 ms ticks. This
 * is the ground truth of the tests and the benchmark, so it is deliberately plain: loudness
 * relative to the speech's own peak, short pauses bridged.
 */
export function speechSpans(clean: Int16Array): SampleSpan[] {
  const ticks = Math.ceil(clean.length / LABEL_TICK);
  const level = new Float64Array(ticks);
  let loudest = -Infinity;
  for (let t = 0; t < ticks; t++) {
    const from = t * LABEL_TICK;
    const to = Math.min(clean.length, from + LABEL_TICK);
    let sum = 0;
    for (let i = from; i < to; i++) sum += ((clean[i] as number) / 32768) ** 2;
    level[t] = 10 * Math.log10(sum / Math.max(1, to - from) + 1e-12);
    loudest = Math.max(loudest, level[t] as number);
  }
  const threshold = Math.max(loudest - RANGE_DB, ABSOLUTE_FLOOR_DB);
  const spans: { start: number; end: number }[] = [];
  const bridge = Math.round(BRIDGE_MS / 10);
  for (let t = 0; t < ticks; t++) {
    if ((level[t] as number) < threshold) continue;
    const last = spans[spans.length - 1];
    if (last !== undefined && t - last.end <= bridge) last.end = t + 1;
    else spans.push({ start: t, end: t + 1 });
  }
  return spans.map((s) => ({ start: s.start * LABEL_TICK, end: Math.min(clean.length, s.end * LABEL_TICK) }));
}

/** `pcm` without the silence before the first and after the last speech tick. */
export function trimSilence(pcm: Int16Array): Int16Array {
  const spans = speechSpans(pcm);
  const first = spans[0];
  const last = spans[spans.length - 1];
  if (first === undefined || last === undefined) return pcm.slice(0, 0);
  return pcm.slice(first.start, last.end);
}
