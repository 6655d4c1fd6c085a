import { inspect } from 'node:util';
import t from 'tap';
import type { Test } from 'tap';
import { ProviderError } from '../provider-error.js';
import { FakeChatCompletions } from './testing/fake-chat-completions.js';
import type { ChatAnswer, FakeChatCompletionsOptions } from './testing/fake-chat-completions.js';
import { childRequest } from './testing/llm-contract.js';
import { OpenAiCompatibleLlm } from './openai-compatible-llm.js';
import type { OpenAiCompatibleLlmOptions } from './openai-compatible-llm.js';

const PIECES = ['Hello', ' there', '! ', 'I love', ' carrots.'];

async function start(t: Test, options: FakeChatCompletionsOptions = {}): Promise<FakeChatCompletions> {
  const fake = await FakeChatCompletions.start(options);
  t.teardown(() => fake.close());
  return fake;
}

function adapter(fake: FakeChatCompletions, options: OpenAiCompatibleLlmOptions = {}): OpenAiCompatibleLlm {
  return new OpenAiCompatibleLlm({ apiKey: fake.key ?? undefined, baseUrl: fake.baseUrl, openRouter: true, ...options });
}

/** Everything the stream yielded, and how it ended. */
async function run(llm: OpenAiCompatibleLlm, signal = new AbortController().signal): Promise<{ pieces: string[]; error: unknown }> {
  const pieces: string[] = [];
  try {
    for await (const piece of llm.stream(childRequest(), signal)) pieces.push(piece);
    return { pieces, error: undefined };
  } catch (error) {
    return { pieces, error };
  }
}

t.test('sends exactly the documented request to OpenRouter', async (t) => {
  const fake = await start(t, { basePath: '/api/v1', answer: { kind: 'stream', pieces: PIECES } });
  const llm = adapter(fake, { model: 'openai/gpt-oss-120b', temperature: 0.7, appName: 'Pommai', appUrl: 'https://pommai.example' });
  t.equal(llm.name, 'OpenRouter');
  await run(llm);
  t.equal(fake.requests.length, 1);
  const request = fake.requests[0]!;
  t.strictSame(request.problems, []);
  t.equal(request.method, 'POST');
  t.equal(request.path, '/api/v1/chat/completions');
  t.equal(request.headers.authorization, `Bearer ${fake.key}`);
  t.match(request.headers['content-type'], /^application\/json/);
  t.equal(request.headers['x-title'], 'Pommai');
  t.equal(request.headers['http-referer'], 'https://pommai.example');
  t.equal(request.headers['x-stainless-retry-count'], '0');
  t.strictSame(request.body, {
    model: 'openai/gpt-oss-120b',
    messages: childRequest().messages,
    stream: true,
    max_tokens: 300,
    temperature: 0.7,
    reasoning: { effort: 'low' },
  });
  t.equal((request.body.messages as { role: string }[])[0]?.role, 'system', 'the system prompt comes first');
});

t.test('reasoning effort: always to OpenRouter, elsewhere only when asked for', async (t) => {
  const fake = await start(t);
  const bodies: Record<string, unknown>[] = [];
  for (const options of [
    { openRouter: true, reasoningEffort: 'high' },
    { openRouter: false },
    { openRouter: false, reasoningEffort: 'medium', maxTokens: 120 },
  ] as const) {
    await run(adapter(fake, options));
    bodies.push(fake.requests.at(-1)!.body);
  }
  t.strictSame(bodies[0]?.reasoning, { effort: 'high' });
  t.notOk('reasoning' in bodies[1]! || 'reasoning_effort' in bodies[1]!, 'nothing for a plain OpenAI-compatible server');
  t.equal(bodies[2]?.reasoning_effort, 'medium');
  t.notOk('reasoning' in bodies[2]!);
  t.equal(bodies[2]?.max_tokens, 120);
  t.equal(new OpenAiCompatibleLlm().name, 'OpenRouter', 'OpenRouter by default');
  t.equal(new OpenAiCompatibleLlm({ baseUrl: 'http://127.0.0.1:8080/v1' }).name, 'OpenAI-compatible LLM');
  t.equal(new OpenAiCompatibleLlm({ name: 'Groq' }).name, 'Groq');
});

t.test('streams the answer pieces in order; reasoning, comments and empty pieces never come out', async (t) => {
  const fake = await start(t, {
    answer: { kind: 'stream', pieces: PIECES, reasoning: ['The child said hello.', ' Be warm.'], comments: true },
  });
  const { pieces, error } = await run(adapter(fake));
  t.equal(error, undefined);
  t.strictSame(pieces, PIECES);
  t.notOk(pieces.join('').includes('child said'), 'no thinking out loud');
});

t.test('a base URL with a path prefix, no key: no Authorization, nothing from OPENAI_* variables', async (t) => {
  const fake = await start(t, { apiKey: null, basePath: '/proxy/llama/v1', answer: { kind: 'stream', pieces: PIECES } });
  // The SDK reads these when options are missing; the adapter gives every option so they cannot leak in.
  const traps = { OPENAI_API_KEY: 'sk-from-env', OPENAI_BASE_URL: 'http://127.0.0.1:9/nowhere', OPENAI_ORG_ID: 'org-env', OPENAI_PROJECT_ID: 'proj-env' };
  const saved = Object.fromEntries(Object.keys(traps).map((name) => [name, process.env[name]]));
  Object.assign(process.env, traps);
  t.teardown(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const llm = new OpenAiCompatibleLlm({ baseUrl: fake.baseUrl, model: 'local' });
  const { pieces, error } = await run(llm);
  t.equal(error, undefined);
  t.strictSame(pieces, PIECES);
  const request = fake.requests[0]!;
  t.strictSame(request.problems, []);
  t.equal(request.path, '/proxy/llama/v1/chat/completions');
  t.equal(request.headers.authorization, undefined);
  t.equal(request.headers['openai-organization'], undefined);
  t.equal(request.headers['openai-project'], undefined);
  t.equal(request.body.model, 'local');
});

t.test('401: provider_unauthorized, not retried, no fallback, and the key appears nowhere', async (t) => {
  const fake = await start(t);
  const secret = 'sk-or-v1-0123456789abcdef-wrong';
  const { pieces, error } = await run(adapter(fake, { apiKey: secret, fallbackModel: 'meta-llama/llama-3.1-8b-instruct' }));
  t.strictSame(pieces, []);
  t.type(error, ProviderError);
  t.match(error, { code: 'provider_unauthorized', retryable: false, message: /OpenRouter answered HTTP 401/ });
  t.notOk(inspect(error, { depth: 10 }).includes(secret), 'not in the message, the stack or a cause');
  t.notOk(JSON.stringify(error).includes(secret));
  t.equal(fake.requests.length, 1, 'the fallback would fail the same way');
});

t.test('429 with Retry-After: provider_busy with retryAfterMs, and the SDK does not retry', async (t) => {
  const fake = await start(t, {
    answer: { kind: 'fail', status: 429, headers: { 'retry-after': '2' }, body: { error: { code: 429, message: 'Rate limit exceeded: free-models-per-min' } } },
  });
  const { error } = await run(adapter(fake));
  t.match(error, { code: 'provider_busy', retryable: true, retryAfterMs: 2000, message: /Rate limit exceeded/ });
  t.equal(fake.requests.length, 1);
});

t.test('500: provider_unavailable, retryable', async (t) => {
  const fake = await start(t, { answer: { kind: 'fail', status: 500, body: 'upstream exploded' } });
  const { error } = await run(adapter(fake));
  t.match(error, { code: 'provider_unavailable', retryable: true, message: /HTTP 500: upstream exploded/ });
  t.equal(fake.requests.length, 1);
});

t.test('a stream cut off midway: the pieces so far, then a retryable provider_stream_cut', async (t) => {
  const fake = await start(t, { answer: { kind: 'stream', pieces: PIECES, after: { pieces: 2, then: 'destroy' } } });
  const { pieces, error } = await run(adapter(fake));
  t.strictSame(pieces, PIECES.slice(0, 2));
  t.match(error, { code: 'provider_stream_cut', retryable: true });

  fake.answerWith({ kind: 'stream', pieces: PIECES, finishReason: null });
  const quiet = await run(adapter(fake));
  t.strictSame(quiet.pieces, PIECES, 'a stream that ends cleanly but never says it finished');
  t.match(quiet.error, { code: 'provider_stream_cut', retryable: true });
});

t.test('nobody listening: provider_unreachable, retryable', async (t) => {
  const fake = await FakeChatCompletions.start();
  const llm = adapter(fake);
  await fake.close();
  await llm.warm();
  const { error } = await run(llm);
  t.match(error, { code: 'provider_unreachable', retryable: true, message: /ECONNREFUSED/ });
});

t.test('a server that never answers: provider_timeout after timeoutMs', async (t) => {
  const fake = await start(t, { answer: { kind: 'hang' } });
  const { pieces, error } = await run(adapter(fake, { timeoutMs: 300 }));
  t.strictSame(pieces, []);
  t.match(error, { code: 'provider_timeout', retryable: true });
});

t.test('a stream that goes silent mid-answer: provider_timeout after timeoutMs', async (t) => {
  const fake = await start(t, { answer: { kind: 'stream', pieces: PIECES, after: { pieces: 1, then: 'stall' } } });
  const { pieces, error } = await run(adapter(fake, { timeoutMs: 300 }));
  t.strictSame(pieces, PIECES.slice(0, 1));
  t.match(error, { code: 'provider_timeout', retryable: true, message: /went silent/ });
  t.equal(await fake.requests[0]!.ended, 'closed', 'the stalled connection was dropped');
});

t.test('a slow consumer is not a silent server', async (t) => {
  const fake = await start(t, { answer: { kind: 'stream', pieces: PIECES } });
  const pieces: string[] = [];
  for await (const piece of adapter(fake, { timeoutMs: 200 }).stream(childRequest(), new AbortController().signal)) {
    pieces.push(piece);
    if (pieces.length === 1) await new Promise((resolve) => setTimeout(resolve, 600));
  }
  t.strictSame(pieces, PIECES);
});

t.test('a mid-stream error chunk: the pieces so far, then a ProviderError with the provider\'s words', async (t) => {
  const fake = await start(t, { answer: { kind: 'stream', pieces: PIECES, after: { pieces: 2, then: 'error' } } });
  const { pieces, error } = await run(adapter(fake));
  t.strictSame(pieces, PIECES.slice(0, 2));
  t.type(error, ProviderError);
  t.match(error, { code: 'provider_stream_error', retryable: true, message: /Provider disconnected unexpectedly/ });

  fake.answerWith({ kind: 'stream', pieces: PIECES, after: { pieces: 0, then: 'error' }, error: { code: 502, message: 'Upstream model is down' } });
  const numbered = await run(adapter(fake));
  t.match(numbered.error, { code: 'provider_unavailable', retryable: true, message: /HTTP 502: Upstream model is down/ });
});

t.test('fallback model: used when the primary fails before any text', async (t) => {
  const fake = await start(t, {
    answer: (request) =>
      request.body.model === 'primary/model'
        ? { kind: 'fail', status: 503, body: { error: { code: 503, message: 'No instances available' } } }
        : { kind: 'stream', pieces: ['From the', ' fallback.'] },
  });
  const { pieces, error } = await run(adapter(fake, { model: 'primary/model', fallbackModel: 'backup/model' }));
  t.equal(error, undefined);
  t.strictSame(pieces, ['From the', ' fallback.']);
  t.strictSame(fake.requests.map((r) => r.body.model), ['primary/model', 'backup/model']);

  fake.answerWith((request) =>
    request.body.model === 'gone/model' ? { kind: 'fail', status: 404, body: { error: { code: 404, message: 'No endpoints found for gone/model.' } } } : { kind: 'stream', pieces: ['Hi!'] },
  );
  const after404 = await run(adapter(fake, { model: 'gone/model', fallbackModel: 'backup/model' }));
  t.strictSame(after404.pieces, ['Hi!'], 'an unknown model falls back too');

  const alone = await run(adapter(fake, { model: 'gone/model' }));
  t.match(alone.error, { code: 'provider_not_found', retryable: false, message: /check the model name/ });
});

t.test('fallback model: never once text has been yielded, and only once', async (t) => {
  const answers: ChatAnswer[] = [{ kind: 'stream', pieces: PIECES, after: { pieces: 1, then: 'destroy' } }];
  const fake = await start(t, { answer: (_, index) => answers[index] ?? { kind: 'stream', pieces: ['fallback'] } });
  const { pieces, error } = await run(adapter(fake, { fallbackModel: 'backup/model' }));
  t.strictSame(pieces, PIECES.slice(0, 1), 'no second, different answer after the first began');
  t.match(error, { code: 'provider_stream_cut' });
  t.equal(fake.requests.length, 1);

  fake.answerWith({ kind: 'fail', status: 502, body: { error: { code: 502, message: 'down' } } });
  const both = await run(adapter(fake, { fallbackModel: 'backup/model' }));
  t.match(both.error, { code: 'provider_unavailable' });
  t.equal(fake.requests.length, 3, 'the primary and the fallback, each once');
});

t.test('an answer with no text at all: provider_empty_answer, which the fallback may fix', async (t) => {
  const fake = await start(t, { answer: (_, index) => ({ kind: 'stream', pieces: index === 0 ? [] : ['Hi!'], reasoning: ['hmm'], finishReason: index === 0 ? 'length' : 'stop' }) });
  const { error } = await run(adapter(fake));
  t.match(error, { code: 'provider_empty_answer', retryable: true, message: /length/ });
  const { pieces } = await run(adapter(fake, { fallbackModel: 'backup/model' }));
  t.strictSame(pieces, ['Hi!']);
});

t.test('abort mid-stream: aborted; a ProviderError reason (the turn\'s deadline) comes back as itself', async (t) => {
  const fake = await start(t, { answer: { kind: 'stream', pieces: PIECES, delayMs: 50 } });
  const llm = adapter(fake, { fallbackModel: 'backup/model' });

  const barge = new AbortController();
  const pieces: string[] = [];
  const error = await (async () => {
    for await (const piece of llm.stream(childRequest(), barge.signal)) {
      pieces.push(piece);
      if (pieces.length === 2) barge.abort(new Error('button pressed again'));
    }
  })().catch((e: unknown) => e);
  t.strictSame(pieces, PIECES.slice(0, 2));
  t.match(error, { code: 'aborted', retryable: false, message: /button pressed again/ });

  // Written in one burst, the rest of the answer is already buffered when the abort lands.
  fake.answerWith({ kind: 'stream', pieces: PIECES });
  const burst = new AbortController();
  const buffered: string[] = [];
  const stopped = await (async () => {
    for await (const piece of llm.stream(childRequest(), burst.signal)) {
      buffered.push(piece);
      burst.abort(new Error('emergency stop'));
    }
  })().catch((e: unknown) => e);
  t.strictSame(buffered, PIECES.slice(0, 1), 'nothing buffered leaks out after the abort');
  t.match(stopped, { code: 'aborted' });

  fake.answerWith({ kind: 'stream', pieces: PIECES, delayMs: 50 });
  const deadline = new ProviderError('turn_deadline', 'the turn ran out of time', { retryable: false });
  const late = new AbortController();
  setTimeout(() => late.abort(deadline), 10);
  const { error: timedOut } = await run(llm, late.signal);
  t.equal(timedOut, deadline);
  t.equal(fake.requests.length, 3, 'an abort never tries the fallback');
});
