import t from 'tap';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { AudioKind, DOWNLINK_AUDIO } from '../protocol/index.js';
import { AudioPlayback } from './audio-playback.js';
import { silentLog } from '../log/log.js';
import { VolumeControl } from './volume-control.js';

const encoder = createOpusEncoder({ sampleRate: 24_000, frameMs: 60, bitrate: 24_000 });
const tone = new Int16Array(1440).map((_, i) => Math.round(6000 * Math.sin(i / 4)));
const packet = encoder.encode(tone);
const frame = (turn: number, sequence: number, payload = packet) => ({ kind: AudioKind.Voice, turn, sequence, payload });

async function player(t: { teardown: (fn: () => Promise<void>) => void }, maxQueuedFrames = 50) {
  const speaker = await SimSpeaker.create({ sampleRate: 24_000, speed: 20 });
  t.teardown(() => speaker.close());
  const playback = new AudioPlayback(speaker, DOWNLINK_AUDIO, { maxQueuedFrames, prebufferFrames: 2, volume: new VolumeControl(100, 100), log: silentLog });
  return { speaker, playback };
}

t.test('plays a turn to the end and finish() resolves once the last sample has played', async (t) => {
  const { speaker, playback } = await player(t);
  playback.begin(1);
  for (let i = 0; i < 10; i++) playback.push(frame(1, i));
  await playback.finish();
  t.equal(playback.counters.played, 10);
  t.equal(speaker.playedSamples, 10 * 1440, 'every sample was played before finish resolved');
  t.type(playback.firstAudibleAt, 'number');
});

t.test('a single frame waits for the jitter cushion, and finish plays it anyway', async (t) => {
  const { speaker, playback } = await player(t);
  playback.begin(1);
  playback.push(frame(1, 0));
  await new Promise((r) => setImmediate(r));
  t.equal(playback.counters.played, 0, 'held back: one frame is not yet a cushion');
  await playback.finish();
  t.equal(speaker.playedSamples, 1440);
});

t.test('frames of another turn are dropped and counted, never played', async (t) => {
  const { speaker, playback } = await player(t);
  playback.begin(2);
  playback.push(frame(1, 0));
  playback.push(frame(3, 0));
  playback.push(frame(2, 0));
  playback.push(frame(2, 1));
  await playback.finish();
  t.equal(playback.counters.staleDropped, 2);
  t.equal(speaker.playedSamples, 2 * 1440);
});

t.test('a damaged packet is skipped; the frames behind it still play', async (t) => {
  const { playback } = await player(t);
  playback.begin(1);
  playback.push(frame(1, 0));
  playback.push(frame(1, 1, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff])));
  for (let i = 2; i < 6; i++) playback.push(frame(1, i));
  await playback.finish();
  t.equal(playback.counters.badPackets, 1, 'the damaged packet was counted');
  t.equal(playback.counters.played, 5, 'and all five good frames played');
});

t.test('the queue is bounded: frames past it are dropped and counted', async (t) => {
  const { playback } = await player(t, 5);
  playback.begin(1);
  for (let i = 0; i < 40; i++) playback.push(frame(1, i));
  await playback.finish();
  t.ok(playback.counters.overflowDropped > 0, `${playback.counters.overflowDropped} dropped`);
  t.equal(playback.counters.played + playback.counters.overflowDropped, 40);
});

t.test('stop cuts at once and the stopped turn is forgotten', async (t) => {
  const { speaker, playback } = await player(t);
  playback.begin(1);
  for (let i = 0; i < 30; i++) playback.push(frame(1, i));
  playback.stop();
  const cutAt = speaker.playedSamples;
  playback.push(frame(1, 30));
  await playback.finish();
  t.ok(speaker.playedSamples <= cutAt + 1440, 'nothing more of the stopped turn');
  t.ok(cutAt < 30 * 1440, 'cut before the end');
});

/** A speaker that records every write as it comes, with nothing in between. */
function recordingSpeaker() {
  const chunks: Int16Array[] = [];
  return {
    chunks,
    speaker: { sampleRate: 24_000, write: async (pcm: Int16Array) => void chunks.push(pcm.slice()), drain: async () => {}, stop: () => {}, close: async () => {} },
  };
}

/** A clock and timers the test moves by hand. */
function manualTime() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => now,
    schedule: (fn: () => void, ms: number) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => void timers.splice(timers.indexOf(timer) >>> 0, 1);
    },
    pending: () => timers.length,
    async advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
      await new Promise((r) => setImmediate(r));
    },
  };
}

const steps = (pcm: Int16Array) => pcm.reduce((max, v, i) => (i === 0 ? max : Math.max(max, Math.abs(v - (pcm[i - 1] as number)))), 0);

t.test('an underrun mid-turn fades out and back in instead of clicking', async (t) => {
  const { chunks, speaker } = recordingSpeaker();
  const clock = manualTime();
  const playback = new AudioPlayback(speaker, DOWNLINK_AUDIO, { maxQueuedFrames: 50, prebufferFrames: 2, volume: new VolumeControl(100, 100), log: silentLog, ...clock });
  playback.begin(1);
  for (let i = 0; i < 3; i++) playback.push(frame(1, i));
  await new Promise((r) => setImmediate(r));
  t.equal(clock.pending(), 1, 'the queue ran empty: the underrun watch is armed');
  const beforeGap = chunks.length;
  await clock.advance(150);
  t.equal(playback.counters.underruns, 0, 'not yet: 180 ms were written, the speaker still has sound');
  await clock.advance(20);
  t.equal(playback.counters.underruns, 1, 'shortly before the speaker runs dry');
  const fadeOut = chunks.at(-1) as Int16Array;
  t.equal(chunks.length, beforeGap + 1);
  t.equal(fadeOut.length, 120, '5 ms held back, now faded');
  t.equal(fadeOut.at(-1), 0, 'the sound ends in silence');
  t.ok(steps(fadeOut) < 2000, `the fade is smooth (largest step ${steps(fadeOut)})`);
  // The rest of the reply arrives late.
  for (let i = 3; i < 6; i++) playback.push(frame(1, i));
  await new Promise((r) => setImmediate(r));
  const resumed = chunks[beforeGap + 1] as Int16Array;
  t.equal(resumed[0], 0, 'and starts again from silence');
  const finished = playback.finish();
  await finished;
  t.equal((chunks.at(-1) as Int16Array).at(-1), 0, 'the end of the turn fades out too');
  t.equal(playback.counters.played, 6);
});

t.test('audio that arrives in time plays exactly as decoded: no fades inside a reply', async (t) => {
  const { chunks, speaker } = recordingSpeaker();
  const clock = manualTime();
  const playback = new AudioPlayback(speaker, DOWNLINK_AUDIO, { maxQueuedFrames: 50, prebufferFrames: 2, volume: new VolumeControl(100, 100), log: silentLog, ...clock });
  const decoder = (await import('../audio/opus-codec.js')).createOpusDecoder(24_000);
  const packets = Array.from({ length: 8 }, (_, i) => encoder.encode(new Int16Array(1440).map((_, j) => Math.round(6000 * Math.sin((i * 1440 + j) / 5)))));
  const expected = packets.flatMap((p) => Array.from(decoder.decode(p)));
  playback.begin(1);
  for (let i = 0; i < packets.length; i++) {
    playback.push(frame(1, i, packets[i]));
    await clock.advance(50); // faster than real time: the speaker never runs dry
  }
  t.equal(playback.counters.underruns, 0);
  await playback.finish();
  const played = chunks.flatMap((c) => Array.from(c));
  t.equal(played.length, expected.length, 'every sample');
  // A turn starts from silence and ends in it: only its first and last 5 ms are faded.
  t.same(played.slice(120, -120), expected.slice(120, -120), 'identical to a plain decode in between');
  t.equal(played.at(-1), 0);
});

t.test('a frame that arrives short of the cushion plays rather than letting the speaker run dry', async (t) => {
  const { speaker } = recordingSpeaker();
  const clock = manualTime();
  const playback = new AudioPlayback(speaker, DOWNLINK_AUDIO, { maxQueuedFrames: 50, prebufferFrames: 2, volume: new VolumeControl(100, 100), log: silentLog, ...clock });
  playback.begin(1);
  playback.push(frame(1, 0));
  playback.push(frame(1, 1));
  await new Promise((r) => setImmediate(r));
  playback.push(frame(1, 2)); // one frame: less than the cushion of two
  await clock.advance(110);
  t.equal(playback.counters.played, 3, 'played before the speaker ran out');
  t.equal(playback.counters.underruns, 0);
});
