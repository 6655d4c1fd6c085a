import type { SafetyDirection, SafetyFilter, SafetyVerdict, VerdictCategory } from './safety-filter.js';

/**
 * Two filters in a row: the local word list first, then a cloud classifier. Text is allowed only
 * when both allow it.
 *
 * The local filter goes first because it is instant and is the only one that finds private
 * details (addresses, phone numbers, full names). When it blocks, its verdict is final and the
 * text is never sent to the cloud: a child's address has no business leaving the gateway, and
 * the cloud could only add severities to a block already decided.
 *
 * When the cloud check fails (unreachable, 5xx, timeout) this filter fails closed: it throws
 * the cloud's error rather than trusting the word list alone. For a children's product an
 * unchecked sentence is worse than a missed one; the turn answers a failed check with its gentle
 * fallback, and whether to retry or fall back to another filter is the turn's call, not ours.
 */
export class LayeredSafetyFilter implements SafetyFilter {
  readonly name: string;
  private readonly local: SafetyFilter;
  private readonly cloud: SafetyFilter;

  constructor(local: SafetyFilter, cloud: SafetyFilter) {
    this.local = local;
    this.cloud = cloud;
    this.name = `${local.name}+${cloud.name}`;
  }

  async check(text: string, direction: SafetyDirection, signal: AbortSignal): Promise<SafetyVerdict> {
    const first = await this.local.check(text, direction, signal);
    if (!first.allowed) return first;
    const second = await this.cloud.check(text, direction, signal);
    return mergeVerdicts([first, second], this.name);
  }
}

/** One verdict from several: allowed only if all allow, the worst severity per category, explained by the worst blocker. */
export function mergeVerdicts(verdicts: readonly SafetyVerdict[], provider: string): SafetyVerdict {
  const categories: Partial<Record<VerdictCategory, number>> = {};
  for (const verdict of verdicts) {
    for (const [category, severity] of Object.entries(verdict.categories) as Array<[VerdictCategory, number]>) {
      categories[category] = Math.max(categories[category] ?? 0, severity);
    }
  }
  const blockers = verdicts.filter((v) => !v.allowed);
  // The verdict that blocked explains the block; when all allowed, the one that found the worst.
  const explaining = worst(blockers.length > 0 ? blockers : verdicts);
  const merged: SafetyVerdict = {
    allowed: blockers.length === 0,
    categories,
    severity: Math.max(0, ...verdicts.map((v) => v.severity)),
    provider,
  };
  return explaining?.category === undefined ? merged : { ...merged, category: explaining.category };
}

function worst(verdicts: readonly SafetyVerdict[]): SafetyVerdict | undefined {
  let found: SafetyVerdict | undefined;
  for (const v of verdicts) if (found === undefined || v.severity > found.severity) found = v;
  return found;
}
