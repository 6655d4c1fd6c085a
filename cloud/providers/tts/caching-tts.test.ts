import t from 'tap';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import { CachingTts } from './caching-tts.js';
import type { Tts } from './tts.js';
import { ttsContract } from './testing/tts-contract.js';
import { EspeakTts } from './espeak-tts.js';

/** A voice that counts its work and speaks a tone 0.1 s per word. */
function countingTts(): Tts & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'counting',
    sampleRate: 16_000,
    calls,
    async *synthesize(text: string) {
      calls.push(text);
      for (const _ of text.split(' ')) yield new Int16Array(1600).map((_, i) => Math.round(3000 * Math.sin(i / 5)));
    },
  };
}

const voice = DEFAULT_TOY.voice;
const signal = new AbortController().signal;
async function say(tts: Tts, text: string, v = voice): Promise<number> {
  let samples = 0;
  for await (const pcm of tts.synthesize(text, v, signal)) samples += pcm.length;
  return samples;
}

ttsContract(t, 'CachingTts over EspeakTts', async () => ({ tts: new CachingTts(new EspeakTts(), { maxBytes: 4_000_000, maxEntryBytes: 1_000_000 }) }));

t.test('the same words in the same voice come from the cache, sample for sample', async (t) => {
  const inner = countingTts();
  const tts = new CachingTts(inner, { maxBytes: 1_000_000, maxEntryBytes: 100_000 });
  t.equal(await say(tts, 'I love carrots'), 4800);
  t.equal(await say(tts, '  i LOVE   carrots '), 4800, 'spacing and capitals do not matter');
  t.same(inner.calls, ['I love carrots'], 'synthesized once');
  t.same(tts.stats, { hits: 1, misses: 1, evictions: 0 });
  await say(tts, 'I love carrots', { ...voice, pitch: voice.pitch + 10 });
  t.equal(inner.calls.length, 2, 'another voice is another entry');
});

t.test('bounded in bytes, least recently used first; long sentences pass through uncached', async (t) => {
  const inner = countingTts();
  // Two words are 3200 samples, 6400 bytes: room for two such entries.
  const tts = new CachingTts(inner, { maxBytes: 12_800, maxEntryBytes: 12_800 });
  await say(tts, 'one two');
  await say(tts, 'three four');
  await say(tts, 'one two');
  await say(tts, 'five six');
  t.equal(tts.cachedBytes, 12_800);
  t.equal(tts.stats.evictions, 1);
  t.ok(tts.has('one two', voice), 'recently used: kept');
  t.notOk(tts.has('three four', voice), 'least recently used: evicted');
  await say(tts, 'a much longer sentence than fits');
  t.notOk(tts.has('a much longer sentence than fits', voice));
});

t.test('an aborted or failed synthesis is never cached', async (t) => {
  let fail = true;
  const inner: Tts = {
    name: 'flaky',
    sampleRate: 16_000,
    async *synthesize() {
      yield new Int16Array(100);
      if (fail) throw new Error('cut off');
      yield new Int16Array(100);
    },
  };
  const tts = new CachingTts(inner, { maxBytes: 100_000, maxEntryBytes: 100_000 });
  await t.rejects(say(tts, 'hello'), /cut off/);
  t.notOk(tts.has('hello', voice), 'half a sentence is not kept');
  fail = false;
  await say(tts, 'hello');
  t.ok(tts.has('hello', voice));
  const controller = new AbortController();
  controller.abort(new Error('barged in'));
  await t.rejects((async () => {
    for await (const _ of tts.synthesize('hello', voice, controller.signal)) void _;
  })(), { code: 'aborted' }, 'a cached line stops on abort too');
});

t.test('pregenerate fills the cache ahead; shed empties it and refuses new entries until accepting again', async (t) => {
  const inner = countingTts();
  const tts = new CachingTts(inner, { maxBytes: 1_000_000, maxEntryBytes: 100_000 });
  t.same(await tts.pregenerate(['Hello there', 'Oh dear', 'Hello there'], voice, signal), { ready: 2, failed: 0 });
  t.equal(inner.calls.length, 2);
  await say(tts, 'oh dear');
  t.equal(inner.calls.length, 2, 'served from the cache');
  tts.shed();
  tts.setAccepting(false);
  t.equal(tts.cachedBytes, 0);
  await say(tts, 'oh dear');
  t.notOk(tts.has('oh dear', voice), 'not kept while refusing');
  tts.setAccepting(true);
  await say(tts, 'oh dear');
  t.ok(tts.has('oh dear', voice));
});

t.test('the same words synthesized twice at once are kept once, and counted once', async (t) => {
  const inner = countingTts();
  const tts = new CachingTts(inner, { maxBytes: 1_000_000, maxEntryBytes: 100_000 });
  await Promise.all([say(tts, 'hello there'), say(tts, 'hello there')]);
  t.equal(inner.calls.length, 2, 'both missed');
  t.equal(tts.cachedBytes, 6400, 'one entry\'s bytes, not two');
  tts.shed();
  t.equal(tts.cachedBytes, 0);
});
