export type SafetyCategory = 'hate' | 'self_harm' | 'sexual' | 'violence' | 'personal_info' | 'profanity';

export type SafetyDirection = 'input' | 'output';

export interface SafetyVerdict {
  readonly allowed: boolean;
  /** Severity 0 (none) to 7 (worst) for each category that was found at all. */
  readonly categories: Readonly<Partial<Record<SafetyCategory, number>>>;
  /** The worst category found, if any. */
  readonly category?: SafetyCategory;
  /** The worst severity found, 0 when clean. */
  readonly severity: number;
  readonly provider: string;
}

/** Checks one piece of text: the child's words ('input') or one sentence of the toy's reply ('output'). */
export interface SafetyFilter {
  readonly name: string;
  check(text: string, direction: SafetyDirection, signal: AbortSignal): Promise<SafetyVerdict>;
}
