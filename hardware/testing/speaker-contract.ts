import type { Test } from 'tap';
import type { Speaker } from '../speaker.js';
import { within } from './within.js';

const BOUND_MS = 5000;
// Long enough that, at up to 20 times real speed, playing it out would take far longer than CUT_BOUND_MS.
const LONG_AUDIO_SECONDS = 120;
const CUT_BOUND_MS = 2000;

function tone(speaker: Speaker, seconds: number): Int16Array {
  const rate = speaker.sampleRate;
  return Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 330 * i) / rate)));
}

/**
 * What every Speaker driver must do. `make` must give a speaker that plays at
 * most 20 times faster than real time, so that cutting is observable.
 */
export function speakerContract(t: Test, name: string, make: () => Speaker | Promise<Speaker>): void {
  t.test(`${name} honours the Speaker contract`, async (t) => {
    t.test('has a sample rate', async (t) => {
      const speaker = await make();
      t.teardown(() => speaker.close());
      t.ok(Number.isInteger(speaker.sampleRate) && speaker.sampleRate > 0, `${speaker.sampleRate} Hz`);
    });

    t.test('drain resolves after writes, and when nothing was written', async (t) => {
      const speaker = await make();
      t.teardown(() => speaker.close());
      await within(speaker.drain(), BOUND_MS, 'drain with nothing written');
      await within(speaker.write(new Int16Array(0)), BOUND_MS, 'an empty write');
      await within(speaker.write(tone(speaker, 0.1)), BOUND_MS, 'a write');
      await within(speaker.write(tone(speaker, 0.1)), BOUND_MS, 'a second write');
      await within(speaker.drain(), BOUND_MS, 'drain after writes');
    });

    t.test('stop discards queued audio and resolves pending writes and drains', async (t) => {
      const speaker = await make();
      t.teardown(() => speaker.close());
      const writing = speaker.write(tone(speaker, LONG_AUDIO_SECONDS));
      const draining = speaker.drain();
      speaker.stop();
      await within(writing, CUT_BOUND_MS, 'the cut write to resolve');
      await within(draining, CUT_BOUND_MS, 'a pending drain to resolve');
      await within(speaker.drain(), CUT_BOUND_MS, 'drain after stop');
    });

    t.test('plays again after stop', async (t) => {
      const speaker = await make();
      t.teardown(() => speaker.close());
      speaker.stop();
      await within(speaker.write(tone(speaker, 0.1)), BOUND_MS, 'a write after stop');
      await within(speaker.drain(), BOUND_MS, 'drain after stop and write');
    });

    t.test('the caller may reuse its array as soon as write resolves', async (t) => {
      const speaker = await make();
      t.teardown(() => speaker.close());
      const pcm = tone(speaker, 0.05);
      await within(speaker.write(pcm), BOUND_MS, 'a write');
      pcm.fill(0);
      await within(speaker.drain(), BOUND_MS, 'drain');
      t.pass('no error from reusing the array');
    });

    t.test('write after close rejects; close may be repeated', async (t) => {
      const speaker = await make();
      await speaker.close();
      await t.rejects(speaker.write(tone(speaker, 0.01)));
      await speaker.close();
      t.doesNotThrow(() => speaker.stop(), 'stop after close is harmless');
    });
  });
}
