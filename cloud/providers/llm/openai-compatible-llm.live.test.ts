import t from 'tap';
import { childRequest } from './testing/llm-contract.js';
import { OpenAiCompatibleLlm } from './openai-compatible-llm.js';

// Talks to the real OpenRouter, so it needs a key and the network: run it on purpose with
// OPENROUTER_API_KEY=... npx tap cloud/providers/llm/openai-compatible-llm.live.test.ts
const apiKey = process.env.OPENROUTER_API_KEY;
const model = process.env.OPENROUTER_MODEL;

t.test('OpenRouter answers a child\'s question', { skip: apiKey ? false : 'set OPENROUTER_API_KEY to ask the real model' }, async (t) => {
  const llm = new OpenAiCompatibleLlm({ apiKey, appName: 'Pommai live test', timeoutMs: 20_000, ...(model ? { model } : {}) });
  const started = performance.now();
  let firstPieceMs: number | undefined;
  const pieces: string[] = [];
  for await (const piece of llm.stream(childRequest('Why is the sky blue?'), AbortSignal.timeout(60_000))) {
    firstPieceMs ??= performance.now() - started;
    pieces.push(piece);
  }
  const answer = pieces.join('').trim();
  t.ok(answer.length > 0, 'a non-empty answer');
  t.ok(pieces.every((piece) => typeof piece === 'string'));
  t.comment(`first piece after ${Math.round(firstPieceMs ?? 0)} ms, ${pieces.length} pieces: ${answer}`);
});
