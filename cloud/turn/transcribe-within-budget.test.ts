import t from 'tap';
import { ProviderError } from '../providers/provider-error.js';
import type { Stt, Transcript } from '../providers/stt/stt.js';
import { transcribeWithinBudget } from './transcribe-within-budget.js';
import { DEFAULT_TURN_BUDGET, TurnBudget } from './turn-budget.js';

const budget = () => new TurnBudget({ ...DEFAULT_TURN_BUDGET, totalMs: 4000 }, performance.now());

async function* utterance(chunks: number): AsyncIterable<Int16Array> {
  for (let i = 0; i < chunks; i++) yield new Int16Array(160).fill(i + 1);
}

/** A recogniser that fails its first call as told, after reading `readBeforeFailing` chunks. */
function flakyStt(failure: ProviderError, readBeforeFailing: number): Stt & { heard: number[][] } {
  const heard: number[][] = [];
  let calls = 0;
  return {
    name: 'flaky',
    heard,
    async transcribe(audio): Promise<Transcript> {
      const first = calls++ === 0;
      const got: number[] = [];
      for await (const pcm of audio) {
        got.push(pcm[0] as number);
        if (first && got.length === readBeforeFailing) {
          heard.push(got);
          throw failure;
        }
      }
      heard.push(got);
      if (first) throw failure;
      return { text: 'tell me a story', confidence: 1, rejected: false };
    },
  };
}

t.test('a retryable failure after the utterance is retried with the whole utterance', async (t) => {
  const stt = flakyStt(new ProviderError('provider_unavailable', '503', { retryable: true }), Infinity);
  const retries: string[] = [];
  const heard = await transcribeWithinBudget(stt, utterance(5), budget, new AbortController().signal, (error, attempt) => retries.push(`${error.code}#${attempt}`));
  t.equal(heard.text, 'tell me a story');
  t.same(stt.heard, [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], 'the retry replayed every chunk');
  t.same(retries, ['provider_unavailable#1']);
});

t.test('not retried: a failure before the end of the utterance, or one a retry cannot help', async (t) => {
  const early = flakyStt(new ProviderError('provider_unavailable', '503', { retryable: true }), 2);
  await t.rejects(transcribeWithinBudget(early, utterance(5), budget, new AbortController().signal, () => t.fail('no retry')), { code: 'provider_unavailable' });
  t.equal(early.heard.length, 1);
  const fatal = flakyStt(new ProviderError('provider_unauthorized', '401'), Infinity);
  await t.rejects(transcribeWithinBudget(fatal, utterance(3), budget, new AbortController().signal, () => t.fail('no retry')), { code: 'provider_unauthorized' });
  t.equal(fatal.heard.length, 1);
});

t.test('the wait for Retry-After ends when the turn is aborted', async (t) => {
  const stt = flakyStt(new ProviderError('provider_busy', '429', { retryable: true, retryAfterMs: 300 }), Infinity);
  const turn = new AbortController();
  const result = transcribeWithinBudget(stt, utterance(3), budget, turn.signal, () => setImmediate(() => turn.abort(new Error('barged in'))));
  await t.rejects(result, { message: 'barged in' });
  t.equal(stt.heard.length, 1, 'no second attempt after the abort');
});
