import type { Test } from 'tap';
import type { Speaker } from '../speaker.js';
import { within } from './within.js';
import { joinSamples } from './join-samples.js';

const BOUND_MS = 5000;
// Long enough that, at up to 20 times real speed, playing it out would take far longer than CUT_BOUND_MS.
const LONG_AUDIO_SECONDS = 120;
const CUT_BOUND_MS = 2000;

export interface SpeakerUnderTest {
  speaker: Speaker;
  /**
   * Every sample the speaker's output received, in order: the driver's file, or what its
   * aplay wrote. Called once, at the end of a subtest, after the last drain; it may close
   * the speaker (a WAV file is complete only then).
   */
  played: () => Promise<Int16Array>;
}

// Different pitches, so that audio played in the wrong order, twice or not at all shows.
function tone(speaker: Speaker, seconds: number, hz: number): Int16Array {
  const rate = speaker.sampleRate;
  return Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / rate)));
}

const AS_WRITTEN = 'as written';

/**
 * AS_WRITTEN when `played` is `written` and then only silence, else where it is not. Silence
 * may follow because aplay pads the last period of a stretch with it; a sample added, lost
 * or changed is never right. The answer names one sample so that a failure reads short.
 */
export function comparePlayed(played: Int16Array, written: Int16Array): string {
  for (let i = 0; i < written.length; i++) {
    if (i >= played.length) return `only ${played.length} of ${written.length} samples were played`;
    if (played[i] !== written[i]) return `sample ${i} was played as ${played[i]}, written as ${written[i]}`;
  }
  const loud = played.subarray(written.length).findIndex((sample) => sample !== 0);
  return loud < 0 ? AS_WRITTEN : `sample ${written.length + loud} (${played[written.length + loud]}) was played after the end of what was written`;
}

/**
 * AS_WRITTEN when `played` is a start of `cut` (what was heard before the cut, perhaps
 * nothing), perhaps silence, then `after` as written; else what is wrong. The silence is
 * allowed because an aplay cut while it still held audio may pad its last period on the
 * way out, as it does at the end of any stretch.
 */
export function comparePlayedAfterCut(played: Int16Array, cut: Int16Array, after: Int16Array): string {
  let heard = 0;
  while (heard < played.length && heard < cut.length && played[heard] === cut[heard]) heard++;
  if (heard === cut.length) return 'the cut audio was played to its end';
  // The heard part ends at the longest shared start or earlier: samples of `cut` and `after` may agree.
  for (let end = heard; end >= 0; end--) {
    for (let start = end; start <= played.length; start++) {
      if (comparePlayed(played.subarray(start), after) === AS_WRITTEN) return AS_WRITTEN;
      if (played[start] !== 0) break;
    }
  }
  return `after ${heard} samples of the cut audio: ${comparePlayed(played.subarray(heard), after)}`;
}

/**
 * What every Speaker driver must do, checked on what it played. `make` must give a
 * speaker whose output goes to a place of its own in `dir`, and that plays at most 20
 * times faster than real time so that a cut shows in time; an output that keeps no time
 * at all (ALSA's file plugin) shows a cut in what is played after it.
 */
export function speakerContract(t: Test, name: string, make: (dir: string) => SpeakerUnderTest | Promise<SpeakerUnderTest>): void {
  t.test(`${name} honours the Speaker contract`, async (t) => {
    t.test('has a sample rate', async (t) => {
      const { speaker } = await make(t.testdir({}));
      t.teardown(() => speaker.close());
      t.ok(Number.isInteger(speaker.sampleRate) && speaker.sampleRate > 0, `${speaker.sampleRate} Hz`);
    });

    t.test('drain resolves after writes, and when nothing was written; the writes are played in order', async (t) => {
      const { speaker, played } = await make(t.testdir({}));
      t.teardown(() => speaker.close());
      const first = tone(speaker, 0.1, 330);
      const second = tone(speaker, 0.1, 440);
      await within(speaker.drain(), BOUND_MS, 'drain with nothing written');
      await within(speaker.write(new Int16Array(0)), BOUND_MS, 'an empty write');
      await within(speaker.write(first), BOUND_MS, 'a write');
      await within(speaker.write(second), BOUND_MS, 'a second write');
      await within(speaker.drain(), BOUND_MS, 'drain after writes');
      t.equal(comparePlayed(await played(), joinSamples(first, second)), AS_WRITTEN, 'both writes were played, in order');
    });

    t.test('stop discards queued audio and resolves pending writes and drains', async (t) => {
      const { speaker, played } = await make(t.testdir({}));
      t.teardown(() => speaker.close());
      const long = tone(speaker, LONG_AUDIO_SECONDS, 330);
      // No await between the write and the stop: ALSA's file plugin does not keep time, so a
      // speaker given a moment would write the whole tone and the cut could not be seen.
      const writing = speaker.write(long);
      const draining = speaker.drain();
      speaker.stop();
      await within(writing, CUT_BOUND_MS, 'the cut write to resolve');
      await within(draining, CUT_BOUND_MS, 'a pending drain to resolve');
      await within(speaker.drain(), CUT_BOUND_MS, 'drain after stop');
      // What comes next shows the cut: none of the rest of the long tone may be played after it.
      const next = tone(speaker, 0.1, 440);
      await within(speaker.write(next), BOUND_MS, 'a write after the cut');
      await within(speaker.drain(), BOUND_MS, 'drain after the cut and a write');
      t.equal(comparePlayedAfterCut(await played(), long, next), AS_WRITTEN, 'at most the start of the cut audio, then the next write');
    });

    t.test('plays again after stop', async (t) => {
      const { speaker, played } = await make(t.testdir({}));
      t.teardown(() => speaker.close());
      speaker.stop();
      const pcm = tone(speaker, 0.1, 330);
      await within(speaker.write(pcm), BOUND_MS, 'a write after stop');
      await within(speaker.drain(), BOUND_MS, 'drain after stop and write');
      t.equal(comparePlayed(await played(), pcm), AS_WRITTEN, 'the write after stop was played');
    });

    t.test('the caller may reuse its array as soon as write resolves', async (t) => {
      const { speaker, played } = await make(t.testdir({}));
      t.teardown(() => speaker.close());
      const pcm = tone(speaker, 0.05, 330);
      const written = pcm.slice();
      await within(speaker.write(pcm), BOUND_MS, 'a write');
      pcm.fill(0);
      await within(speaker.drain(), BOUND_MS, 'drain');
      t.equal(comparePlayed(await played(), written), AS_WRITTEN, 'what was written was played, not what the array held later');
    });

    t.test('write after close rejects; close may be repeated', async (t) => {
      const { speaker, played } = await make(t.testdir({}));
      await speaker.close();
      await t.rejects(speaker.write(tone(speaker, 0.01, 330)));
      await speaker.close();
      t.doesNotThrow(() => speaker.stop(), 'stop after close is harmless');
      t.equal(comparePlayed(await played(), new Int16Array(0)), AS_WRITTEN, 'nothing was played');
    });
  });
}
