import { abortError } from '../provider-error.js';
import { personalInfoSeverity } from './personal-info.js';
import type { SafetyCategory, SafetyDirection, SafetyFilter, SafetyVerdict } from './safety-filter.js';
import { HARMLESS_PHRASES, TERMS } from './safety-terms.js';
import type { TermCategory } from './safety-terms.js';
import { safetyTokens } from './safety-tokens.js';
import { TermMatcher } from './term-matcher.js';

/** The highest severity (0-7) still allowed, per category; anything above is blocked. */
export type SafetyThresholds = Readonly<Partial<Record<SafetyCategory, number>>>;

export interface LocalSafetyFilterOptions {
  /** Thresholds for what the child says, merged over DEFAULT_INPUT_THRESHOLDS. */
  readonly input?: SafetyThresholds;
  /** Thresholds for what the toy says, merged over DEFAULT_OUTPUT_THRESHOLDS. */
  readonly output?: SafetyThresholds;
}

/**
 * A child may say "stupid" or ask about a gun and deserves an answer; anything about hurting
 * themselves must reach the gentle self-harm reply, and private details must not travel on.
 */
export const DEFAULT_INPUT_THRESHOLDS: Readonly<Record<SafetyCategory, number>> = Object.freeze({
  hate: 2,
  self_harm: 0,
  sexual: 1,
  violence: 3,
  personal_info: 2,
  profanity: 2,
});

/** The toy itself says nothing rude, sexual, hateful or about self-harm, and only mild peril. */
export const DEFAULT_OUTPUT_THRESHOLDS: Readonly<Record<SafetyCategory, number>> = Object.freeze({
  hate: 0,
  self_harm: 0,
  sexual: 0,
  violence: 2,
  personal_info: 2,
  profanity: 0,
});

// When two categories tie, the one needing the most care wins: it decides the toy's redirect.
const PRIORITY: readonly SafetyCategory[] = ['self_harm', 'sexual', 'hate', 'violence', 'personal_info', 'profanity'];
const TERM_CATEGORIES: readonly TermCategory[] = ['hate', 'self_harm', 'sexual', 'violence', 'profanity'];

/** A word-list safety filter that needs no network: the fallback and the first line of defence. */
export class LocalSafetyFilter implements SafetyFilter {
  readonly name = 'local';
  private readonly thresholds: Readonly<Record<SafetyDirection, Readonly<Record<SafetyCategory, number>>>>;
  private readonly matchers: ReadonlyArray<readonly [TermCategory, TermMatcher]>;

  constructor(options: LocalSafetyFilterOptions = {}) {
    this.thresholds = {
      input: { ...DEFAULT_INPUT_THRESHOLDS, ...options.input },
      output: { ...DEFAULT_OUTPUT_THRESHOLDS, ...options.output },
    };
    this.matchers = TERM_CATEGORIES.map((c) => [c, new TermMatcher(TERMS[c], HARMLESS_PHRASES)] as const);
  }

  async check(text: string, direction: SafetyDirection, signal: AbortSignal): Promise<SafetyVerdict> {
    if (signal.aborted) throw abortError(signal);
    return this.checkNow(text, direction);
  }

  /** The same verdict without the promise, for callers that are not streaming. */
  checkNow(text: string, direction: SafetyDirection): SafetyVerdict {
    const readings = safetyTokens(text);
    const categories: Partial<Record<SafetyCategory, number>> = {};
    for (const [category, matcher] of this.matchers) {
      const severity = Math.max(...readings.map((tokens) => matcher.severity(tokens)));
      if (severity > 0) categories[category] = severity;
    }
    const personal = personalInfoSeverity(text, direction);
    if (personal > 0) categories.personal_info = personal;

    const thresholds = this.thresholds[direction];
    const found = PRIORITY.filter((c) => categories[c] !== undefined);
    const blocked = found.filter((c) => categories[c]! > thresholds[c]);
    // The category that explains the verdict: the worst blocked one, or else the worst found.
    const category = worstOf(blocked.length > 0 ? blocked : found, categories);
    const verdict: SafetyVerdict = {
      allowed: blocked.length === 0,
      categories,
      severity: Math.max(0, ...found.map((c) => categories[c]!)),
      provider: this.name,
    };
    return category === undefined ? verdict : { ...verdict, category };
  }
}

function worstOf(
  candidates: readonly SafetyCategory[],
  categories: Partial<Record<SafetyCategory, number>>,
): SafetyCategory | undefined {
  let worst: SafetyCategory | undefined;
  for (const c of candidates) if (worst === undefined || categories[c]! > categories[worst]!) worst = c;
  return worst;
}
