import type { Test } from 'tap';
import { systemPrompt } from '../../../toy/system-prompt.js';
import { DEFAULT_TOY } from '../../../toy/toy-profile.js';
import type { Llm, LlmRequest } from '../llm.js';
import { within } from '../../testing/within-bound.js';

/** An Llm to check, with a way to see that a stream a consumer walked away from was let go. */
export interface LlmUnderTest {
  readonly llm: Llm;
  /**
   * Resolves true once the provider let go of the last stream before it was finished (for HTTP:
   * the server saw the connection close). Without it, only "the next request still works" is checked.
   */
  readonly released?: () => Promise<boolean>;
}

/** How long anything may take before the contract calls it stuck. Generous: a bound, not a speed test. */
const BOUND_MS = 5000;

/** A request built the way the turn builds one: the toy's system prompt, then the child's words. */
export function childRequest(words = 'Can you tell me a story?'): LlmRequest {
  return {
    messages: [
      { role: 'system', content: systemPrompt(DEFAULT_TOY) },
      { role: 'user', content: words },
    ],
    toy: DEFAULT_TOY,
  };
}

/**
 * The behaviour every Llm must show, cloud adapters and the offline companion alike. `make` gives
 * each subtest an Llm of its own (and may register teardowns on the test it is given). Answers
 * must run to at least two pieces for the request above, so an abort can land between them.
 */
export function llmContract(t: Test, name: string, make: (t: Test) => Promise<LlmUnderTest>): void {
  t.test(`${name} keeps the Llm contract`, async (t) => {
    t.test('streams a non-empty answer of strings', async (t) => {
      const { llm } = await make(t);
      t.type(llm.name, 'string');
      t.ok(llm.name.length > 0, 'has a name');
      const pieces = await within(collect(llm.stream(childRequest(), new AbortController().signal)), BOUND_MS, 'the answer');
      t.ok(pieces.length >= 2, `${pieces.length} pieces`);
      t.ok(pieces.every((piece) => typeof piece === 'string'), 'only strings');
      t.ok(pieces.join('').trim().length > 0, 'says something');
    });

    t.test('an abort before the first piece: nothing, then aborted', async (t) => {
      const { llm } = await make(t);
      const controller = new AbortController();
      controller.abort(new Error('button pressed again'));
      const pieces: string[] = [];
      const error = await within(collect(llm.stream(childRequest(), controller.signal), pieces).catch((e: unknown) => e), BOUND_MS, 'the abort');
      t.strictSame(pieces, [], 'no pieces');
      t.match(error, { code: 'aborted' });
    });

    t.test('an abort while the first piece is awaited: at most that piece, then aborted', async (t) => {
      const { llm } = await make(t);
      const controller = new AbortController();
      const iterator = llm.stream(childRequest(), controller.signal)[Symbol.asyncIterator]();
      const first = iterator.next();
      controller.abort(new Error('emergency stop'));
      const pieces: string[] = [];
      const error = await within(drain(iterator, pieces, first).catch((e: unknown) => e), BOUND_MS, 'the abort');
      t.ok(pieces.length <= 1, `${pieces.length} pieces`);
      t.match(error, { code: 'aborted' });
    });

    t.test('an abort mid-stream stops it promptly: no more pieces, then aborted', async (t) => {
      const { llm } = await make(t);
      const controller = new AbortController();
      const iterator = llm.stream(childRequest(), controller.signal)[Symbol.asyncIterator]();
      const first = await within(iterator.next(), BOUND_MS, 'the first piece');
      t.equal(first.done, false, 'a first piece came');
      controller.abort(new Error('barge-in'));
      const after: string[] = [];
      const error = await within(drain(iterator, after).catch((e: unknown) => e), BOUND_MS, 'the abort');
      t.strictSame(after, [], 'nothing after the abort');
      t.match(error, { code: 'aborted', message: /barge-in/ });
    });

    t.test('answers a second request after the first', async (t) => {
      const { llm } = await make(t);
      const signal = new AbortController().signal;
      const one = await within(collect(llm.stream(childRequest(), signal)), BOUND_MS, 'the first answer');
      const two = await within(collect(llm.stream(childRequest('What is your favourite colour?'), signal)), BOUND_MS, 'the second answer');
      t.ok(one.join('').trim() !== '' && two.join('').trim() !== '', 'both answered');
    });

    t.test('a consumer that stops early releases the stream', async (t) => {
      const { llm, released } = await make(t);
      const signal = new AbortController().signal;
      let taken = 0;
      for await (const piece of llm.stream(childRequest(), signal)) {
        t.type(piece, 'string');
        taken++;
        break;
      }
      t.equal(taken, 1);
      if (released) t.equal(await within(released(), BOUND_MS, 'the release'), true, 'the provider let go of the stream');
      const again = await within(collect(llm.stream(childRequest(), signal)), BOUND_MS, 'the next answer');
      t.ok(again.length > 0, 'the next request still works');
    });
  });
}

async function collect(stream: AsyncIterable<string>, into: string[] = []): Promise<string[]> {
  for await (const piece of stream) into.push(piece);
  return into;
}

async function drain(iterator: AsyncIterator<string>, into: string[], pending?: Promise<IteratorResult<string>>): Promise<void> {
  for (let next = pending ?? iterator.next(); ; next = iterator.next()) {
    const result = await next;
    if (result.done) return;
    into.push(result.value);
  }
}

