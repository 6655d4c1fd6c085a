import type { Test } from 'tap';
import type { SafetyDirection, SafetyFilter } from '../safety-filter.js';

/** Harmless by every measure: no filter may find anything in it. */
export const FRIENDLY_TEXT = "Let's sing a happy song about carrots and bunnies!";
/** A threat every filter must block, in either direction (the local word list and the fake Azure both grade it 6). */
export const UNSAFE_TEXT = 'I will kill you.';

const DIRECTIONS: readonly SafetyDirection[] = ['input', 'output'];

/**
 * The behaviour every SafetyFilter must show: the word list, each cloud adapter against its fake,
 * and the filters built from others. Each subtest gets a filter of its own from `make`, which
 * registers its own teardown on the test it is given.
 */
export function safetyContract(t: Test, name: string, make: (t: Test) => SafetyFilter | Promise<SafetyFilter>): void {
  t.test(`${name} keeps the SafetyFilter contract`, async (t) => {
    const never = new AbortController().signal;

    t.test('a friendly sentence is allowed with nothing found, both ways', async (t) => {
      const filter = await make(t);
      for (const direction of DIRECTIONS) {
        const verdict = await filter.check(FRIENDLY_TEXT, direction, never);
        t.equal(verdict.allowed, true, direction);
        t.equal(verdict.severity, 0, direction);
        t.same(verdict.categories, {}, direction);
        t.equal(verdict.category, undefined, direction);
      }
    });

    t.test('a clearly unsafe sentence is blocked and says why, both ways', async (t) => {
      const filter = await make(t);
      for (const direction of DIRECTIONS) {
        const verdict = await filter.check(UNSAFE_TEXT, direction, never);
        t.equal(verdict.allowed, false, direction);
        t.type(verdict.category, 'string', `${direction}: a category explains the block`);
        t.ok(verdict.severity > 0 && verdict.severity <= 7, `${direction}: severity ${verdict.severity} in 1-7`);
        const explained = verdict.category === undefined ? undefined : verdict.categories[verdict.category];
        t.ok(explained !== undefined && explained > 0 && explained <= verdict.severity, `${direction}: the category is among those found`);
      }
    });

    t.test('the verdict names its provider', async (t) => {
      const filter = await make(t);
      t.match(filter.name, /\S/);
      for (const text of [FRIENDLY_TEXT, UNSAFE_TEXT]) {
        const verdict = await filter.check(text, 'input', never);
        // A filter made of layers may name only the layers that decided.
        t.ok(verdict.provider === filter.name || filter.name.split('+').includes(verdict.provider), `"${verdict.provider}" belongs to "${filter.name}"`);
      }
    });

    t.test('a signal aborted before the check rejects with aborted', async (t) => {
      const filter = await make(t);
      const controller = new AbortController();
      controller.abort(new Error('barge-in'));
      for (const text of [FRIENDLY_TEXT, UNSAFE_TEXT]) {
        await t.rejects(filter.check(text, 'input', controller.signal), { code: 'aborted' });
      }
    });

    t.test('one instance checks many texts at once, each on its own', async (t) => {
      const filter = await make(t);
      const texts = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? UNSAFE_TEXT : `${FRIENDLY_TEXT} Round ${i}.`));
      // As the gateway does: many turns at once, each with its own signal, sharing one filter.
      const verdicts = await Promise.all(texts.map((text, i) => filter.check(text, DIRECTIONS[i % 2]!, new AbortController().signal)));
      t.same(
        verdicts.map((v) => v.allowed),
        texts.map((text) => text !== UNSAFE_TEXT),
      );
    });
  });
}
