import t from 'tap';
import { createOpusEncoder } from '../../audio/opus-codec.js';
import { DOWNLINK_AUDIO } from '../../protocol/index.js';
import { ProviderError } from '../providers/provider-error.js';
import type { Llm } from '../providers/llm/llm.js';
import type { SafetyFilter, SafetyVerdict } from '../providers/safety/safety-filter.js';
import type { Stt } from '../providers/stt/stt.js';
import type { Tts } from '../providers/tts/tts.js';
import { ReplyCache } from './reply-cache.js';
import { DEFAULT_TOY } from '../toy/toy-profile.js';
import { runTurn } from './turn-pipeline.js';
import type { TurnProviders } from '../providers/turn-providers.js';
import { CircuitBreaker } from '../providers/circuit-breaker.js';
import { BreakerLlm } from '../providers/llm/breaker-llm.js';
import { BreakerSafetyFilter } from '../providers/safety/breaker-safety-filter.js';
import { FALLBACK } from '../toy/fixed-lines.js';
import { silentLog } from '../../log/log.js';

const encoder = createOpusEncoder({ sampleRate: 24_000, frameMs: 60, bitrate: 24_000, application: 'audio' });

async function* silence(): AsyncIterable<Int16Array> {
  yield new Int16Array(1600);
}

function stt(text: string, rejected = false): Stt {
  return {
    name: 'fake-stt',
    async transcribe(audio) {
      for await (const _ of audio) void _;
      return { text, confidence: 1, rejected };
    },
  };
}

function llm(sentences: string[], failAfter?: number): Llm {
  return {
    name: 'fake-llm',
    async *stream(_request, signal) {
      for (const [i, s] of sentences.entries()) {
        if (failAfter === i) throw new ProviderError('llm_unavailable', 'model went away', { retryable: true });
        signal.throwIfAborted();
        yield `${s} `;
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

/** Half a second of a tone per sentence, so every sentence gives real Opus frames. */
function tts(options: { failOn?: (text: string) => boolean } = {}): Tts & { spoken: string[] } {
  const spoken: string[] = [];
  return {
    name: 'fake-tts',
    sampleRate: 24_000,
    spoken,
    async *synthesize(text, _voice, signal) {
      if (options.failOn?.(text)) throw new ProviderError('tts_failed', 'voice broke');
      spoken.push(text);
      signal.throwIfAborted();
      yield new Int16Array(12_000).map((_, i) => Math.round(6000 * Math.sin(i / 5)));
    },
  };
}

function safety(blocked: (text: string) => boolean): SafetyFilter & { checked: string[] } {
  const checked: string[] = [];
  return {
    name: 'fake-safety',
    checked,
    async check(text): Promise<SafetyVerdict> {
      checked.push(text);
      return blocked(text)
        ? { allowed: false, categories: { violence: 6 }, category: 'violence', severity: 6, provider: 'fake' }
        : { allowed: true, categories: {}, severity: 0, provider: 'fake' };
    },
  };
}

async function turn(providers: TurnProviders, signal = new AbortController().signal, extra: { replies?: ReplyCache; conversationStart?: boolean; anonymous?: boolean } = {}) {
  const out = { transcript: [] as string[], replies: [] as string[], frames: 0, speakStarts: 0 };
  const stoppedAt = performance.now();
  const result = await runTurn(
    { audio: silence(), listenStoppedAt: () => stoppedAt, toy: DEFAULT_TOY, ...(extra.conversationStart === undefined ? {} : { conversationStart: extra.conversationStart }), anonymous: extra.anonymous ?? true },
    providers,
    {
      transcript: (text) => out.transcript.push(text),
      reply: (_i, text) => out.replies.push(text),
      speakStart: () => out.speakStarts++,
      audio: () => out.frames++,
    },
    { downlink: DOWNLINK_AUDIO, encoder, pacing: { leadMs: 100_000, rate: 1 }, sentenceQueue: 2, ...(extra.replies ? { replies: extra.replies } : {}) },
    signal,
  );
  return { result, out };
}

t.test('an answer streams sentence by sentence, each checked before it is spoken', async (t) => {
  const filter = safety(() => false);
  const voice = tts();
  const { result, out } = await turn({ stt: stt('tell me a story'), llm: llm(['Once upon a time.', 'A bunny hopped.', 'The end.']), tts: voice, safety: filter });
  t.equal(result.outcome, 'answered');
  t.same(out.transcript, ['tell me a story']);
  t.same(out.replies, ['Once upon a time.', 'A bunny hopped.', 'The end.']);
  t.same(filter.checked, ['tell me a story', 'Once upon a time.', 'A bunny hopped.', 'The end.']);
  t.equal(out.speakStarts, 1);
  t.equal(out.frames, 25, 'three half-second sentences: 36,000 samples in 60 ms frames of 1,440');
  t.ok(result.spoke);
  for (const stage of ['stt', 'safetyIn', 'llmFirstToken', 'firstSentence', 'ttsFirstByte', 'firstAudio', 'total']) t.type(result.timings[stage], 'number', stage);
});

t.test('speech outside the grammar is answered with "I didn\'t catch that"', async (t) => {
  const { result, out } = await turn({ stt: stt('', true), llm: llm(['never used.']), tts: tts(), safety: safety(() => false) });
  t.equal(result.outcome, 'not_understood');
  t.same(out.transcript, ['']);
  t.match(out.replies, [/didn't catch that/]);
  t.ok(out.frames > 0);
});

t.test('silence is answered with a hint to hold the button', async (t) => {
  const { result, out } = await turn({ stt: stt('', false), llm: llm(['never used.']), tts: tts(), safety: safety(() => false) });
  t.equal(result.outcome, 'not_understood');
  t.match(out.replies, [/didn't hear anything/]);
});

t.test('a blocked input gets a gentle redirect and never reaches the language model', async (t) => {
  let asked = false;
  const model: Llm = { name: 'spy', async *stream() { asked = true; yield 'no'; } };
  const { result, out } = await turn({ stt: stt('something bad'), llm: model, tts: tts(), safety: safety((text) => text === 'something bad') });
  t.equal(result.outcome, 'blocked');
  t.notOk(asked, 'the LLM was not asked');
  t.equal(out.replies.length, 1);
  t.match(result.safety[0], { direction: 'input', allowed: false, category: 'violence' });
});

t.test('a blocked output sentence is replaced by a redirect and the rest of the answer is dropped', async (t) => {
  const voice = tts();
  const { result, out } = await turn({
    stt: stt('tell me a story'),
    llm: llm(['A fine start.', 'Something scary.', 'More after it.']),
    tts: voice,
    safety: safety((text) => text === 'Something scary.'),
  });
  t.equal(result.outcome, 'blocked');
  t.equal(out.replies[0], 'A fine start.');
  t.equal(out.replies.length, 2, 'the redirect replaced the blocked sentence and nothing followed it');
  t.notOk(out.replies.includes('Something scary.'));
  t.notOk(voice.spoken.includes('More after it.'));
});

t.test('a language model that fails before saying anything gets the spoken fallback', async (t) => {
  const { result, out } = await turn({ stt: stt('hello'), llm: llm(['Hi.'], 0), tts: tts(), safety: safety(() => false) });
  t.equal(result.outcome, 'failed');
  t.match(result.error, { code: 'llm_unavailable' });
  t.match(out.replies, [/muddled/]);
  t.ok(result.spoke, 'the child heard the fallback');
});

t.test('a voice that fails on the first sentence still speaks the fallback when it can', async (t) => {
  const { result, out } = await turn({ stt: stt('hello'), llm: llm(['Hi there.']), tts: tts({ failOn: (text) => text === 'Hi there.' }), safety: safety(() => false) });
  t.equal(result.outcome, 'failed');
  t.match(result.error, { code: 'tts_failed' });
  t.ok(result.spoke);
  t.match(out.replies.at(-1), /muddled/);
});

t.test('a voice that fails altogether leaves the turn failed and silent', async (t) => {
  const { result, out } = await turn({ stt: stt('hello'), llm: llm(['Hi there.']), tts: tts({ failOn: () => true }), safety: safety(() => false) });
  t.equal(result.outcome, 'failed');
  t.notOk(result.spoke, 'nothing was heard, so the session reports an error');
  t.equal(out.frames, 0);
  t.equal(out.speakStarts, 0);
});

t.test('a recogniser error ends the turn as failed with its code, after the fallback', async (t) => {
  const broken: Stt = { name: 'broken', async transcribe() { throw new ProviderError('stt_timeout', 'too slow'); } };
  const { result, out } = await turn({ stt: broken, llm: llm(['x.']), tts: tts(), safety: safety(() => false) });
  t.equal(result.outcome, 'failed');
  t.match(result.error, { code: 'stt_timeout' });
  t.match(out.replies, [/muddled/], 'the fallback was said');
  t.ok(result.spoke);
});

t.test('when the voice itself fails, the fallback voice says the fallback', async (t) => {
  const offline = tts();
  const { result, out } = await turn({ stt: stt('hello'), llm: llm(['Hi there.']), tts: tts({ failOn: () => true }), fallbackTts: offline, safety: safety(() => false) });
  t.equal(result.outcome, 'failed');
  t.match(result.error, { code: 'tts_failed' });
  t.match(offline.spoken, [/muddled/], 'in the fallback voice');
  t.ok(result.spoke);
  t.ok(out.frames > 0);
});

t.test('a failed voice that has the fallback ready (cached) says it in its own voice', async (t) => {
  const offline = tts();
  const failing = tts({ failOn: (text) => !/muddled/.test(text) });
  const cached = { ...failing, has: (text: string) => /muddled/.test(text) };
  const { result } = await turn({ stt: stt('hello'), llm: llm(['Hi there.']), tts: cached, fallbackTts: offline, safety: safety(() => false) });
  t.ok(result.spoke);
  t.same(offline.spoken, [], 'the fallback voice was not needed');
  t.match(failing.spoken.at(-1), /muddled/);
});

t.test('an abort mid-answer stops every stage and the outcome says aborted', async (t) => {
  const controller = new AbortController();
  let pieces = 0;
  const endless: Llm = {
    name: 'endless',
    async *stream(_r, signal) {
      for (;;) {
        signal.throwIfAborted();
        pieces++;
        yield 'On and on. ';
        await new Promise((r) => setImmediate(r));
      }
    },
  };
  const voice = tts();
  const running = turn({ stt: stt('tell me a story'), llm: endless, tts: { ...voice, async *synthesize(text, v, s) { if (voice.spoken.length === 3) controller.abort(new Error('barge-in')); yield* voice.synthesize(text, v, s); } }, safety: safety(() => false) }, controller.signal);
  const { result } = await running;
  t.equal(result.outcome, 'aborted');
  t.match(result.error, { code: 'aborted', message: /barge-in/ });
  const seen = pieces;
  await new Promise((r) => setImmediate(r));
  t.equal(pieces, seen, 'the language model stopped');
});

t.test("the next sentence's voice is asked while the sentence before it is still being spoken", async (t) => {
  let secondAsked!: () => void;
  const asked = new Promise<void>((resolve) => (secondAsked = resolve));
  const order: string[] = [];
  const voice: Tts = {
    name: 'slow-to-end',
    sampleRate: 24_000,
    async *synthesize(text) {
      order.push(`ask ${text}`);
      if (text === 'And the second.') secondAsked();
      yield new Int16Array(12_000);
      // The first sentence's audio is not over until the second has been asked for (bounded, so a
      // pipeline that asks one at a time fails here instead of hanging).
      if (text === 'The first sentence.') await Promise.race([asked, new Promise((r) => setTimeout(r, 2000).unref())]);
      order.push(`end ${text}`);
      yield new Int16Array(12_000);
    },
  };
  const { result, out } = await turn({ stt: stt('tell me two things'), llm: llm(['The first sentence.', 'And the second.']), tts: voice, safety: safety(() => false) });
  t.equal(result.outcome, 'answered');
  t.same(out.replies, ['The first sentence.', 'And the second.'], 'announced in order');
  t.ok(order.indexOf('ask And the second.') < order.indexOf('end The first sentence.'), `made ahead: ${order.join(', ')}`);
  t.equal(out.frames, 34, 'both sentences whole: 48,000 samples in frames of 1,440');
});

t.test("a conversation's first words, answered often enough, are answered from the reply cache without the model or the checks", async (t) => {
  const replies = new ReplyCache({ maxPrompts: 8, variants: 2, ttlMs: 60_000, maxWords: 8 });
  let asked = 0;
  const answers = ['Hello, friend! I am so happy.', 'Hi there! Shall we sing?'];
  const model: Llm = {
    name: 'counting',
    async *stream() {
      yield answers[asked++ % answers.length] ?? '';
    },
  };
  const filter = safety(() => false);
  const voice = tts();
  for (let i = 0; i < 2; i++) await turn({ stt: stt('hello'), llm: model, tts: voice, safety: filter }, undefined, { replies, conversationStart: true });
  t.equal(asked, 2, 'the model answered twice: two variants learned');
  const checks = filter.checked.length;
  const { result, out } = await turn({ stt: stt('um hello pommai'), llm: model, tts: voice, safety: filter }, undefined, { replies, conversationStart: true });
  t.equal(asked, 2, 'the model was not asked');
  t.equal(filter.checked.length, checks, 'nothing was checked again');
  t.equal(result.outcome, 'answered');
  t.ok(answers.includes(out.replies.join(' ')), `one of the learned replies: ${out.replies.join(' ')}`);
  t.equal(out.replies.length, 2, 'sentence by sentence');
  t.ok(out.frames > 0, 'and spoken');
  t.type(result.timings.replyCache, 'number', 'the hit is in the timings');
  t.equal(result.timings.llmFirstToken, undefined);
  t.same(result.safety.map((r) => r.direction), ['input', 'output', 'output'], 'the verdicts it was given are recorded with the turn');
  t.equal(result.safety[0]?.text, 'um hello pommai', "the input record holds this child's words, not the cached prompt");
});

t.test('later in a conversation the reply cache is neither served nor taught', async (t) => {
  const replies = new ReplyCache({ maxPrompts: 8, variants: 1, ttlMs: 60_000, maxWords: 8 });
  let asked = 0;
  const model: Llm = { name: 'counting', async *stream() { asked++; yield 'Hello again.'; } };
  await turn({ stt: stt('hello'), llm: model, tts: tts(), safety: safety(() => false) }, undefined, { replies, conversationStart: false });
  t.equal(replies.size, 0, 'not learned');
  await turn({ stt: stt('hello'), llm: model, tts: tts(), safety: safety(() => false) }, undefined, { replies, conversationStart: true });
  await turn({ stt: stt('hello'), llm: model, tts: tts(), safety: safety(() => false) }, undefined, { replies, conversationStart: false });
  t.equal(asked, 3, 'mid-conversation the model answers even a cached prompt');
});

t.test('a blocked reply is never learned', async (t) => {
  const replies = new ReplyCache({ maxPrompts: 8, variants: 1, ttlMs: 60_000, maxWords: 8 });
  await turn({ stt: stt('hello'), llm: llm(['Something scary.']), tts: tts(), safety: safety((text) => text === 'Something scary.') }, undefined, { replies, conversationStart: true });
  t.equal(replies.size, 0);
});

t.test("a child the model was told about (memory of earlier talks) never teaches the reply cache", async (t) => {
  const replies = new ReplyCache({ maxPrompts: 8, variants: 1, ttlMs: 60_000, maxWords: 8 });
  const model: Llm = { name: 'personal', async *stream() { yield 'Hi again! How is your dog Max?'; } };
  await turn({ stt: stt('hello'), llm: model, tts: tts(), safety: safety(() => false) }, undefined, { replies, conversationStart: true, anonymous: false });
  t.equal(replies.size, 0, 'not learned: it may speak of this child');
  t.equal(replies.lookup(DEFAULT_TOY, 'hello'), undefined);
});

const BREAKER = { failureThreshold: 2, failureWindowMs: 60_000, coolDownMs: 30_000, maxCoolDownMs: 60_000 };

t.test('a safety check that goes down mid-turn never lets the answer be heard: its breaker opens and the child hears the fallback (issue 10)', async (t) => {
  let checks = 0;
  // The child's words are checked; then the service goes down, before the answer's first sentence.
  const cloud: SafetyFilter = {
    name: 'cloud-safety',
    async check(text) {
      if (checks++ === 0) return { allowed: true, categories: {}, severity: 0, provider: 'cloud' };
      throw new ProviderError('provider_unavailable', `HTTP 503 for ${text.length} characters`, { retryable: true });
    },
  };
  const breaker = new CircuitBreaker(cloud.name, 'safety', silentLog, BREAKER);
  const voice = tts();
  const { result, out } = await turn({ stt: stt('tell me a story'), llm: llm(['Once upon a time.', 'The end.']), tts: voice, safety: new BreakerSafetyFilter(cloud, breaker) });
  t.equal(breaker.state, 'open');
  t.equal(checks, 1 + BREAKER.failureThreshold, 'the output check was tried until the breaker opened, then refused');
  t.equal(result.outcome, 'failed');
  t.match(result.error, { code: 'provider_down' });
  t.same(out.replies, [FALLBACK], 'only the fallback line');
  t.same(voice.spoken, [FALLBACK], 'no unchecked sentence reached the voice');
});

t.test('a model whose breaker is open is not asked: the turn goes straight to the fallback (issue 10)', async (t) => {
  let requests = 0;
  const down: Llm = {
    name: 'down-llm',
    async *stream() {
      requests++;
      throw new ProviderError('provider_unavailable', 'HTTP 500', { retryable: true });
    },
  };
  const breaker = new CircuitBreaker(down.name, 'llm', silentLog, BREAKER);
  const model = new BreakerLlm(down, breaker);
  const first = await turn({ stt: stt('hello'), llm: model, tts: tts(), safety: safety(() => false) });
  t.match(first.result.error, { code: 'provider_down' }, 'the first turn opened it on its second attempt');
  t.equal(requests, BREAKER.failureThreshold);
  const { result, out } = await turn({ stt: stt('hello again'), llm: model, tts: tts(), safety: safety(() => false) });
  t.equal(requests, BREAKER.failureThreshold, 'no request for the next turn');
  t.match(result, { outcome: 'failed', spoke: true, error: { code: 'provider_down' } });
  t.same(out.replies, [FALLBACK]);
});
