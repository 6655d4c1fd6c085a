import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { decodeWav } from '../../audio/wav-file.js';
import { filePluginCard } from '../testing/file-plugin-card.js';
import { readRawSamples } from '../testing/read-raw-samples.js';
import { speakerContract } from '../testing/speaker-contract.js';
import { within } from '../testing/within.js';
import { FakeClock } from './testing/fake-clock.js';
import { SimSpeaker } from './sim-speaker.js';
import type { SoundCardProbe } from '../sound-card.js';

const noCard: SoundCardProbe = { readCards: async () => '--- no soundcards ---\n', run: async () => 'null\n    Discard all samples\n' };
const oneCard: SoundCardProbe = {
  readCards: async () => ' 0 [Device         ]: USB-Audio - USB Audio Device\n',
  run: async () => 'null\n    Discard all samples\ndefault\n    Default ALSA Output\n',
};

function ramp(length: number, from = 0): Int16Array {
  return Int16Array.from({ length }, (_, i) => ((from + i) % 2000) - 1000);
}

const hasAplay = spawnSync('aplay', ['--version']).error === undefined;

// The contract reads back what was played, so it runs where SimSpeaker keeps it: the WAV file
// (complete once closed) and the sound card, ALSA's file plugin standing in for one (the card
// plays only in real time). Without either, the speaker keeps nothing to read back.
speakerContract(t, 'SimSpeaker writing a WAV file', async (dir) => {
  const path = join(dir, 'heard.wav');
  const speaker = await SimSpeaker.create({ sampleRate: 24000, speed: 20, wavPath: path });
  const played = async (): Promise<Int16Array> => {
    await speaker.close();
    return decodeWav(await readFile(path)).pcm;
  };
  return { speaker, played };
});
if (hasAplay) {
  speakerContract(t, 'SimSpeaker playing through a sound card', async (dir) => {
    const card = filePluginCard(dir);
    const speaker = await SimSpeaker.create({ sampleRate: 16000, soundCard: 'auto', probe: oneCard, playbackDevice: card.device });
    return { speaker, played: card.played };
  });
} else t.test('SimSpeaker playing through a sound card honours the Speaker contract', { skip: 'aplay is not installed' }, () => undefined);

t.test('the WAV file holds exactly what was played', async (t) => {
  const path = join(t.testdir({}), 'out.wav');
  const speaker = await SimSpeaker.create({ sampleRate: 24000, speed: 20, wavPath: path });
  const parts = [ramp(2400), ramp(100, 7), ramp(4800, 3)];
  for (const part of parts) await speaker.write(part);
  await within(speaker.drain(), 5000, 'drain');
  t.equal(speaker.playedSamples, 7300);
  await speaker.close();
  const wav = decodeWav(await readFile(path));
  t.equal(wav.sampleRate, 24000);
  t.same(Array.from(wav.pcm), parts.flatMap((p) => [...p]));
});

t.test('drain waits for the playback clock, at the chosen speed', async (t) => {
  const clock = new FakeClock();
  const speaker = await SimSpeaker.create({ sampleRate: 16000, speed: 2, clock });
  t.teardown(() => speaker.close());
  await speaker.write(new Int16Array(16000)); // one second of audio: half a second at speed 2
  let drained = false;
  const draining = speaker.drain().then(() => {
    drained = true;
  });
  await clock.advance(499);
  t.equal(drained, false, 'not before the audio has played');
  t.equal(speaker.playedSamples, 0);
  await clock.advance(1);
  await draining;
  t.equal(speaker.playedSamples, 16000);
});

t.test('write waits while more than maxQueuedMs is queued', async (t) => {
  const clock = new FakeClock();
  const speaker = await SimSpeaker.create({ sampleRate: 16000, clock, maxQueuedMs: 1000 });
  t.teardown(() => speaker.close());
  await speaker.write(new Int16Array(8000)); // 0.5 s queued: room left
  let accepted = false;
  const writing = speaker.write(new Int16Array(40000)).then(() => {
    accepted = true;
  }); // now 3 s queued
  await clock.advance(1999);
  t.equal(accepted, false, 'still more than a second queued');
  await clock.advance(1);
  await writing;
  t.pass('accepted once only a second was left');
});

t.test('stop keeps the heard part of the audio and drops the rest', async (t) => {
  const clock = new FakeClock();
  const path = join(t.testdir({}), 'cut.wav');
  const speaker = await SimSpeaker.create({ sampleRate: 16000, clock, wavPath: path });
  await speaker.write(ramp(8000)); // 500 ms
  await speaker.write(ramp(4000, 8000)); // 250 ms more, queued behind
  await clock.advance(250);
  speaker.stop();
  t.equal(speaker.playedSamples, 4000, 'half of the first write was heard');
  await clock.advance(1000);
  t.equal(speaker.playedSamples, 4000, 'nothing more plays after stop');
  await speaker.write(ramp(1600, 5));
  await clock.advance(100);
  await speaker.drain();
  await speaker.close();
  const wav = decodeWav(await readFile(path));
  t.same(Array.from(wav.pcm), [...ramp(4000), ...ramp(1600, 5)]);
});

t.test('a gap in writing is silence in time, not in the file', async (t) => {
  const clock = new FakeClock();
  const speaker = await SimSpeaker.create({ sampleRate: 16000, clock });
  t.teardown(() => speaker.close());
  await speaker.write(new Int16Array(1600));
  await clock.advance(5000);
  await speaker.write(new Int16Array(1600));
  let drained = false;
  const draining = speaker.drain().then(() => {
    drained = true;
  });
  await clock.advance(99);
  t.equal(drained, false, 'the second write starts when it arrives, not when the first ended');
  await clock.advance(1);
  await draining;
});

t.test('no sound card found means none is used, and nothing crashes', async (t) => {
  const speaker = await SimSpeaker.create({ sampleRate: 24000, speed: 1, soundCard: 'auto', probe: noCard });
  t.equal(speaker.usesSoundCard, false);
  await speaker.write(new Int16Array(240));
  await within(speaker.drain(), 5000, 'drain');
  await speaker.close();
});

t.test('on this machine, auto detection runs without crashing', async (t) => {
  const speaker = await SimSpeaker.create({ sampleRate: 24000, soundCard: 'auto' });
  t.teardown(() => speaker.close());
  if (!existsSync('/proc/asound/cards')) t.equal(speaker.usesSoundCard, false, 'no sound card here');
  else t.comment(`this machine has ALSA cards; sound card in use: ${speaker.usesSoundCard}`);
  await speaker.write(new Int16Array(240));
  speaker.stop();
});

t.test('with a card, the audio also goes to aplay', async (t) => {
  // ALSA's 'file' plugin stands in for the card: aplay writes the raw samples to a file.
  const raw = join(t.testdir({}), 'card.raw');
  const speaker = await SimSpeaker.create({ sampleRate: 16000, soundCard: 'auto', probe: oneCard, playbackDevice: `file:${raw},raw` });
  t.equal(speaker.usesSoundCard, true);
  const pcm = ramp(3200);
  await speaker.write(pcm);
  await within(speaker.drain(), 5000, 'drain');
  await speaker.close();
  const played = await readRawSamples(raw);
  t.same(Array.from(played.subarray(0, pcm.length)), Array.from(pcm), 'aplay received the samples');
});

t.test('the card is only used in real time', async (t) => {
  const speaker = await SimSpeaker.create({ sampleRate: 16000, soundCard: 'auto', probe: oneCard, speed: 20 });
  t.teardown(() => speaker.close());
  t.equal(speaker.usesSoundCard, false);
});

t.test('bad options are refused', async (t) => {
  await t.rejects(SimSpeaker.create({ sampleRate: 0 }), RangeError);
  await t.rejects(SimSpeaker.create({ sampleRate: 16000, speed: 0 }), RangeError);
  await t.rejects(SimSpeaker.create({ sampleRate: 16000, wavPath: join(t.testdir({}), 'no', 'such', 'dir.wav') }), { code: 'ENOENT' });
});

t.test('a closed speaker says so', async (t) => {
  const speaker = await SimSpeaker.create({ sampleRate: 16000, speed: 20 });
  await speaker.close();
  await t.rejects(speaker.write(new Int16Array(1)), { code: 'speaker_closed' });
});
