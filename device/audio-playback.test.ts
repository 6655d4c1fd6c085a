import t from 'tap';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { AudioKind, DOWNLINK_AUDIO } from '../protocol/index.js';
import { AudioPlayback } from './audio-playback.js';
import { silentLog } from './log.js';
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
