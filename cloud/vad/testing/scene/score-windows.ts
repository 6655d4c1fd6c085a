import type { SampleSpan } from './speech-spans.js';

export interface WindowCounts {
  truePositive: number;
  falsePositive: number;
  falseNegative: number;
  trueNegative: number;
}

/**
 * Frame-level agreement of a detector with the truth: window w covers samples
 * [w * windowSamples, (w + 1) * windowSamples) and is speech in truth when at least half of it
 * lies inside `speech`; the detector says speech at `threshold` or above.
 */
export function scoreWindows(probabilities: ArrayLike<number>, windowSamples: number, speech: readonly SampleSpan[], threshold = 0.5): WindowCounts {
  const counts: WindowCounts = { truePositive: 0, falsePositive: 0, falseNegative: 0, trueNegative: 0 };
  let span = 0;
  for (let w = 0; w < probabilities.length; w++) {
    const from = w * windowSamples;
    const to = from + windowSamples;
    while (span < speech.length && (speech[span] as SampleSpan).end <= from) span++;
    let inside = 0;
    for (let s = span; s < speech.length && (speech[s] as SampleSpan).start < to; s++) {
      const { start, end } = speech[s] as SampleSpan;
      inside += Math.max(0, Math.min(to, end) - Math.max(from, start));
    }
    const truth = inside * 2 >= windowSamples;
    const said = (probabilities[w] as number) >= threshold;
    if (truth && said) counts.truePositive++;
    else if (said) counts.falsePositive++;
    else if (truth) counts.falseNegative++;
    else counts.trueNegative++;
  }
  return counts;
}

export function addCounts(a: WindowCounts, b: WindowCounts): WindowCounts {
  return {
    truePositive: a.truePositive + b.truePositive,
    falsePositive: a.falsePositive + b.falsePositive,
    falseNegative: a.falseNegative + b.falseNegative,
    trueNegative: a.trueNegative + b.trueNegative,
  };
}

export function precisionRecallF1(c: WindowCounts): { precision: number; recall: number; f1: number } {
  const precision = c.truePositive / Math.max(1, c.truePositive + c.falsePositive);
  const recall = c.truePositive / Math.max(1, c.truePositive + c.falseNegative);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
