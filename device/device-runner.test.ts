import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { peak } from '../audio/pcm-level.js';
import { decodeWav } from '../audio/wav-file.js';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import { UPLINK_AUDIO } from '../protocol/index.js';
import { DeviceRunner } from './device-runner.js';
import { silentLog } from '../log/log.js';
import { scriptedGateway, type ScriptedGateway } from './testing/scripted-gateway.js';
import { simToy, type SimToy } from './testing/sim-toy.js';
import { volumeToGain } from './volume-control.js';

/** The child says something short and the gateway starts answering turn 1 (its audio is up to the test). */
async function oneTurnAnswered(gateway: ScriptedGateway, device: SimToy): Promise<void> {
  device.microphone.load(new Int16Array(1600));
  device.button.press();
  device.button.release();
  await gateway.received((m) => m.type === 'listen' && m.state === 'stop');
  gateway.send({ type: 'speak', state: 'start', turn: 1 });
}

t.test('an abort from the gateway while listening stops the microphone and ends the turn', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url);
  device.microphone.load(new Int16Array(16_000 * 10));
  device.button.press();
  await gateway.received((m) => m.type === 'listen' && m.state === 'start');
  gateway.send({ type: 'abort', turn: 1, reason: 'emergency stop' });
  await device.state('error');
  const ended = device.reports.find((r) => r.type === 'turn');
  t.match(ended, { type: 'turn', turn: 1, end: 'failed' });
  // The microphone let go: a new turn can capture again instead of failing with mic_busy.
  await device.state('idle');
  device.microphone.load(new Int16Array(1600));
  const spoken = new Promise<void>((resolve) => device.microphone.onUtteranceEnd(resolve));
  device.button.press();
  await gateway.received((m) => m.type === 'listen' && m.state === 'start' && m.turn === 2);
  await spoken;
  device.button.release();
  await gateway.received((m) => m.type === 'listen' && m.state === 'stop' && m.turn === 2);
  t.notOk(device.reports.some((r) => r.type === 'error' && r.code === 'mic_busy'), 'no mic_busy');
  t.ok(gateway.micFrames.some((f) => f.turn === 2), 'turn 2 sent audio');
});

t.test('barge-in while speaking cuts playback, sends abort and listens again; old audio is dropped', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url);
  await oneTurnAnswered(gateway, device);
  gateway.voice(1, 50);
  await device.state('speaking');
  device.button.press();
  t.equal(device.runner.state, 'listening', 'listening at once');
  await gateway.received((m) => m.type === 'abort' && m.turn === 1);
  await gateway.received((m) => m.type === 'listen' && m.state === 'start' && m.turn === 2);
  t.match(device.reports.find((r) => r.type === 'turn'), { turn: 1, end: 'barged_in' });
  // Audio of turn 1 still arriving is never played into turn 2.
  const playedBefore = device.speaker.playedSamples;
  gateway.voice(1, 10);
  gateway.send({ type: 'speak', state: 'stop', turn: 1 });
  // A ping answered proves every frame sent before it has been handled by the device.
  gateway.send({ type: 'ping', id: 7 });
  await gateway.received((m) => m.type === 'pong' && m.id === 7);
  // Had any of it reached the speaker, draining would play it and count it.
  await device.speaker.drain();
  device.button.release();
  await gateway.received((m) => m.type === 'listen' && m.state === 'stop' && m.turn === 2);
  t.equal(device.speaker.playedSamples, playedBefore, 'nothing of turn 1 played after the barge-in');
  t.equal(device.runner.state, 'thinking');
});

t.test('a reply that stalls mid-way times out instead of speaking for ever', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { replyTimeoutMs: 300 });
  await oneTurnAnswered(gateway, device);
  gateway.voice(1, 3);
  await device.state('speaking');
  await device.state('error');
  await gateway.received((m) => m.type === 'abort' && m.turn === 1 && m.reason === 'timeout');
  t.match(device.reports.find((r) => r.type === 'turn'), { turn: 1, end: 'timeout' });
});

t.test('a reply at full scale with volume 100 never plays louder than the parent maximum', async (t) => {
  const dir = t.testdir();
  const gateway = await scriptedGateway(t, { toy: { volume: 100, maxVolume: 40 }, amplitude: 32767 });
  const wavPath = join(dir, 'played.wav');
  const device = await simToy(t, gateway.url, { wavPath });
  device.runner.volume.setVolume(100);
  await oneTurnAnswered(gateway, device);
  gateway.voice(1, 20);
  gateway.send({ type: 'speak', state: 'stop', turn: 1 });
  await device.state('speaking');
  await device.state('idle');
  await device.speaker.close();
  const played = decodeWav(await readFile(wavPath)).pcm;
  t.ok(played.length >= 20 * 1440 * 0.9, `${played.length} samples played`);
  const cap = 32768 * volumeToGain(40);
  t.ok(peak(played) <= cap, `peak ${peak(played)} <= cap ${cap.toFixed(0)}`);
  t.ok(peak(played) > cap * 0.5, 'and it was not silenced either');
});

t.test('a parent locks the toy while it speaks: playback stops, the turn ends as locked, the button does nothing until unlocked', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url);
  await oneTurnAnswered(gateway, device);
  gateway.voice(1, 50);
  await device.state('speaking');
  gateway.send({ type: 'settings', toy: { name: 'Pommai', volume: 30, maxVolume: 60, locked: true } });
  await device.state('locked');
  await gateway.received((m) => m.type === 'abort' && m.turn === 1 && m.reason === 'locked');
  t.match(device.reports.find((r) => r.type === 'turn'), { turn: 1, end: 'locked' });
  const played = device.speaker.playedSamples;
  await device.speaker.drain();
  t.equal(device.speaker.playedSamples, played, 'nothing more of the reply plays');
  t.equal(device.runner.volume.effective, 30, 'the new volume applies too');
  device.button.press();
  device.button.release();
  gateway.send({ type: 'ping', id: 9 });
  await gateway.received((m) => m.type === 'pong' && m.id === 9);
  t.equal(device.runner.state, 'locked');
  t.notOk(gateway.messages.some((m) => m.type === 'listen' && m.turn === 2), 'no turn starts while locked');
  gateway.send({ type: 'settings', toy: { name: 'Pommai', volume: 30, maxVolume: 60, locked: false } });
  await device.state('idle');
});

t.test('a toy welcomed as locked shows it at once and stays locked across the welcome', async (t) => {
  const gateway = await scriptedGateway(t, { toy: { volume: 50, maxVolume: 80, locked: true } });
  const button = new ScriptedButton();
  const leds = new RecordingLeds();
  const speaker = await SimSpeaker.create({ sampleRate: 24_000, speed: 4 });
  const runner = new DeviceRunner({ button, leds, microphone: new WavMicrophone({ speed: 4 }), speaker }, {
    link: { url: gateway.url, hello: { deviceId: 'toy-1', secret: 'secret-secret', firmware: 't', audio: UPLINK_AUDIO, capabilities: [] }, backoff: { initialMs: 20, maxMs: 100 }, connectTimeoutMs: 2000 },
    uplinkBitrate: 16_000, replyTimeoutMs: 1000, errorShowMs: 50, maxQueuedFrames: 100, volumeCeiling: 100, log: silentLog,
  });
  t.teardown(async () => {
    await runner.stop();
    await speaker.close();
  });
  runner.start();
  await leds.waitFor('locked');
  t.equal(runner.state, 'locked');
  t.same(leds.names, ['offline', 'locked'], 'never idle in between');
});

t.test('a turn is reported before the state that follows it, so a script can wait for the turn, then for idle', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url);
  await oneTurnAnswered(gateway, device);
  gateway.voice(1, 3);
  gateway.send({ type: 'speak', state: 'stop', turn: 1 });
  await device.turnReport(1);
  await device.state('idle');
  const turn = device.reports.findIndex((r) => r.type === 'turn');
  const idle = device.reports.findLastIndex((r) => r.type === 'state' && r.state === 'idle');
  t.ok(turn >= 0 && idle > turn, `the turn (report ${turn}) before idle (report ${idle})`);
  t.match(device.reports[turn], { end: 'played' });
});
