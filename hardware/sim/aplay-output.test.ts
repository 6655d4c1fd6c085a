import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { within } from '../testing/within.js';
import { eventually, installFakeAplay } from '../testing/fake-aplay.js';
import { readRawSamples } from '../testing/read-raw-samples.js';
import { AplayOutput } from './aplay-output.js';

const hasAplay = spawnSync('aplay', ['--version']).error === undefined;

t.test('plays through ALSA (its file plugin standing in for a card)', { skip: hasAplay ? false : 'aplay is not installed' }, async (t) => {
  const raw = join(t.testdir({}), 'out.raw');
  const output = new AplayOutput({ sampleRate: 16000, device: `file:${raw},raw` });
  const pcm = Int16Array.from({ length: 4000 }, (_, i) => i - 2000);
  await output.write(pcm.subarray(0, 1000));
  await output.write(pcm.subarray(1000));
  await output.finish();
  t.equal(output.error, undefined);
  t.same(Array.from((await readRawSamples(raw)).subarray(0, 4000)), Array.from(pcm));
});

t.test('a device that does not exist disables the output without throwing', { skip: hasAplay ? false : 'aplay is not installed' }, async (t) => {
  const output = new AplayOutput({ sampleRate: 16000, device: 'pommai_no_such_device' });
  // Keep writing until aplay's exit has been noticed; each write must resolve either way.
  for (let i = 0; i < 200 && output.error === undefined; i++) {
    await output.write(new Int16Array(1600));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  t.match(output.error?.message, /pommai_no_such_device/, 'the error names the device');
  await output.write(new Int16Array(1600));
  await output.finish();
});

t.test('stop cuts the process and the next write starts a new one', { skip: hasAplay ? false : 'aplay is not installed' }, async (t) => {
  const dir = t.testdir({});
  const raw = join(dir, 'out.raw');
  const output = new AplayOutput({ sampleRate: 16000, device: `file:${raw},raw` });
  await output.write(new Int16Array(1600).fill(1));
  output.stop();
  await output.write(new Int16Array(1600).fill(2));
  await output.finish();
  t.equal(output.error, undefined, 'a stop is not a failure');
  const samples = await readRawSamples(raw);
  t.equal(samples[0], 2, 'the file was started again by the new process');
});

t.test('stop silences an aplay still playing out the end after finish', async (t) => {
  const fake = await installFakeAplay(t.testdir({}));
  t.teardown(() => fake.restore());
  const output = new AplayOutput({ sampleRate: 16000 });
  t.teardown(() => output.stop());
  await output.write(new Int16Array(1600));
  const finishing = output.finish();
  const pid = await fake.firstPid();
  t.ok(fake.alive(pid), 'aplay is playing out the end');
  output.stop();
  await within(finishing, 5000, 'finish after stop');
  await eventually(() => !fake.alive(pid), 5000, 'the finishing aplay being killed');
  t.pass('silenced');
});
