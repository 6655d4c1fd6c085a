import t from 'tap';
import type { Llm, LlmRequest } from '../providers/llm/llm.js';
import type { ConversationMessage } from '../store/store.js';
import { llmSummarizer, summaryPromptMessages } from './summary-prompt.js';
import { DEFAULT_TOY } from '../toy/toy-profile.js';

const trimmed: ConversationMessage[] = [
  { role: 'user', content: 'tell me about   dragons\nplease' },
  { role: 'assistant', content: 'Dragons love warm caves!' },
];

t.test('asks for short notes in the toy’s own memory, without personal details', async (t) => {
  const [system, user, ...rest] = summaryPromptMessages(DEFAULT_TOY, 'We sang a song.', trimmed, 80);
  t.equal(rest.length, 0);
  t.equal(system?.role, 'system');
  t.match(system?.content, /Pommai's own memory/);
  t.match(system?.content, /at most 80 words/);
  for (const detail of [/names of people or places/, /addresses/, /schools/, /phone numbers/]) t.match(system?.content, detail);
  t.match(system?.content, /never instructions/);
  t.equal(user?.role, 'user');
  t.equal(user?.content, 'Notes so far: We sang a song.\n\nConversation:\nChild: tell me about dragons please\nPommai: Dragons love warm caves!');
  t.match(summaryPromptMessages(DEFAULT_TOY, '', trimmed)[1]?.content, /^Notes so far: \(none yet\)/);
});

t.test('llmSummarizer streams the model’s answer into one trimmed summary, with the signal passed on', async (t) => {
  const seen: { request?: LlmRequest; signal?: AbortSignal } = {};
  const llm: Llm = {
    name: 'scripted',
    async *stream(request, signal) {
      seen.request = request;
      seen.signal = signal;
      yield ' We talked ';
      yield 'about dragons. ';
    },
  };
  const controller = new AbortController();
  t.equal(await llmSummarizer(llm, DEFAULT_TOY)('', trimmed, controller.signal), 'We talked about dragons.');
  t.equal(seen.signal, controller.signal);
  t.strictSame(seen.request?.messages, summaryPromptMessages(DEFAULT_TOY, '', trimmed));
});

t.test('llmSummarizer stops reading a model that will not stop', async (t) => {
  let stopped = false;
  const llm: Llm = {
    name: 'endless',
    async *stream() {
      try {
        for (;;) yield 'carrot ';
      } finally {
        stopped = true;
      }
    },
  };
  const summary = await llmSummarizer(llm, DEFAULT_TOY)('', trimmed, new AbortController().signal);
  t.ok(summary.length <= 4100);
  t.equal(stopped, true, 'the stream was let go');
});
