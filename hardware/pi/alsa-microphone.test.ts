import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import t from 'tap';
import { microphoneContract } from '../testing/microphone-contract.js';
import { AlsaMicrophone, hasCaptureDevice } from './alsa-microphone.js';

const hasArecord = spawnSync('arecord', ['--version']).error === undefined;

// ALSA's 'null' capture device delivers endless unpaced samples (not even silence: stale memory),
// which is enough to exercise the whole arecord path without a card.
if (hasArecord) microphoneContract(t, "AlsaMicrophone on ALSA's null device", () => new AlsaMicrophone({ device: 'null' }));
else t.test('AlsaMicrophone contract', { skip: 'arecord is not installed' }, () => undefined);

async function firstError(microphone: AlsaMicrophone): Promise<unknown> {
  try {
    for await (const _ of microphone.capture(new AbortController().signal)) {
      // A device that works: stop at once.
      return undefined;
    }
  } catch (error) {
    return error;
  }
  return undefined;
}

t.test('a device that does not exist fails with mic_unavailable naming it', { skip: hasArecord ? false : 'arecord is not installed' }, async (t) => {
  const microphone = new AlsaMicrophone({ device: 'pommai_no_such_device' });
  t.teardown(() => microphone.close());
  const error = await firstError(microphone);
  t.match(error, { code: 'mic_unavailable', message: /"pommai_no_such_device"/ });
  t.match((error as Error).message, /Unknown PCM|audio open error/, 'the reason comes from arecord');
  t.not(await firstError(microphone), undefined, 'it can be tried again and fails again');
});

t.test('without a sound card the default device fails cleanly', { skip: existsSync('/proc/asound/cards') ? 'this machine has sound cards' : false }, async (t) => {
  t.equal(await hasCaptureDevice(), false);
  const microphone = new AlsaMicrophone();
  t.teardown(() => microphone.close());
  t.equal(microphone.device, 'default');
  t.match(await firstError(microphone), { code: 'mic_unavailable', message: /"default"/ });
});
