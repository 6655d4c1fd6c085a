import { join } from 'node:path';
import t from 'tap';
import { startGateway } from '../cloud/gateway-main.js';
import { createOfflineProviders } from '../cloud/providers/offline-providers.js';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { DEFAULT_TOY } from '../cloud/toy/toy-profile.js';
import { FALLBACK } from '../cloud/toy/fixed-lines.js';
import type { Llm } from '../cloud/providers/llm/llm.js';
import { deviceConfig } from '../device/device-config.js';
import { startDevice } from '../device/device-main.js';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import { silentLog } from '../log/log.js';
import { PROTOCOL_VERSION, UPLINK_AUDIO } from '../protocol/index.js';
import { DEVICE_ID, DEVICE_SECRET, Reports, SPEED, sayToToy } from './harness.js';
import { RawDevice } from './raw-device.js';

/** A language model that never answers: only the turn's budget can end its wait. */
const stalled: Llm = {
  name: 'stalled-llm',
  async *stream(_request, signal) {
    await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  },
};

/** Strangers from 60 addresses, 5 sockets each, every one sending a wrong secret, as fast as they can. */
async function crowdOfWrongHellos(url: string, stop: AbortSignal, counter: { sent: number }): Promise<number> {
  let sent = 0;
  const stranger = async (address: string) => {
    while (!stop.aborted) {
      const socket = await RawDevice.connect(url, address).catch(() => undefined);
      if (socket === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      socket.send({ type: 'hello', version: PROTOCOL_VERSION, deviceId: DEVICE_ID, secret: `wrong-${sent}-wrong-wrong-wrong-wrong`, firmware: 'x', audio: UPLINK_AUDIO, capabilities: [] });
      sent++;
      counter.sent = sent;
      await socket.closed;
    }
  };
  const addresses = Array.from({ length: 60 }, (_, i) => `127.0.1.${i + 2}`);
  await Promise.all(addresses.flatMap((address) => Array.from({ length: 5 }, () => stranger(address))));
  return sent;
}

t.test('a turn in flight gets its fallback within its budget while hundreds of wrong hellos arrive (issue 10, finding 2)', async (t) => {
  const dir = t.testdir();
  const providers = { ...createOfflineProviders(DEFAULT_TOY, silentLog), llm: stalled };
  // Every address may send many wrong hellos here: the crowd must reach the secret checks, not the door.
  const gateway = await startGateway(
    gatewayConfig({ port: 0, databasePath: join(dir, 'gateway.db'), pacing: { rate: SPEED }, turnBudgetMs: 3000, maxFailedHellosPerAddress: 10_000, maxPendingConnections: 1000 }),
    silentLog,
    { providers },
  );
  t.teardown(() => gateway.stop());
  await gateway.store.addDeviceWithSecret(DEVICE_ID, DEVICE_SECRET);
  const hardware = {
    button: new ScriptedButton(),
    leds: new RecordingLeds(),
    microphone: new WavMicrophone({ speed: SPEED }),
    speaker: await SimSpeaker.create({ sampleRate: 24_000, speed: SPEED, soundCard: 'off', wavPath: join(dir, 'reply.wav') }),
  };
  const reports = new Reports();
  const device = startDevice(deviceConfig({ gatewayUrl: gateway.url, deviceId: DEVICE_ID, secret: DEVICE_SECRET }), hardware, silentLog, reports.observe);
  t.teardown(async () => {
    await device.stop();
    await hardware.speaker.close();
  });
  await reports.wait((r) => r.type === 'state' && r.state === 'idle', 'the device to come online');

  const stop = new AbortController();
  const counter = { sent: 0 };
  const crowd = crowdOfWrongHellos(gateway.url, stop.signal, counter);
  // The crowd is at the door in force before the child speaks, however fast this machine is.
  while (counter.sent < 200) await new Promise((resolve) => setTimeout(resolve, 20));
  const before = counter.sent;
  const turn = await sayToToy(hardware, reports, 'tell me a story');
  const during = counter.sent - before;
  stop.abort();
  const sent = await crowd;

  t.ok(during > 0, `${before} wrong hellos before the turn, ${during} more while it ran, ${sent} in all`);
  t.equal(turn.type === 'turn' && turn.end, 'played', 'the turn played to its end');
  const replies = reports.all.flatMap((r) => (r.type === 'reply' ? [r.text] : []));
  t.same(replies, [FALLBACK], 'the child heard the fallback');
  // Stored when the turn ends, and again once the device's report joins it.
  let [record] = await gateway.store.listTurns({ deviceId: DEVICE_ID });
  for (let i = 0; i < 200 && record?.timings['device.voiceToVoiceMs'] === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    [record] = await gateway.store.listTurns({ deviceId: DEVICE_ID });
  }
  t.equal(record?.transcript, 'tell me a story', 'the child was heard');
  t.equal(record?.reply, FALLBACK);
  t.match(record?.error?.code, /^(provider_timeout|turn_out_of_time)$/, "the language model's wait was ended by the turn's budget");
  t.ok(record?.timings['stt'] !== undefined && record.timings['firstAudio'] !== undefined, 'the turn recorded its stages, not only its total');
});
