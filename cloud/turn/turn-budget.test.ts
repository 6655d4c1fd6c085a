import { readFileSync } from 'node:fs';
import t from 'tap';
import { ProviderError, TURN_OUT_OF_TIME } from '../providers/provider-error.js';
import { DEFAULT_TURN_BUDGET, TurnBudget, stageSignal, stageTime, streamWithinBudget, withinBudget } from './turn-budget.js';

const options = { ...DEFAULT_TURN_BUDGET, totalMs: 1000, shares: { stt: 3, safetyIn: 1, llm: 4, safetyOut: 2, tts: 2 }, floorMs: 20, minRetryMs: 30, stallMs: 200 };

t.test('each stage gets its share of what is left, so time saved early goes to later stages', async (t) => {
  let now = 0;
  const budget = new TurnBudget(options, 0, () => now);
  t.equal(budget.timeoutFor('stt'), 250, '3/12 of 1000');
  now = 100; // STT was quick
  t.equal(budget.timeoutFor('safetyIn'), Math.round((900 * 1) / 9));
  now = 150;
  t.equal(budget.timeoutFor('llm'), Math.round((850 * 4) / 8));
  now = 500;
  t.equal(budget.timeoutFor('safetyOut'), 250);
  now = 700;
  t.equal(budget.timeoutFor('tts'), 300, 'the last stage gets all that is left');
  now = 2000;
  t.equal(budget.timeoutFor('tts'), 20, 'a spent budget still leaves the floor');
});

t.test('stageSignal aborts with a retryable timeout naming the stage, or with the parent\'s reason', async (t) => {
  const parent = new AbortController();
  const timed = stageSignal(parent.signal, 10, 'stt');
  await new Promise((r) => timed.signal.addEventListener('abort', r));
  t.match(timed.signal.reason, { code: 'provider_timeout', retryable: true, message: /stt did not answer within 10 ms/ });
  timed.dispose();
  const cut = stageSignal(parent.signal, 10_000, 'llm');
  parent.abort(new Error('barged in'));
  t.match(cut.signal.reason, { message: 'barged in' });
  cut.dispose();
});

t.test('withinBudget retries a retryable failure, honouring Retry-After, while the stage has time', async (t) => {
  const budget = new TurnBudget(options, performance.now());
  const attempts: number[] = [];
  const retries: string[] = [];
  const result = await withinBudget('stt', budget, new AbortController().signal, async () => {
    attempts.push(performance.now());
    if (attempts.length === 1) throw new ProviderError('provider_busy', 'slow down', { retryable: true, retryAfterMs: 40 });
    return 'heard';
  }, (error) => retries.push(error.code));
  t.equal(result, 'heard');
  t.same(retries, ['provider_busy']);
  t.ok((attempts[1] as number) - (attempts[0] as number) >= 35, 'waited for Retry-After before trying again');
});

t.test('withinBudget does not retry what cannot succeed, nor past the stage\'s time', async (t) => {
  const budget = new TurnBudget(options, performance.now());
  let calls = 0;
  await t.rejects(withinBudget('stt', budget, new AbortController().signal, async () => {
    calls++;
    throw new ProviderError('provider_unauthorized', 'bad key');
  }), { code: 'provider_unauthorized' });
  t.equal(calls, 1, 'an unauthorized key is not retried');
  calls = 0;
  await t.rejects(withinBudget('stt', budget, new AbortController().signal, async () => {
    calls++;
    throw new ProviderError('provider_busy', 'later', { retryable: true, retryAfterMs: 5000 });
  }), { code: 'provider_busy' });
  t.equal(calls, 1, 'a Retry-After beyond the stage\'s time is not waited for');
});

t.test('a stage that hangs times out; with its whole time spent on the first attempt, it is not retried', async (t) => {
  const budget = new TurnBudget({ ...options, totalMs: 400, minRetryMs: 10 }, performance.now());
  let calls = 0;
  await t.rejects(withinBudget('stt', budget, new AbortController().signal, (signal) => {
    calls++;
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  }), { code: 'provider_timeout' });
  t.equal(calls, 1, 'the whole stage time went to the first attempt: nothing left to retry');
});

t.test('an aborted turn is never retried', async (t) => {
  const budget = new TurnBudget(options, performance.now());
  const parent = new AbortController();
  let calls = 0;
  await t.rejects(withinBudget('llm', budget, parent.signal, async () => {
    calls++;
    parent.abort(new Error('barged in'));
    throw new ProviderError('provider_unavailable', 'x', { retryable: true });
  }), { code: 'provider_unavailable' });
  t.equal(calls, 1);
});

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

t.test('a stream is retried before its first piece, never after', async (t) => {
  const budget = new TurnBudget(options, performance.now());
  let opens = 0;
  const pieces = await collect(streamWithinBudget('llm', budget, new AbortController().signal, async function* () {
    opens++;
    if (opens === 1) throw new ProviderError('provider_unavailable', '503', { retryable: true });
    yield 'Hello';
    yield ' there.';
  }));
  t.same(pieces, ['Hello', ' there.']);
  t.equal(opens, 2);
  opens = 0;
  const seen: string[] = [];
  await t.rejects((async () => {
    for await (const piece of streamWithinBudget('llm', new TurnBudget(options, performance.now()), new AbortController().signal, async function* () {
      opens++;
      yield 'Once upon';
      throw new ProviderError('provider_stream_cut', 'cut', { retryable: true });
    })) seen.push(piece);
  })(), { code: 'provider_stream_cut' });
  t.equal(opens, 1, 'no second answer after the child heard the first words');
  t.same(seen, ['Once upon']);
});

t.test('the stall limit counts the stream\'s own time, not a slow consumer\'s', async (t) => {
  const budget = new TurnBudget({ ...options, stallMs: 50 }, performance.now());
  const pieces: string[] = [];
  for await (const piece of streamWithinBudget('tts', budget, new AbortController().signal, async function* (signal) {
    for (const p of ['a', 'b', 'c']) {
      if (signal.aborted) throw signal.reason;
      yield p;
    }
  })) {
    pieces.push(piece);
    await new Promise((r) => setTimeout(r, 120)); // the pacer holding back: longer than the stall limit
  }
  t.same(pieces, ['a', 'b', 'c']);
  await t.rejects(collect(streamWithinBudget('tts', new TurnBudget({ ...options, stallMs: 30 }, performance.now()), new AbortController().signal, async function* (signal) {
    yield 'a';
    await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  })), { code: 'provider_timeout' }, 'a stream that stops mid-way is cut by the stall limit');
});

t.test('a provider failing without Retry-After is tried at most maxAttempts times, backing off with jitter', async (t) => {
  // A whole second for the stage: before the ceiling, a failing provider was called again at once until it ran out.
  const budget = new TurnBudget({ ...options, totalMs: 4000, maxAttempts: 3, retryBaseMs: 40, random: () => 0.5 }, performance.now());
  const calls: number[] = [];
  const retried: number[] = [];
  await t.rejects(
    withinBudget('llm', budget, new AbortController().signal, async () => {
      calls.push(performance.now());
      throw new ProviderError('provider_error', 'HTTP 500', { retryable: true });
    }, (_error, attempt) => retried.push(attempt)),
    { code: 'provider_error' },
  );
  t.equal(calls.length, 3, 'three attempts, then the fallback');
  t.same(retried, [1, 2]);
  // With random 0.5 the waits are 3/4 of 40 and of 80 ms; timers fire late, never early.
  t.ok(calls[1]! - calls[0]! >= 29, `waited before the second attempt (${Math.round(calls[1]! - calls[0]!)} ms)`);
  t.ok(calls[2]! - calls[1]! >= 59, `and twice as long before the third (${Math.round(calls[2]! - calls[1]!)} ms)`);
});

t.test('a stream that fails before its first piece obeys the same ceiling', async (t) => {
  const budget = new TurnBudget({ ...options, totalMs: 4000, maxAttempts: 2, retryBaseMs: 1 }, performance.now());
  let opened = 0;
  const stream = streamWithinBudget('llm', budget, new AbortController().signal, async function* () {
    opened++;
    throw new ProviderError('provider_error', 'connection reset', { retryable: true });
  });
  await t.rejects(
    (async () => {
      for await (const _ of stream) void _;
    })(),
    { message: 'connection reset' },
  );
  t.equal(opened, 2);
});

t.test('a stage whose time the stages before it spent times out as the turn being out of time, not as its provider', async (t) => {
  let now = 0;
  const budget = new TurnBudget({ ...options, totalMs: 1000, floorMs: 20 }, 0, () => now);
  const slow = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  // Due 4/12 of 1000 from a whole budget; given its share of what is left.
  await t.rejects(withinBudget('llm', budget, new AbortController().signal, slow), { code: 'provider_timeout' }, 'a fair share: the provider was slow');
  now = 900;
  const late = new TurnBudget({ ...options, totalMs: 1000, floorMs: 20 }, 0, () => now);
  t.ok(stageTime('llm', late).cutShort(late.timeoutFor('llm')), 'a tenth of the budget left: less than half of its due');
  await t.rejects(withinBudget('llm', late, new AbortController().signal, slow), { code: TURN_OUT_OF_TIME, message: /spent its time/ });
});

t.test("the jitter spreads the waits between half and all of the backoff; Retry-After is taken as it is", async (t) => {
  for (const [random, expected] of [[0, 50], [0.999, 100]] as const) {
    const budget = new TurnBudget({ ...options, totalMs: 4000, retryBaseMs: 100, random: () => random }, performance.now());
    const time = stageTime('llm', budget);
    t.equal(time.retryWait(new ProviderError('provider_error', '500', { retryable: true }), new AbortController().signal, 1), expected, `random ${random}`);
  }
  const budget = new TurnBudget({ ...options, totalMs: 4000, retryBaseMs: 100 }, performance.now());
  const time = stageTime('llm', budget);
  t.equal(time.retryWait(new ProviderError('provider_busy', '429', { retryable: true, retryAfterMs: 70 }), new AbortController().signal, 1), 70);
  t.equal(time.retryWait(new ProviderError('provider_busy', '429', { retryable: true, retryAfterMs: 70 }), new AbortController().signal, 3), undefined, 'not past the last attempt');
});

t.test("the README's ceiling of attempts is the budget's default", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
  t.match(readme, `(at most ${DEFAULT_TURN_BUDGET.maxAttempts} attempts, after its Retry-After or an exponential backoff with jitter)`);
});
