import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { peak } from '../audio/pcm-level.js';
import { decodeWav } from '../audio/wav-file.js';
import { volumeToGain } from './volume-control.js';
import t from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import {
  AudioKind,
  DOWNLINK_AUDIO,
  PROTOCOL_VERSION,
  UPLINK_AUDIO,
  decodeAudioFrame,
  encodeAudioFrame,
  parseDeviceMessage,
  type DeviceMessage,
  type GatewayMessage,
} from '../protocol/index.js';
import type { DeviceReport } from './device-report.js';
import { DeviceRunner } from './device-runner.js';
import { silentLog } from './log.js';

/** A scripted gateway: welcomes, records what the device sends, and lets the test answer. */
async function scriptedGateway(t: { teardown: (fn: () => void) => void }, options: { toy?: { volume: number; maxVolume: number; locked?: boolean }; amplitude?: number } = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const messages: DeviceMessage[] = [];
  const micFrames: { turn: number; at: number }[] = [];
  let socket: WebSocket | undefined;
  const waiters: { match: (m: DeviceMessage) => boolean; resolve: () => void }[] = [];
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data, binary) => {
      if (binary) {
        const frame = decodeAudioFrame(data as Buffer);
        if (frame.ok) micFrames.push({ turn: frame.frame.turn, at: messages.length });
        return;
      }
      const parsed = parseDeviceMessage(data.toString());
      if (!parsed.ok) return;
      const message = parsed.message;
      messages.push(message);
      if (message.type === 'hello') {
        ws.send(JSON.stringify({ type: 'welcome', version: PROTOCOL_VERSION, sessionId: 's', audio: DOWNLINK_AUDIO, toy: { name: 'Pommai', ...(options.toy ?? { volume: 50, maxVolume: 80 }) }, heartbeat: { intervalMs: 5000, timeoutMs: 5000 } }));
      }
      for (const w of waiters.splice(0)) (w.match(message) ? w.resolve : () => waiters.push(w))();
    });
  });
  t.teardown(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  const encoder = createOpusEncoder({ sampleRate: 24_000, frameMs: 60, bitrate: 24_000 });
  const tone = new Int16Array(1440).map((_, i) => Math.round((options.amplitude ?? 8000) * Math.sin((2 * Math.PI * 440 * i) / 24_000)));
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    messages,
    micFrames,
    send: (message: GatewayMessage) => socket!.send(JSON.stringify(message)),
    voice: (turn: number, frames: number) => {
      for (let sequence = 0; sequence < frames; sequence++) socket!.send(encodeAudioFrame({ kind: AudioKind.Voice, turn, sequence, payload: encoder.encode(tone) }));
    },
    received: (match: (m: DeviceMessage) => boolean) =>
      messages.some(match) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ match, resolve })),
  };
}

async function toy(t: { teardown: (fn: () => Promise<void>) => void }, url: string, replyTimeoutMs = 10_000, wavPath?: string) {
  const button = new ScriptedButton();
  const microphone = new WavMicrophone({ speed: 4 });
  const speaker = await SimSpeaker.create({ sampleRate: 24_000, speed: 4, ...(wavPath ? { wavPath } : {}) });
  const reports: DeviceReport[] = [];
  const waiters: { match: (r: DeviceReport) => boolean; resolve: () => void }[] = [];
  const runner = new DeviceRunner({ button, leds: new RecordingLeds(), microphone, speaker }, {
    link: { url, hello: { deviceId: 'toy-1', secret: 'secret-secret', firmware: 't', audio: UPLINK_AUDIO, capabilities: [] }, backoff: { initialMs: 20, maxMs: 100 }, connectTimeoutMs: 2000 },
    uplinkBitrate: 16_000,
    replyTimeoutMs,
    errorShowMs: 50,
    maxQueuedFrames: 100,
    maxVolume: 100,
    log: silentLog,
    observe: (r) => {
      reports.push(r);
      for (const w of waiters.splice(0)) (w.match(r) ? w.resolve : () => waiters.push(w))();
    },
  });
  t.teardown(async () => {
    await runner.stop();
    await speaker.close();
  });
  const next = (match: (r: DeviceReport) => boolean) => new Promise<void>((resolve) => waiters.push({ match, resolve }));
  const state = (s: string) => (runner.state === s ? Promise.resolve() : next((r) => r.type === 'state' && r.state === s));
  runner.start();
  await state('idle');
  return { runner, button, microphone, speaker, reports, next, state };
}

/** The child says something short and the gateway starts answering turn 1 (its audio is up to the test). */
async function oneTurnAnswered(gateway: Awaited<ReturnType<typeof scriptedGateway>>, device: Awaited<ReturnType<typeof toy>>): Promise<void> {
  device.microphone.load(new Int16Array(1600));
  device.button.press();
  device.button.release();
  await gateway.received((m) => m.type === 'listen' && m.state === 'stop');
  gateway.send({ type: 'speak', state: 'start', turn: 1 });
}

t.test('an abort from the gateway while listening stops the microphone and ends the turn', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await toy(t, gateway.url);
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
  const device = await toy(t, gateway.url);
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
  const device = await toy(t, gateway.url, 300);
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
  const device = await toy(t, gateway.url, 10_000, wavPath);
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
  const device = await toy(t, gateway.url);
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
    uplinkBitrate: 16_000, replyTimeoutMs: 1000, errorShowMs: 50, maxQueuedFrames: 100, maxVolume: 100, log: silentLog,
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
