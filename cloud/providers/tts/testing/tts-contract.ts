import type { Test } from 'tap';
import { rms } from '../../../../audio/pcm-level.js';
import { ProviderError } from '../../provider-error.js';
import { DEFAULT_TOY } from '../../../toy/toy-profile.js';
import type { Tts } from '../tts.js';
import { within } from '../../testing/within-bound.js';

/** One Tts to test, with what it needs to be observed and cleaned up. */
export interface TtsUnderTest {
  readonly tts: Tts;
  /** Settles once the latest synthesis has let go of what it held (an HTTP stream, a child process). */
  readonly released?: () => Promise<unknown>;
  readonly close?: () => Promise<unknown>;
}

export interface TtsContractOptions {
  /** Known gaps, by case name, each with why: reported as todo instead of failing the run. */
  readonly todo?: Readonly<Partial<Record<'empty text', string>>>;
}

// Bounds, not speed tests: generous enough for a loaded CI machine.
const BOUND_MS = 10_000;
const SENTENCE = 'Hello! I am a little bunny and I love crunchy carrots.';
const LONG = 'The little bunny hopped along the garden path to find a carrot. '.repeat(20);
// Speech sits far above this; silence and dither sit far below.
const RMS_FLOOR = 300;

/**
 * What every Tts must do, cloud or offline, so the turn can treat them alike. Each subtest gets
 * its own instance from `make` and closes it afterwards.
 */
export function ttsContract(t: Test, name: string, make: () => Promise<TtsUnderTest>, options: TtsContractOptions = {}): void {
  t.test(`${name} keeps the Tts contract`, async (t) => {
    const open = async (t: Test): Promise<TtsUnderTest> => {
      const under = await make();
      t.teardown(async () => {
        await under.close?.();
      });
      return under;
    };
    const voice = DEFAULT_TOY.voice;
    const live = () => new AbortController().signal;

    t.test('speaks a sentence as non-empty PCM chunks of plausible length, not silence', async (t) => {
      const { tts } = await open(t);
      t.ok(tts.name.length > 0, `name ${tts.name}`);
      t.ok(Number.isInteger(tts.sampleRate) && tts.sampleRate >= 8000, `${tts.sampleRate} Hz`);
      const chunks = await within(collect(tts.synthesize(SENTENCE, voice, live())), BOUND_MS, 'a sentence');
      t.ok(chunks.length > 0, `${chunks.length} chunks`);
      t.ok(chunks.every((c) => c instanceof Int16Array && c.length > 0), 'every chunk is a non-empty Int16Array');
      const pcm = join(chunks);
      const seconds = pcm.length / tts.sampleRate;
      t.ok(seconds > 0.2 && seconds < 10, `${seconds.toFixed(2)} s at ${tts.sampleRate} Hz`);
      t.ok(rms(pcm) > RMS_FLOOR, `RMS ${rms(pcm).toFixed(0)} is above the silence floor ${RMS_FLOOR}`);
    });

    t.test('empty text yields nothing and does not fail', { todo: options.todo?.['empty text'] ?? false }, async (t) => {
      const { tts } = await open(t);
      for (const text of ['', '  \n ']) {
        const chunks = await within(collect(tts.synthesize(text, voice, live())).catch((e: unknown) => e), BOUND_MS, 'empty text');
        t.strictSame(chunks, [], `${JSON.stringify(text)} yields nothing`);
      }
    });

    t.test('an abort before the start stops it with code aborted', async (t) => {
      const { tts } = await open(t);
      const controller = new AbortController();
      controller.abort(new Error('barge-in'));
      const chunks: Int16Array[] = [];
      const error = await within(collect(tts.synthesize(SENTENCE, voice, controller.signal), chunks).catch((e: unknown) => e), BOUND_MS, 'a pre-aborted call');
      t.type(error, ProviderError);
      t.match(error, { code: 'aborted', retryable: false, message: /barge-in/ });
      t.equal(chunks.length, 0, 'nothing spoken');
    });

    t.test('an abort mid-stream stops it promptly with code aborted', async (t) => {
      const { tts } = await open(t);
      const controller = new AbortController();
      const iterator = tts.synthesize(LONG, voice, controller.signal)[Symbol.asyncIterator]();
      const first = await within(iterator.next(), BOUND_MS, 'the first chunk');
      t.notOk(first.done, 'audio started');
      controller.abort(new Error('emergency stop'));
      const error = await within(
        (async () => {
          for (;;) if ((await iterator.next()).done) return 'ended without an error';
        })().catch((e: unknown) => e),
        BOUND_MS,
        'the stream to stop after abort',
      );
      t.type(error, ProviderError);
      t.match(error, { code: 'aborted', message: /emergency stop/ });
    });

    t.test('breaking out of the loop early releases what it held', async (t) => {
      const under = await open(t);
      const stop = async (): Promise<number> => {
        for await (const chunk of under.tts.synthesize(LONG, voice, live())) return chunk.length;
        return 0;
      };
      t.ok((await within(stop(), BOUND_MS, 'an early break')) > 0, 'got a chunk, then broke out');
      if (under.released !== undefined) await within(under.released(), BOUND_MS, 'the synthesis to release its resources');
    });

    t.test('speaks again after a finished, a broken-off and an aborted synthesis', async (t) => {
      const { tts } = await open(t);
      const length = async () => join(await within(collect(tts.synthesize(SENTENCE, voice, live())), BOUND_MS, 'a sentence')).length;
      const first = await length();
      for await (const _ of tts.synthesize(LONG, voice, live())) break;
      const controller = new AbortController();
      const cut = tts.synthesize(LONG, voice, controller.signal)[Symbol.asyncIterator]();
      await within(cut.next(), BOUND_MS, 'the first chunk');
      controller.abort(new Error('barge-in'));
      await within(Promise.resolve(cut.return?.()), BOUND_MS, 'closing the aborted stream');
      const again = await length();
      t.ok(first > 0 && again > 0, `${first} then ${again} samples`);
      t.ok(Math.abs(again - first) / first < 0.5, 'the same sentence again comes out about as long');
    });
  });
}

async function collect(stream: AsyncIterable<Int16Array>, into: Int16Array[] = []): Promise<Int16Array[]> {
  for await (const chunk of stream) into.push(chunk);
  return into;
}

function join(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
