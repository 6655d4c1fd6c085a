import { isWordSegment } from './backtrace-log.js';
import type { Segment } from './backtrace-log.js';

export interface RejectionThresholds {
  /**
   * Least acceptable mean acoustic score per speech frame of the phrase decode, relative to the
   * phone-loop decode of the same audio (0: the phrase explains the audio as well as free phones do).
   */
  readonly minScore: number;
  /** The same for the worst single word of the phrase, which catches one wrong word in a right frame. */
  readonly minWordScore: number;
}

export interface AcousticConfidence {
  readonly score: number;
  readonly wordScore: number;
  /** 0..1; 0.5 exactly at the thresholds. */
  readonly confidence: number;
  readonly accepted: boolean;
}

// The logistic's width, in score units per frame: about the spread of right phrases around the threshold.
const CONFIDENCE_SPREAD = 6;
// Longer than any utterance the recogniser accepts, so a corrupt frame number cannot allocate much.
const MAX_FRAMES = 100_000;

const NOT_ACCEPTED: AcousticConfidence = Object.freeze({
  score: -Infinity,
  wordScore: -Infinity,
  confidence: 0,
  accepted: false,
});

/**
 * How well the phrase decode fits compared with the phone-loop decode of the same frames. A
 * grammar decode always returns its nearest phrase; this is how near. Both decodes must have
 * computed every senone in every frame (`-compallsen yes`), because pocketsphinx normalises each
 * frame's scores by the best senone it evaluated: otherwise the two are on different scales.
 */
export function acousticConfidence(
  phrase: readonly Segment[],
  loop: readonly Segment[],
  thresholds: RejectionThresholds,
): AcousticConfidence {
  const words = phrase.filter(isWordSegment);
  const speechFrames = words.reduce((sum, segment) => sum + frames(segment), 0);
  if (speechFrames === 0 || loop.length === 0) return NOT_ACCEPTED;

  const lastFrame = Math.max(...phrase.map((s) => s.endFrame), ...loop.map((s) => s.endFrame));
  if (!Number.isFinite(lastFrame) || lastFrame >= MAX_FRAMES) return NOT_ACCEPTED;
  // Loop phones rarely start where phrase words do, so each phone's score is spread over its frames.
  const loopByFrame = new Float64Array(lastFrame + 1);
  for (const segment of loop) {
    const length = frames(segment);
    if (length === 0) continue;
    for (let f = segment.startFrame; f <= segment.endFrame; f++) loopByFrame[f] = (loopByFrame[f] ?? 0) + segment.acousticScore / length;
  }

  const total = (segments: readonly Segment[]): number => segments.reduce((sum, s) => sum + s.acousticScore, 0);
  const score = (total(phrase) - total(loop)) / speechFrames;
  let wordScore = Infinity;
  for (const word of words) {
    let loopScore = 0;
    for (let f = word.startFrame; f <= word.endFrame; f++) loopScore += loopByFrame[f] ?? 0;
    wordScore = Math.min(wordScore, (word.acousticScore - loopScore) / frames(word));
  }

  // Word scores spread about twice as wide as whole-phrase scores, so they count half.
  const margin = Math.min(score - thresholds.minScore, (wordScore - thresholds.minWordScore) / 2);
  return {
    score,
    wordScore,
    confidence: 1 / (1 + Math.exp(-margin / CONFIDENCE_SPREAD)),
    accepted: margin >= 0,
  };
}

function frames(segment: Segment): number {
  return Math.max(0, segment.endFrame - segment.startFrame + 1);
}
