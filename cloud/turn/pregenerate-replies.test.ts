import t from 'tap';
import { pregenerateReplies } from './pregenerate-replies.js';
import { ProviderError } from '../providers/provider-error.js';
import type { Llm } from '../providers/llm/llm.js';
import { OfflineCompanion } from '../providers/llm/offline-companion.js';
import { LocalSafetyFilter } from '../providers/safety/local-safety-filter.js';
import type { SafetyFilter } from '../providers/safety/safety-filter.js';
import { CachingTts } from '../providers/tts/caching-tts.js';
import { EspeakTts } from '../providers/tts/espeak-tts.js';
import type { Tts } from '../providers/tts/tts.js';
import { ReplyCache } from './reply-cache.js';
import { DEFAULT_TOY } from '../toy/toy-profile.js';

const options = { maxPrompts: 16, variants: 2, ttlMs: 60_000, maxWords: 8 };

function model(replies: (prompt: string, call: number) => string): Llm & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'scripted',
    calls,
    async *stream(request) {
      const prompt = request.messages.at(-1)?.content ?? '';
      calls.push(prompt);
      for (const word of replies(prompt, calls.length).split(' ')) yield `${word} `;
    },
  };
}

const allowAll: SafetyFilter = { name: 'allow', async check() { return { allowed: true, categories: {}, severity: 0, provider: 'allow' }; } };

function voice(): Tts & { said: string[] } {
  const said: string[] = [];
  return { name: 'v', sampleRate: 24_000, said, async *synthesize(text) { said.push(text); yield new Int16Array(240); } };
}

t.test('each prompt gets its variants, made the way a turn makes them, and spoken once to warm the voice', async (t) => {
  const replies = new ReplyCache(options);
  const llm = model((prompt, call) => `Reply ${call} to ${prompt}. Another sentence.`);
  const tts = voice();
  const result = await pregenerateReplies({ llm, safety: allowAll, tts, replies, toy: DEFAULT_TOY, prompts: ['hello', 'what is your name'] }, new AbortController().signal);
  t.same(result, { ready: 2, failed: 0 });
  t.equal(llm.calls.length, 4, 'two variants each');
  t.equal(llm.calls[0], 'hello', "the child's words are the last message");
  t.equal(tts.said.length, 8, 'every sentence of every variant went through the voice');
  const served = replies.lookup(DEFAULT_TOY, 'Hello!');
  t.match(served?.sentences, [/^Reply \d to hello\.$/, 'Another sentence.']);
  t.same(served?.safety.map((r) => r.direction), ['input', 'output', 'output']);
});

t.test('a model that repeats itself is asked a limited number of times', async (t) => {
  const replies = new ReplyCache(options);
  const llm = model(() => 'Always the same.');
  const result = await pregenerateReplies({ llm, safety: allowAll, tts: voice(), replies, toy: DEFAULT_TOY, prompts: ['hi'] }, new AbortController().signal);
  t.same(result, { ready: 0, failed: 1 });
  t.equal(llm.calls.length, 4, 'twice per missing variant, then it gives up');
  t.equal(replies.lookup(DEFAULT_TOY, 'hi'), undefined);
});

t.test('a reply that fails the output check is thrown away; an input the filter blocks is never sent to the model', async (t) => {
  const replies = new ReplyCache({ ...options, variants: 1 });
  const llm = model((prompt) => (prompt === 'hello' ? 'Something scary.' : 'Fine words.'));
  const safety: SafetyFilter = {
    name: 'picky',
    async check(text) {
      const bad = text === 'Something scary.' || text === 'bad prompt';
      return bad ? { allowed: false, categories: { violence: 6 }, category: 'violence', severity: 6, provider: 'picky' } : { allowed: true, categories: {}, severity: 0, provider: 'picky' };
    },
  };
  const result = await pregenerateReplies({ llm, safety, tts: voice(), replies, toy: DEFAULT_TOY, prompts: ['hello', 'bad prompt', 'hi'] }, new AbortController().signal);
  t.same(result, { ready: 1, failed: 2 });
  t.notOk(llm.calls.includes('bad prompt'));
  t.equal(replies.lookup(DEFAULT_TOY, 'hello'), undefined);
  t.ok(replies.lookup(DEFAULT_TOY, 'hi'));
});

t.test('a provider failure is reported and the other prompts still go on; an abort stops everything', async (t) => {
  const replies = new ReplyCache({ ...options, variants: 1 });
  const llm: Llm = {
    name: 'flaky',
    async *stream(request) {
      if (request.messages.at(-1)?.content === 'hello') throw new ProviderError('llm_unavailable', 'down', { retryable: true });
      yield 'Fine. ';
    },
  };
  const result = await pregenerateReplies({ llm, safety: allowAll, tts: voice(), replies, toy: DEFAULT_TOY, prompts: ['hello', 'hi'] }, new AbortController().signal);
  t.match(result, { ready: 1, failed: 1, firstError: { code: 'llm_unavailable' } });
  const controller = new AbortController();
  controller.abort(new Error('gateway stopping'));
  await t.rejects(pregenerateReplies({ llm, safety: allowAll, tts: voice(), replies: new ReplyCache(options), toy: DEFAULT_TOY, prompts: ['hi'] }, controller.signal), /gateway stopping/);
});

t.test('with the real offline providers the replies end up in the voice cache', async (t) => {
  const replies = new ReplyCache({ ...options, variants: 1 });
  const tts = new CachingTts(new EspeakTts({ sampleRate: 24_000 }), { maxBytes: 8 * 1024 * 1024, maxEntryBytes: 2 * 1024 * 1024 });
  const result = await pregenerateReplies({ llm: new OfflineCompanion(), safety: new LocalSafetyFilter(), tts, replies, toy: DEFAULT_TOY, prompts: ['hello', 'what is your name'] }, new AbortController().signal);
  t.same(result, { ready: 2, failed: 0 });
  for (const prompt of ['hello', 'what is your name']) {
    const reply = replies.lookup(DEFAULT_TOY, prompt);
    t.ok(reply && reply.sentences.length > 0, `a reply to "${prompt}"`);
    for (const sentence of reply?.sentences ?? []) t.ok(tts.has(sentence, DEFAULT_TOY.voice), `"${sentence}" is ready in the voice`);
  }
});

t.test('a provider that never answers holds one step up for its time, not the rest for ever', async (t) => {
  const replies = new ReplyCache({ ...options, variants: 1 });
  const hanging: Llm = {
    name: 'hanging',
    async *stream(request, signal) {
      if (request.messages.at(-1)?.content === 'hello') await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      yield 'Fine. ';
    },
  };
  const result = await pregenerateReplies({ llm: hanging, safety: allowAll, tts: voice(), replies, toy: DEFAULT_TOY, prompts: ['hello', 'hi'], stepTimeoutMs: 50 }, new AbortController().signal);
  t.match(result, { ready: 1, failed: 1, firstError: { code: 'provider_timeout' } });
  t.ok(replies.lookup(DEFAULT_TOY, 'hi'), 'the next prompt was still made');
});
