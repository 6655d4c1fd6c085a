import t from 'tap';
import { silentLog } from '../../../log/log.js';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { ProviderError } from '../provider-error.js';
import { BreakerTts } from './breaker-tts.js';
import { CachingTts } from './caching-tts.js';
import type { Tts } from './tts.js';

const OPTIONS = { failureThreshold: 2, failureWindowMs: 60_000, coolDownMs: 30_000, maxCoolDownMs: 60_000 };
const voice = DEFAULT_TOY.voice;

/** A cloud voice that answers until `down` is set, then fails every request. */
function cloudVoice(): Tts & { down: boolean; requests: string[] } {
  return {
    name: 'FakeVoice',
    sampleRate: 24_000,
    down: false,
    requests: [],
    async *synthesize(text) {
      this.requests.push(text);
      if (this.down) throw new ProviderError('provider_unavailable', 'HTTP 500', { retryable: true });
      yield new Int16Array(2400).fill(100);
    },
  };
}

async function play(tts: Tts, text: string): Promise<number | ProviderError> {
  let samples = 0;
  try {
    for await (const pcm of tts.synthesize(text, voice, new AbortController().signal)) samples += pcm.length;
  } catch (error) {
    return error as ProviderError;
  }
  return samples;
}

t.test('behind the cache, lines made ahead still play while the voice is down; others are refused without a request', async (t) => {
  const cloud = cloudVoice();
  const breaker = new CircuitBreaker(cloud.name, 'tts', silentLog, OPTIONS);
  const tts = new CachingTts(new BreakerTts(cloud, breaker), { maxBytes: 1 << 20, maxEntryBytes: 1 << 16 });
  t.same(await tts.pregenerate(['Oops, let me think again.'], voice, new AbortController().signal), { ready: 1, failed: 0 });
  cloud.down = true;
  for (let i = 0; i < OPTIONS.failureThreshold; i++) await play(tts, `sentence ${i}`);
  t.equal(breaker.state, 'open');
  const requests = cloud.requests.length;
  t.equal(await play(tts, 'Oops, let me think again.'), 2400, 'the cached line played');
  t.match(await play(tts, 'a new sentence'), { code: 'provider_down' });
  t.equal(cloud.requests.length, requests, 'no request while open');
  t.equal(breaker.state, 'open', 'a cached line is no news of the voice');
});

t.test('words the inner voice has ready pass by the breaker', async (t) => {
  const cloud = cloudVoice();
  const breaker = new CircuitBreaker(cloud.name, 'tts', silentLog, OPTIONS);
  const cache = new CachingTts(cloud, { maxBytes: 1 << 20, maxEntryBytes: 1 << 16 });
  const tts = new BreakerTts(cache, breaker);
  await play(tts, 'Hello!');
  cloud.down = true;
  for (let i = 0; i < OPTIONS.failureThreshold; i++) await play(tts, `sentence ${i}`);
  t.equal(breaker.state, 'open');
  t.ok(tts.has('Hello!', voice));
  t.equal(await play(tts, 'Hello!'), 2400);
  t.match(await play(tts, 'Goodbye!'), { code: 'provider_down' });
});
