import t from 'tap';
import { ProviderError } from '../provider-error.js';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import { EspeakTts } from './espeak-tts.js';

async function collect(stream: AsyncIterable<Int16Array>): Promise<number> {
  let samples = 0;
  for await (const chunk of stream) samples += chunk.length;
  return samples;
}

t.test('speaks in the toy voice at the configured rate', async (t) => {
  const tts = new EspeakTts();
  t.equal(tts.name, 'espeak');
  t.equal(tts.sampleRate, 24000);
  const seconds = (await collect(tts.synthesize('hello there', DEFAULT_TOY.voice, new AbortController().signal))) / 24000;
  t.ok(seconds > 0.5 && seconds < 3, `${seconds.toFixed(2)} s at 24000 Hz`);

  const narrow = new EspeakTts({ sampleRate: 16000 });
  t.equal(narrow.sampleRate, 16000);
  const at16 = (await collect(narrow.synthesize('hello there', DEFAULT_TOY.voice, new AbortController().signal))) / 16000;
  t.ok(Math.abs(at16 - seconds) < 0.05, 'same speech, another rate');
});

t.test('a missing espeak-ng becomes ProviderError tts_unavailable', async (t) => {
  const tts = new EspeakTts({ command: '/nonexistent/espeak-ng' });
  const error = await collect(tts.synthesize('hello', DEFAULT_TOY.voice, new AbortController().signal)).catch((e: unknown) => e);
  t.type(error, ProviderError);
  t.match(error, { code: 'tts_unavailable', retryable: false, message: /espeak-ng/ });
});

t.test('a failing espeak-ng becomes ProviderError tts_failed', async (t) => {
  const tts = new EspeakTts();
  const voice = { ...DEFAULT_TOY.voice, espeakVoice: 'nosuchvoice' };
  const error = await collect(tts.synthesize('hello', voice, new AbortController().signal)).catch((e: unknown) => e);
  t.type(error, ProviderError);
  t.match(error, { code: 'tts_failed', retryable: false, message: /voice does not exist/ });
});

t.test('abort becomes ProviderError aborted', async (t) => {
  const tts = new EspeakTts();
  const controller = new AbortController();
  const long = 'The little bunny hopped along the garden path. '.repeat(40);
  const iterator = tts.synthesize(long, DEFAULT_TOY.voice, controller.signal)[Symbol.asyncIterator]();
  t.notOk((await iterator.next()).done);
  controller.abort(new Error('emergency stop'));
  const error = await (async () => {
    for (;;) if ((await iterator.next()).done) return undefined;
  })().catch((e: unknown) => e);
  t.type(error, ProviderError);
  t.match(error, { code: 'aborted', retryable: false, message: /emergency stop/ });
});
