import type { SafetyToken } from './safety-tokens.js';
import { GROUPS } from './safety-terms.js';
import type { Term } from './safety-terms.js';

type WordTest = (form: string) => boolean;

interface CompiledTerm {
  readonly words: readonly WordTest[];
  readonly severity: number;
}

/** Finds the worst listed term in tokenised text, ignoring matches inside harmless phrases. */
export class TermMatcher {
  private readonly terms: readonly CompiledTerm[];
  private readonly harmless: readonly (readonly WordTest[])[];

  constructor(terms: readonly Term[], harmless: readonly string[]) {
    this.terms = terms.flatMap(([pattern, severity]) => expand(pattern).map((p) => ({ words: compile(p), severity })));
    this.harmless = harmless.flatMap(expand).map(compile);
  }

  /** The highest severity found, 0 when nothing matched. */
  severity(tokens: readonly SafetyToken[]): number {
    const covered = new Array<boolean>(tokens.length).fill(false);
    for (const words of this.harmless) {
      for (let start = 0; start + words.length <= tokens.length; start++) {
        if (matchesAt(words, tokens, start)) covered.fill(true, start, start + words.length);
      }
    }
    let worst = 0;
    for (const term of this.terms) {
      if (term.severity <= worst) continue;
      for (let start = 0; start + term.words.length <= tokens.length; start++) {
        if (!matchesAt(term.words, tokens, start)) continue;
        if (covered.slice(start, start + term.words.length).some(Boolean)) continue;
        worst = term.severity;
        break;
      }
    }
    return worst;
  }
}

function expand(pattern: string): string[] {
  return pattern.includes('{group}') ? GROUPS.map((g) => pattern.replaceAll('{group}', g)) : [pattern];
}

function compile(pattern: string): WordTest[] {
  return pattern.split(' ').map((word): WordTest => {
    if (word === '_') return () => true;
    if (word.endsWith('*')) {
      const stem = word.slice(0, -1);
      return (form) => form.startsWith(stem);
    }
    return (form) => form === word;
  });
}

function matchesAt(words: readonly WordTest[], tokens: readonly SafetyToken[], start: number): boolean {
  return words.every((test, i) => tokens[start + i]!.some(test));
}
