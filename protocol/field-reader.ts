/**
 * Reads fields of an untrusted JSON object. The first bad field is remembered
 * and every later read returns a placeholder, so a parser can read all fields
 * in a row and check `problem` once at the end.
 */
export class FieldReader {
  private firstProblem: { value: string | undefined };

  constructor(
    private readonly object: Record<string, unknown>,
    private readonly path = '',
    shared?: { value: string | undefined },
  ) {
    this.firstProblem = shared ?? { value: undefined };
  }

  /** The first bad field found, by this reader or any nested one. */
  get problem(): string | undefined {
    return this.firstProblem.value;
  }

  private fail<T>(field: string, expected: string, placeholder: T): T {
    this.firstProblem.value ??= `field '${this.path}${field}' must be ${expected}`;
    return placeholder;
  }

  string(field: string, options: { min?: number; max: number; pattern?: RegExp }): string {
    const value = this.object[field];
    const min = options.min ?? 0;
    if (typeof value !== 'string' || value.length < min || value.length > options.max) {
      return this.fail(field, `a string of ${min}..${options.max} characters`, '');
    }
    if (options.pattern && !options.pattern.test(value)) return this.fail(field, `a string matching ${options.pattern}`, '');
    return value;
  }

  integer(field: string, min: number, max: number): number {
    const value = this.object[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(field, `an integer in ${min}..${max}`, min);
    }
    return value;
  }

  boolean(field: string): boolean {
    const value = this.object[field];
    return typeof value === 'boolean' ? value : this.fail(field, 'true or false', false);
  }

  oneOf<T extends string | number>(field: string, allowed: readonly T[]): T {
    const value = this.object[field];
    return (allowed as readonly unknown[]).includes(value)
      ? (value as T)
      : this.fail(field, `one of ${allowed.join(', ')}`, allowed[0] as T);
  }

  nested(field: string): FieldReader {
    const value = this.object[field];
    if (!isPlainObject(value)) this.fail(field, 'an object', undefined);
    return new FieldReader(isPlainObject(value) ? value : {}, `${this.path}${field}.`, this.firstProblem);
  }

  stringList(field: string, options: { maxItems: number; maxLength: number }): string[] {
    const value = this.object[field];
    if (!Array.isArray(value) || value.length > options.maxItems) {
      return this.fail(field, `a list of at most ${options.maxItems} strings`, []);
    }
    for (const item of value) {
      if (typeof item !== 'string' || item.length > options.maxLength) {
        return this.fail(field, `a list of strings of at most ${options.maxLength} characters`, []);
      }
    }
    return value as string[];
  }

  numberMap(field: string, options: { maxKeys: number }): Record<string, number> {
    const value = this.object[field];
    if (!isPlainObject(value)) return this.fail(field, 'an object of numbers', {});
    const entries = Object.entries(value);
    if (entries.length > options.maxKeys) return this.fail(field, `an object of at most ${options.maxKeys} numbers`, {});
    for (const [key, n] of entries) {
      if (key.length > 64) return this.fail(field, 'an object with keys of at most 64 characters', {});
      if (typeof n !== 'number' || !Number.isFinite(n)) return this.fail(`${field}.${key}`, 'a finite number', {});
    }
    // fromEntries defines own properties, so a key such as '__proto__' is kept as data, not dropped.
    return Object.fromEntries(entries) as Record<string, number>;
  }

  has(field: string): boolean {
    return this.object[field] !== undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
