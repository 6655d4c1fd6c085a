import t from 'tap';
import { FakeChatCompletions } from './testing/fake-chat-completions.js';
import { llmContract } from './testing/llm-contract.js';
import { OfflineCompanion } from './offline-companion.js';
import { OpenAiCompatibleLlm } from './openai-compatible-llm.js';
import { SimulatedLlm } from '../testing/simulated/simulated-llm.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { silentLog } from '../../../log/log.js';
import { BreakerLlm } from './breaker-llm.js';

llmContract(t, 'OfflineCompanion', async () => ({ llm: new OfflineCompanion() }));

// A story told word by word, slowly enough that a consumer can walk away or abort in the middle.
const STORY = 'Once upon a time, a little bunny found a giant carrot. She shared it with all her friends, and they had a picnic in the sun. The end! '
  .split(/(?<= )/);

llmContract(t, 'OpenAiCompatibleLlm (OpenRouter wire format)', async (t) => {
  const fake = await FakeChatCompletions.start({
    basePath: '/api/v1',
    answer: { kind: 'stream', pieces: STORY, reasoning: ['The child wants a story.'], comments: true, delayMs: 20 },
  });
  t.teardown(() => fake.close());
  const llm = new OpenAiCompatibleLlm({ apiKey: fake.key!, baseUrl: fake.baseUrl, openRouter: true, timeoutMs: 5000 });
  const released = async () => {
    const last = fake.requests.at(-1);
    return last !== undefined && (await last.ended) === 'closed';
  };
  return { llm, released };
});

llmContract(t, 'SimulatedLlm', async () => ({ llm: new SimulatedLlm({ reply: STORY.join(''), firstTokenMs: 5, tokenMs: 2 }) }));

// As the gateway runs it: the adapter behind its circuit breaker, which must change nothing while the model answers.
llmContract(t, 'BreakerLlm around OpenAiCompatibleLlm', async (t) => {
  const fake = await FakeChatCompletions.start({ basePath: '/api/v1', answer: { kind: 'stream', pieces: STORY, delayMs: 20 } });
  t.teardown(() => fake.close());
  const inner = new OpenAiCompatibleLlm({ apiKey: fake.key!, baseUrl: fake.baseUrl, openRouter: true, timeoutMs: 5000 });
  const released = async () => {
    const last = fake.requests.at(-1);
    return last !== undefined && (await last.ended) === 'closed';
  };
  return { llm: new BreakerLlm(inner, new CircuitBreaker(inner.name, 'llm', silentLog)), released };
});
