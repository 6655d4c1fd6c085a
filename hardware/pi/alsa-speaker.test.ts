import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { speakerContract } from '../testing/speaker-contract.js';
import { within } from '../testing/within.js';
import { AlsaSpeaker } from './alsa-speaker.js';
import { eventually, installFakeAplay } from '../testing/fake-aplay.js';
import { filePluginCard } from '../testing/file-plugin-card.js';
import { readRawSamples } from '../testing/read-raw-samples.js';

const hasAplay = spawnSync('aplay', ['--version']).error === undefined;
const skip = hasAplay ? false : 'aplay is not installed';

// ALSA's 'file' plugin stands in for the card: aplay writes the raw samples to a file.
if (hasAplay) {
  speakerContract(t, "AlsaSpeaker on ALSA's file plugin", (dir) => {
    const card = filePluginCard(dir);
    return { speaker: new AlsaSpeaker({ sampleRate: 24000, device: card.device }), played: card.played };
  });
} else t.test('AlsaSpeaker contract', { skip }, () => undefined);

t.test('what is written reaches ALSA, in order, by the time drain resolves', { skip }, async (t) => {
  const raw = join(t.testdir({}), 'out.raw');
  const speaker = new AlsaSpeaker({ sampleRate: 16000, device: `file:${raw},raw` });
  t.teardown(() => speaker.close());
  const pcm = Int16Array.from({ length: 4000 }, (_, i) => i - 2000);
  await speaker.write(pcm.subarray(0, 1000));
  await speaker.write(pcm.subarray(1000));
  await within(speaker.drain(), 5000, 'drain');
  t.same(Array.from((await readRawSamples(raw)).subarray(0, 4000)), Array.from(pcm));
});

t.test('a write during drain waits for it, then starts a new aplay', { skip }, async (t) => {
  const raw = join(t.testdir({}), 'out.raw');
  const speaker = new AlsaSpeaker({ sampleRate: 16000, device: `file:${raw},raw` });
  t.teardown(() => speaker.close());
  await speaker.write(new Int16Array(1600).fill(1));
  const draining = speaker.drain();
  await speaker.write(new Int16Array(1600).fill(2));
  await draining;
  await speaker.drain();
  t.equal((await readRawSamples(raw))[0], 2, 'the file was started again by the second process');
});

t.test('a device that does not exist rejects with speaker_unavailable naming it', { skip }, async (t) => {
  const speaker = new AlsaSpeaker({ sampleRate: 16000, device: 'pommai_no_such_device' });
  t.teardown(() => speaker.close());
  const attempt = async (): Promise<void> => {
    await speaker.write(new Int16Array(1600));
    await speaker.drain();
  };
  await t.rejects(within(attempt(), 5000, 'the failure'), { code: 'speaker_unavailable', message: /pommai_no_such_device/ });
  await t.rejects(within(attempt(), 5000, 'the second failure'), { code: 'speaker_unavailable' }, 'it tries again and fails again');
});

t.test('bad sample rate is refused', async (t) => {
  t.throws(() => new AlsaSpeaker({ sampleRate: 0 }), RangeError);
});

t.test('stop silences an aplay still playing out the end of the last stretch (barge-in near the end of a reply)', async (t) => {
  const fake = await installFakeAplay(t.testdir({}));
  t.teardown(() => fake.restore());
  const speaker = new AlsaSpeaker({ sampleRate: 16000, device: 'default' });
  t.teardown(() => speaker.close());
  await speaker.write(new Int16Array(1600));
  const draining = speaker.drain();
  const pid = await fake.firstPid();
  t.ok(fake.alive(pid), 'aplay is playing out the end');
  speaker.stop();
  await within(draining, 5000, 'drain after stop');
  await eventually(() => !fake.alive(pid), 5000, 'the draining aplay being killed');
  t.pass('the old reply is silenced');
});

