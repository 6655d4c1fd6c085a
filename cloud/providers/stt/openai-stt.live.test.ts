import t from 'tap';
import { spokenAudio, streamOf } from './testing/fixtures/spoken-audio.js';
import { OpenAiStt } from './openai-stt.js';

// Talks to the real API and costs a little money: runs only when asked, with a key.
//   OPENAI_API_KEY=sk-... npx tap cloud/providers/stt/openai-stt.live.test.ts
const apiKey = process.env.OPENAI_API_KEY ?? '';
const skip = apiKey === '' ? 'set OPENAI_API_KEY to run the live OpenAI speech-to-text test' : false;

for (const [model, format] of [
  ['whisper-1', 'ogg'],
  ['gpt-4o-mini-transcribe', 'ogg'],
  ['gpt-4o-mini-transcribe', 'wav'],
] as const) {
  t.test(`${model} (${format}) transcribes espeak-ng speech`, { skip }, async (t) => {
    const stt = new OpenAiStt({ apiKey, model, format, prompt: 'Pommai, a talking toy for children.', timeoutMs: 30_000 });
    const audio = await spokenAudio('tell me a story about a dragon', 'en-us', 140);
    const started = performance.now();
    const heard = await stt.transcribe(streamOf(audio), new AbortController().signal);
    t.comment(`${JSON.stringify(heard.text)} confidence ${heard.confidence.toFixed(3)}, first text after ${((heard.firstTextAt ?? NaN) - started).toFixed(0)} ms, all after ${(performance.now() - started).toFixed(0)} ms`);
    t.match(heard.text, /\bstory\b/);
    t.match(heard.text, /\bdragon\b/);
    t.equal(heard.text, heard.text.toLowerCase());
    t.equal(heard.rejected, false);
    t.ok(heard.confidence > 0.3 && heard.confidence <= 1, `confidence ${heard.confidence}`);
  });
}

t.test('a wrong key is provider_unauthorized', { skip }, async (t) => {
  const stt = new OpenAiStt({ apiKey: 'sk-not-a-real-key-0000000000000000', timeoutMs: 30_000 });
  await t.rejects(stt.transcribe(streamOf(await spokenAudio('hello')), new AbortController().signal), { code: 'provider_unauthorized', retryable: false });
});
