/** A kind of harmful content: what a classifier or a word list can find in text. */
export type SafetyCategory = 'hate' | 'self_harm' | 'sexual' | 'violence' | 'personal_info' | 'profanity';

/**
 * Why a verdict came out as it did: a kind of content, or 'blocklist' when the text matched a
 * list of terms a parent or operator chose. The list is a rule, not a kind of content, so it
 * stays out of SafetyCategory and the filters that grade content need no threshold for it.
 */
export type VerdictCategory = SafetyCategory | 'blocklist';

export type SafetyDirection = 'input' | 'output';

export interface SafetyVerdict {
  readonly allowed: boolean;
  /** Severity 0 (none) to 7 (worst) for each category that was found at all. */
  readonly categories: Readonly<Partial<Record<VerdictCategory, number>>>;
  /** The category that explains the verdict: the worst blocked one, or else the worst found. */
  readonly category?: VerdictCategory;
  /** The worst severity found, 0 when clean. */
  readonly severity: number;
  readonly provider: string;
}

/** Checks one piece of text: the child's words ('input') or one sentence of the toy's reply ('output'). */
export interface SafetyFilter {
  readonly name: string;
  check(text: string, direction: SafetyDirection, signal: AbortSignal): Promise<SafetyVerdict>;
}
