import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { peak, rms } from '../audio/pcm-level.js';
import { decodeWav } from '../audio/wav-file.js';
import { deviceConfig } from '../device/device-config.js';
import { startDevice } from '../device/device-main.js';
import { silentLog } from '../log/log.js';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import { DEVICE_ID, DEVICE_SECRET, Reports, SPEED, freePort, gatewayFor, sayToToy } from './harness.js';


async function simulatedToy(dir: string) {
  const button = new ScriptedButton();
  const leds = new RecordingLeds();
  const microphone = new WavMicrophone({ speed: SPEED });
  const speaker = await SimSpeaker.create({ sampleRate: 24_000, speed: SPEED, soundCard: 'off', wavPath: join(dir, 'reply.wav') });
  return { button, leds, microphone, speaker };
}

t.test('a spoken "tell me a story" gets a spoken story, and the turn is stored', async (t) => {
  const dir = t.testdir();
  const gateway = await gatewayFor(dir);
  t.teardown(() => gateway.stop());
  const hardware = await simulatedToy(dir);
  const reports = new Reports();
  const device = startDevice(deviceConfig({ gatewayUrl: gateway.url, deviceId: DEVICE_ID, secret: DEVICE_SECRET }), hardware, silentLog, reports.observe);
  await reports.wait((r) => r.type === 'state' && r.state === 'idle', 'the device to come online');

  const turn = await sayToToy(hardware, reports, 'tell me a story');
  await reports.wait((r) => r.type === 'state' && r.state === 'idle' && reports.all.indexOf(r) > reports.all.indexOf(turn) - 1, 'idle again');
  const states = reports.states();
  await device.stop();
  await hardware.speaker.close();

  const transcript = reports.all.find((r) => r.type === 'transcript');
  t.equal(transcript?.type === 'transcript' && transcript.text, 'tell me a story', 'the child was understood');
  const replies = reports.all.flatMap((r) => (r.type === 'reply' ? [r.text] : []));
  t.ok(replies.length >= 3, `the story came sentence by sentence (${replies.length} sentences)`);
  t.same(states, ['idle', 'listening', 'thinking', 'speaking', 'idle'], 'states ran idle, listening, thinking, speaking, idle');
  t.equal(turn.type === 'turn' && turn.end, 'played');
  t.ok(turn.type === 'turn' && typeof turn.voiceToVoiceMs === 'number' && turn.voiceToVoiceMs >= 0, 'voice to voice was measured on the device');
  t.ok(turn.type === 'turn' && turn.gateway['firstAudio'] !== undefined && turn.gateway['stt'] !== undefined, 'the gateway sent its timings');

  // The reply audio: decoded PCM of plausible length that is not silence.
  const wav = decodeWav(await readFile(join(dir, 'reply.wav')));
  const seconds = wav.pcm.length / wav.sampleRate;
  t.equal(wav.sampleRate, 24_000);
  t.ok(seconds > 3 && seconds < 120, `reply audio lasts ${seconds.toFixed(1)} s`);
  t.ok(rms(wav.pcm) > 300, `reply audio is not silence (rms ${rms(wav.pcm).toFixed(0)})`);
  t.ok(peak(wav.pcm) < 32768);

  // The turn is stored when it ends, and stored again once the device's own report joins it.
  let stored = await gateway.store.listTurns({ deviceId: DEVICE_ID });
  for (let i = 0; i < 200 && stored[0]?.timings['device.voiceToVoiceMs'] === undefined; i++) {
    await new Promise((r) => setTimeout(r, 25));
    stored = await gateway.store.listTurns({ deviceId: DEVICE_ID });
  }
  t.equal(stored.length, 1, 'the turn is in the SQLite store');
  const record = stored[0]!;
  t.equal(record.transcript, 'tell me a story');
  t.equal(record.outcome, 'answered');
  t.equal(record.reply, replies.join(' '));
  t.ok(record.safety.length >= 1 + replies.length, 'the input and every output sentence were checked');
  t.ok(record.timings['total'] !== undefined && record.timings['stt'] !== undefined);
  t.equal(record.timings['device.voiceToVoiceMs'], turn.type === 'turn' ? turn.voiceToVoiceMs : -1, "the device's own measurement is stored with the turn");
});

t.test('with the gateway down the device is offline, and comes back by itself when it starts', async (t) => {
  const dir = t.testdir();
  const port = await freePort();
  const hardware = await simulatedToy(dir);
  const reports = new Reports();
  const device = startDevice(
    deviceConfig({ gatewayUrl: `ws://127.0.0.1:${port}/v1/device`, deviceId: DEVICE_ID, secret: DEVICE_SECRET, reconnect: { initialMs: 50, maxMs: 200 } }),
    hardware,
    silentLog,
    reports.observe,
  );
  t.teardown(async () => {
    await device.stop();
    await hardware.speaker.close();
  });
  t.equal(device.state, 'offline');
  t.same(hardware.leds.patterns.at(-1)?.name, 'offline', 'the LEDs say offline');
  // Pressing the button while offline does not start a turn.
  hardware.button.press();
  hardware.button.release();
  t.equal(device.state, 'offline');

  const gateway = await gatewayFor(dir, port);
  await reports.wait((r) => r.type === 'state' && r.state === 'idle', 'the device to reconnect by itself');
  t.equal(device.state, 'idle');

  // Take the gateway away again: the device notices and goes offline.
  const before = reports.all.length;
  await gateway.stop();
  await reports.wait((r) => r.type === 'state' && r.state === 'offline', 'offline after the gateway stopped', 30_000, before);
  t.equal(device.state, 'offline');
  t.equal(hardware.leds.patterns.at(-1)?.name, 'offline');
});
