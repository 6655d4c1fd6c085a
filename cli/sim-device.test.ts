import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { encodeWav } from '../audio/wav-file.js';
import { within } from '../hardware/testing/within.js';
import { silentLog } from '../log/log.js';
import { scriptedGateway, type ReceivedFrame } from '../device/testing/scripted-gateway.js';
import { runSimDevice } from './sim-device.js';

t.test('sim --hands-free: each step is spoken into the open microphone once the toy has answered the one before', async (t) => {
  const gateway = await scriptedGateway(t);
  const wav = join(t.testdir(), 'question.wav');
  await writeFile(wav, encodeWav(new Int16Array(16_000 * 0.4).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 16_000))), 16_000));
  const run = runSimDevice({ url: gateway.url, deviceId: 'sim-toy', secret: 'secret-secret', steps: [{ wav }, { wav }], handsFree: true, json: true, speed: 4, log: silentLog });
  // The gateway's part, by hand: speech is a frame of more than a few bytes (silence takes one or two),
  // and the child's turn ends at the first quiet frame after it.
  const speech = (turn: number) => (f: ReceivedFrame) => f.turn === turn && f.bytes > 20;
  for (const turn of [1, 2]) {
    await gateway.received((m) => m.type === 'listen' && m.state === 'start' && m.turn === turn && m.mode === 'hands_free');
    await gateway.frames(speech(turn));
    const began = gateway.micFrames.find(speech(turn))!.sequence;
    await gateway.frames((f) => f.turn === turn && f.sequence > began && f.bytes <= 20);
    gateway.send({ type: 'vad', turn, event: 'speech' });
    gateway.send({ type: 'vad', turn, event: 'end' });
    gateway.send({ type: 'speak', state: 'start', turn });
    gateway.voice(turn, 5);
    gateway.send({ type: 'speak', state: 'stop', turn });
  }
  t.equal(await within(run, 20_000, 'the script to finish'), 0, 'both steps answered: exit code 0');
  t.match(gateway.messages.filter((m) => m.type === 'report'), [{ turn: 1 }, { turn: 2 }]);
  t.notOk(gateway.messages.some((m) => m.type === 'listen' && m.mode === 'push'), 'the button was never needed');
});
