import type { Test } from 'tap';
import { normalizePhrase } from '../normalize-phrase.js';
import type { Stt } from '../stt.js';
import { within } from '../../testing/within-bound.js';

/** One Stt to test, with what it needs to be fed, observed and cleaned up. */
export interface SttUnderTest {
  readonly stt: Stt;
  /**
   * 16 kHz PCM of `text` spoken, arranged so that this implementation should hear exactly
   * `text` (for a fake server: scripted to answer it, in its own capitals and punctuation).
   */
  readonly say: (text: string) => Promise<Int16Array>;
  /** How much of its work is still running (decoders, HTTP requests): 0 once it has let go. */
  readonly busy?: () => number | Promise<number>;
  readonly cleanup?: () => Promise<void>;
}

// Bounds, not speed tests: generous enough for a loaded machine, short enough to catch a hang.
const BOUND_MS = 15_000;
const RATE = 16_000;
// Phrases every implementation under test can hear (the offline grammar includes them).
const FIRST = 'Tell me a story';
const SECOND = 'What does a cow say?';

/**
 * What every Stt must do, cloud or offline, so the turn can treat them alike. Each subtest gets
 * its own instance from `make` and cleans it up afterwards.
 */
export function sttContract(t: Test, name: string, make: () => Promise<SttUnderTest>): void {
  t.test(`${name} keeps the Stt contract`, async (t) => {
    const open = async (t: Test): Promise<SttUnderTest> => {
      const under = await make();
      t.teardown(async () => {
        await under.cleanup?.();
      });
      return under;
    };
    const live = () => new AbortController().signal;

    t.test('hears a known utterance as its lower-case words, twice on one instance', async (t) => {
      const { stt, say } = await open(t);
      t.ok(stt.name.length > 0, `name ${stt.name}`);
      for (const phrase of [FIRST, SECOND]) {
        const heard = await within(stt.transcribe(chunks(await say(phrase)), live()), BOUND_MS, `"${phrase}"`);
        t.equal(heard.text, normalizePhrase(phrase), `"${phrase}" comes back as "${normalizePhrase(phrase)}"`);
        t.equal(heard.text, heard.text.toLowerCase().trim(), 'lower case, no outer spaces');
        t.equal(heard.rejected, false);
        t.ok(heard.confidence > 0 && heard.confidence <= 1, `confidence ${heard.confidence}`);
      }
    });

    t.test('silence, an empty stream and steady hiss are nothing heard', async (t) => {
      const { stt } = await open(t);
      for (const [what, audio] of [
        ['2 s of silence', new Int16Array(2 * RATE)],
        ['an empty stream', new Int16Array(0)],
        ['steady hiss', hiss(1.5, 300)],
      ] as const) {
        const heard = await within(stt.transcribe(chunks(audio), live()), BOUND_MS, what);
        t.equal(heard.text, '', `${what}: no words`);
        t.ok(heard.confidence >= 0 && heard.confidence <= 1, `${what}: confidence ${heard.confidence} in 0..1`);
        t.equal(typeof heard.rejected, 'boolean');
      }
    });

    t.test('never throws synchronously: failures come as rejections', async (t) => {
      const { stt } = await open(t);
      const aborted = new AbortController();
      aborted.abort(new Error('emergency stop'));
      let pending: Promise<unknown> | undefined;
      t.doesNotThrow(() => {
        pending = stt.transcribe(chunks(new Int16Array(960)), aborted.signal);
      }, 'an aborted signal');
      await t.rejects(within(pending ?? Promise.resolve(), BOUND_MS, 'aborted'), { code: 'aborted' });

      const broken: AsyncIterable<Int16Array> = {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(new Error('the microphone link dropped')),
        }),
      };
      t.doesNotThrow(() => {
        pending = stt.transcribe(broken, live());
      }, 'a source that fails');
      await t.rejects(within(pending ?? Promise.resolve(), BOUND_MS, 'a failing source'), /microphone link dropped/);
    });

    t.test('an abort before the audio rejects with aborted and reads nothing', async (t) => {
      const { stt, say } = await open(t);
      const controller = new AbortController();
      controller.abort(new Error('barge-in'));
      const source = watched(await say(FIRST), () => {});
      await t.rejects(within(stt.transcribe(source.stream, controller.signal), BOUND_MS, 'an early abort'), { name: 'ProviderError', code: 'aborted' });
      t.equal(source.pulled(), 0, 'no audio was read');
    });

    t.test('an abort while the child speaks rejects with aborted, lets go of the audio and leaves nothing running', async (t) => {
      const under = await open(t);
      const speech = await under.say(FIRST);
      const controller = new AbortController();
      // Half the speech, then more audio for as long as anyone reads it: the turn is cut meanwhile.
      const source = watched(speech, (pulled) => {
        if (pulled === Math.floor(speech.length / 960 / 2)) controller.abort(new Error('barge-in'));
      });
      await t.rejects(within(under.stt.transcribe(source.stream, controller.signal), BOUND_MS, 'an abort mid-speech'), { name: 'ProviderError', code: 'aborted' });
      await within(source.released, BOUND_MS, 'the audio source to be released');
      t.pass('the audio source was released');
      const after = source.pulled();
      await new Promise((resolve) => setImmediate(resolve));
      t.equal(source.pulled(), after, 'nobody reads the audio any more');
      if (under.busy !== undefined) {
        await within(until(async () => (await under.busy?.()) === 0), BOUND_MS, 'its work to stop');
        t.pass('nothing left running');
      }
      // The instance is still good for the next turn.
      const heard = await within(under.stt.transcribe(chunks(await under.say(SECOND)), live()), BOUND_MS, 'the next turn');
      t.equal(heard.text, normalizePhrase(SECOND), 'the next turn is heard');
    });

    t.test('an abort once the audio has ended rejects with aborted and leaves nothing running', async (t) => {
      const under = await open(t);
      const controller = new AbortController();
      const speech = await under.say(FIRST);
      async function* thenAbort(): AsyncIterable<Int16Array> {
        yield* chunks(speech);
        // The child let go of the button; the turn is cut while the recogniser works.
        queueMicrotask(() => controller.abort(new Error('emergency stop')));
      }
      const outcome = await within(
        under.stt.transcribe(thenAbort(), controller.signal).then(
          (heard) => ({ heard }),
          (error: unknown) => ({ error }),
        ),
        BOUND_MS,
        'an abort after the audio',
      );
      // It may have finished first; if not, the abort must show as such.
      if ('error' in outcome) t.match(outcome.error, { name: 'ProviderError', code: 'aborted' });
      else t.equal(outcome.heard.text, normalizePhrase(FIRST), 'finished before the abort');
      if (under.busy !== undefined) {
        await within(until(async () => (await under.busy?.()) === 0), BOUND_MS, 'its work to stop');
        t.pass('nothing left running');
      }
    });
  });
}

/** The audio as 60 ms chunks, the uplink's frame. */
async function* chunks(audio: Int16Array, size = 960): AsyncIterable<Int16Array> {
  for (let at = 0; at < audio.length; at += size) yield audio.subarray(at, at + size);
}

/**
 * The audio, then silence for as long as it is read, counting reads: `released` settles when
 * the generator has been closed (return() reached its finally).
 */
function watched(audio: Int16Array, onPull: (pulled: number) => void): { stream: AsyncIterable<Int16Array>; pulled: () => number; released: Promise<void> } {
  let count = 0;
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* stream(): AsyncIterable<Int16Array> {
    try {
      for (let at = 0; ; at += 960) {
        await new Promise((resolve) => setImmediate(resolve));
        count++;
        onPull(count);
        yield at < audio.length ? audio.subarray(at, at + 960) : new Int16Array(960);
      }
    } finally {
      release();
    }
  }
  return { stream: stream(), pulled: () => count, released };
}

/** Steady white noise from a fixed seed. */
function hiss(seconds: number, amplitude: number): Int16Array {
  const noise = new Int16Array(Math.round(seconds * RATE));
  let seed = 2024;
  for (let i = 0; i < noise.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    noise[i] = Math.round(((seed / 0x7fffffff) * 2 - 1) * amplitude);
  }
  return noise;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

