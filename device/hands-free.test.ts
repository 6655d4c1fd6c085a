import t from 'tap';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import type { DeviceMessage } from '../protocol/index.js';
import { deviceConfig } from './device-config.js';
import { startDevice } from './device-main.js';
import { silentLog } from '../log/log.js';
import { scriptedGateway, type ScriptedGateway } from './testing/scripted-gateway.js';
import { simToy } from './testing/sim-toy.js';

// A window no test's two presses can miss: a double press in these tests is two calls in a row,
// and a single press is one with no second press after it.
const DOUBLE_PRESS_MS = 60_000;

const listenStart = (turn: number, mode: 'push' | 'hands_free') => (m: DeviceMessage) => m.type === 'listen' && m.state === 'start' && m.turn === turn && m.mode === mode;

/** The index of the first message that matches, -1 if none. */
const indexOf = (gateway: ScriptedGateway, match: (m: DeviceMessage) => boolean) => gateway.messages.findIndex(match);

/** How many microphone frames of `turn` the gateway has had. */
const framesOf = (gateway: ScriptedGateway, turn: number) => gateway.micFrames.filter((f) => f.turn === turn).length;

/** Waits for `more` frames of `turn` beyond those already in. */
const moreFrames = (gateway: ScriptedGateway, turn: number, more: number) => gateway.frames((f) => f.turn === turn, framesOf(gateway, turn) + more);

t.test('a double press from idle turns the short push turn into hands-free; another turns it off', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { doublePressMs: DOUBLE_PRESS_MS });
  device.button.press();
  device.button.release();
  device.button.press();
  device.button.release();
  t.equal(device.runner.state, 'handsFree', 'hands-free at the second press');
  t.equal(device.leds.current?.name, 'handsFree');
  await gateway.received(listenStart(2, 'hands_free'));
  t.ok(indexOf(gateway, listenStart(1, 'push')) >= 0, 'the first press started a push turn at once');
  t.ok(indexOf(gateway, (m) => m.type === 'abort' && m.turn === 1) < indexOf(gateway, listenStart(2, 'hands_free')), 'which the second aborted first');
  t.match(await device.turnReport(1), { end: 'barged_in' });
  // The release of the second press does not stop a hands-free turn: the microphone streams on.
  await gateway.frames((f) => f.turn === 2, 5);
  t.equal(indexOf(gateway, (m) => m.type === 'listen' && m.state === 'stop' && m.turn === 2), -1, 'no listen stop');

  // Off: the first press is push-to-talk at once (the hands-free turn gives way), the second drops it.
  device.button.press();
  t.equal(device.runner.state, 'listening');
  device.button.release();
  device.button.press();
  device.button.release();
  t.equal(device.runner.state, 'idle');
  t.equal(device.leds.current?.name, 'idle');
  await gateway.received((m) => m.type === 'abort' && m.turn === 3);
  t.match(gateway.messages.filter((m) => m.type === 'abort'), [{ turn: 1 }, { turn: 2 }, { turn: 3 }]);
  t.ok(indexOf(gateway, listenStart(3, 'push')) >= 0);
  t.match(await device.turnReport(2), { end: 'barged_in' });
  t.match(await device.turnReport(3), { end: 'barged_in' });
  await gateway.flush();
  t.equal(indexOf(gateway, (m) => m.type === 'listen' && m.state === 'start' && m.turn === 4), -1, 'no turn after it');
});

t.test('a press soon after a turn is over is a press of its own: a fast script is never taken for a double press', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { doublePressMs: DOUBLE_PRESS_MS });
  device.button.press();
  device.button.release();
  await gateway.received((m) => m.type === 'listen' && m.state === 'stop' && m.turn === 1);
  gateway.send({ type: 'speak', state: 'stop', turn: 1 });
  await device.turnReport(1);
  await device.state('idle');
  device.button.press();
  t.equal(device.runner.state, 'listening', 'push-to-talk, not hands-free');
  await gateway.received(listenStart(2, 'push'));
  device.button.release();
  // And the pair is counted from that press on.
  device.button.press();
  t.equal(device.runner.state, 'handsFree');
  await gateway.received(listenStart(3, 'hands_free'));
});

t.test('hands-free: frames flow on through vad end and the reply; after playback the next turn takes the microphone over', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree' });
  await gateway.received(listenStart(1, 'hands_free'));
  // Count captures from here: the running one must carry on into turn 2, not be reopened.
  const microphone = device.microphone;
  const capture = microphone.capture.bind(microphone);
  let reopened = 0;
  microphone.capture = (signal) => {
    reopened++;
    return capture(signal);
  };
  microphone.load(new Int16Array(16_000 * 0.3).fill(3000));
  await gateway.frames((f) => f.turn === 1, 5);
  gateway.send({ type: 'vad', turn: 1, event: 'speech' });
  gateway.send({ type: 'vad', turn: 1, event: 'end' });
  await device.state('handsFreeThinking');
  t.equal(device.leds.current?.name, 'handsFreeThinking');
  await moreFrames(gateway, 1, 3);
  gateway.send({ type: 'transcript', turn: 1, text: 'hello' });
  gateway.send({ type: 'speak', state: 'start', turn: 1 });
  gateway.send({ type: 'reply', turn: 1, index: 0, text: 'Hi there!' });
  gateway.voice(1, 20);
  await device.state('handsFreeSpeaking');
  await moreFrames(gateway, 1, 3);
  gateway.send({ type: 'speak', state: 'stop', turn: 1 });
  const report = await device.turnReport(1);
  t.match(report, { end: 'played', framesPlayed: 20 });
  t.ok(report.voiceToVoiceMs !== undefined && report.voiceToVoiceMs >= 0, `voice-to-voice from vad end: ${report.voiceToVoiceMs} ms`);
  t.equal(report.uplink.audioMs, report.framesSent * 60, 'the uplink counts every frame of the turn, the reply\'s time included');
  await gateway.received(listenStart(2, 'hands_free'));
  t.equal(device.runner.state, 'handsFree');
  t.ok(indexOf(gateway, (m) => m.type === 'report' && m.turn === 1) < indexOf(gateway, listenStart(2, 'hands_free')), 'turn 1 is reported before turn 2 starts');
  await gateway.frames((f) => f.turn === 2, 3);
  t.equal(reopened, 0, 'the capture went on: the microphone was never reopened');
  const one = gateway.micFrames.filter((f) => f.turn === 1).map((f) => f.sequence);
  t.same(one, one.map((_, i) => i), 'turn 1: every frame, in order');
  t.same(gateway.micFrames.filter((f) => f.turn === 2).map((f) => f.sequence).slice(0, 3), [0, 1, 2], 'turn 2 starts from sequence 0');
  t.equal(indexOf(gateway, (m) => (m.type === 'listen' && m.state === 'stop') || m.type === 'abort'), -1, 'neither listen stop nor abort');
});

t.test('hands-free: speak stop with nothing to say ends the turn and the next one begins', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree' });
  gateway.send({ type: 'vad', turn: 1, event: 'end' });
  gateway.send({ type: 'speak', state: 'stop', turn: 1 });
  t.match(await device.turnReport(1), { end: 'no_audio' });
  await gateway.received(listenStart(2, 'hands_free'));
  t.equal(device.runner.state, 'handsFree');
});

t.test('hands-free: a barge-in by voice cuts playback at once and starts the next turn, without an abort', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree' });
  gateway.send({ type: 'vad', turn: 1, event: 'end' });
  gateway.send({ type: 'speak', state: 'start', turn: 1 });
  gateway.voice(1, 60);
  await device.state('handsFreeSpeaking');
  gateway.send({ type: 'vad', turn: 1, event: 'barge_in' });
  await gateway.received(listenStart(2, 'hands_free'));
  t.equal(device.runner.state, 'handsFree');
  t.match(await device.turnReport(1), { end: 'barged_in' });
  // What is left of turn 1 on the wire is never played.
  const played = device.speaker.playedSamples;
  gateway.voice(1, 10, 60);
  gateway.send({ type: 'speak', state: 'stop', turn: 1 });
  await gateway.flush();
  await device.speaker.drain();
  t.equal(device.speaker.playedSamples, played, 'nothing of turn 1 played after the barge-in');
  await gateway.frames((f) => f.turn === 2, 3);
  t.equal(indexOf(gateway, (m) => m.type === 'abort'), -1, 'no abort: the gateway cut the turn itself');
});

t.test('hands-free: vad idle stops the microphone, reports the turn, and the toy is idle', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree', doublePressMs: 0 });
  await gateway.frames((f) => f.turn === 1, 3);
  gateway.send({ type: 'vad', turn: 1, event: 'idle' });
  await device.state('idle');
  t.equal(device.leds.current?.name, 'idle');
  t.match(await device.turnReport(1), { end: 'nothing_said' });
  // A push turn's microphone starts only once the hands-free capture has let go.
  device.button.press();
  await gateway.frames((f) => f.turn === 2, 3);
  device.button.release();
  const reported = indexOf(gateway, (m) => m.type === 'report' && m.turn === 1);
  const late = gateway.micFrames.filter((f) => f.turn === 1 && f.after > reported).length;
  t.ok(late <= 2, `at most the frame being captured and the padded rest follow the idle (${late})`);
  t.equal(indexOf(gateway, (m) => m.type === 'listen' && m.state === 'stop' && m.turn === 1), -1, 'no listen stop: the gateway ended it');
  await gateway.received((m) => m.type === 'listen' && m.state === 'stop' && m.turn === 2 && m.mode === 'push');
});

t.test('a single press while hands-free speaks is push-to-talk at once: playback cut, the turn aborted, hands-free over', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree', doublePressMs: DOUBLE_PRESS_MS });
  gateway.send({ type: 'vad', turn: 1, event: 'end' });
  gateway.send({ type: 'speak', state: 'start', turn: 1 });
  gateway.voice(1, 60);
  await device.state('handsFreeSpeaking');
  device.button.press();
  t.equal(device.runner.state, 'listening', 'listening at once');
  await gateway.received(listenStart(2, 'push'));
  t.match(gateway.messages.find((m) => m.type === 'abort'), { turn: 1, reason: 'barged_in' });
  t.match(await device.turnReport(1), { end: 'barged_in' });
  const played = device.speaker.playedSamples;
  await device.speaker.drain();
  t.equal(device.speaker.playedSamples, played, 'the reply was cut');
  device.button.release();
  await gateway.received((m) => m.type === 'listen' && m.state === 'stop' && m.turn === 2 && m.mode === 'push');
  t.equal(device.runner.state, 'thinking');
  gateway.send({ type: 'speak', state: 'stop', turn: 2 });
  await device.state('idle');
  await gateway.flush();
  t.equal(indexOf(gateway, (m) => m.type === 'listen' && m.turn === 3), -1, 'hands-free is over: no next turn by itself');
});

t.test('a parent locks the toy during hands-free: the turn ends as locked, the microphone stops, unlocking brings idle', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree', doublePressMs: 0 });
  gateway.send({ type: 'vad', turn: 1, event: 'end' });
  await device.state('handsFreeThinking');
  gateway.send({ type: 'settings', toy: { name: 'Pommai', volume: 50, maxVolume: 80, locked: true } });
  await device.state('locked');
  await gateway.received((m) => m.type === 'abort' && m.turn === 1 && m.reason === 'locked');
  t.match(await device.turnReport(1), { end: 'locked' });
  device.button.press();
  device.button.release();
  gateway.send({ type: 'settings', toy: { name: 'Pommai', volume: 50, maxVolume: 80, locked: false } });
  await device.state('idle');
  await gateway.flush();
  t.equal(indexOf(gateway, (m) => m.type === 'listen' && m.turn === 2), -1, 'no turn while locked, and none by itself after');
});

t.test('an error ends hands-free: the error shows, then idle', async (t) => {
  const gateway = await scriptedGateway(t);
  const device = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree' });
  gateway.send({ type: 'vad', turn: 1, event: 'end' });
  gateway.send({ type: 'error', code: 'turn_failed', message: 'speech service timed out', retryable: true, turn: 1 });
  await device.state('error');
  t.match(await device.turnReport(1), { end: 'failed' });
  await device.state('idle');
  await gateway.flush();
  t.equal(indexOf(gateway, (m) => m.type === 'listen' && m.turn === 2), -1);
});

t.test('after a lost link a toy configured hands-free comes back hands-free; one switched on by the child comes back idle', async (t) => {
  const gateway = await scriptedGateway(t);
  const configured = await simToy(t, gateway.url, { handsFree: true, ready: 'handsFree' });
  await gateway.received(listenStart(1, 'hands_free'));
  gateway.drop();
  await configured.state('offline');
  t.match(await configured.turnReport(1), { end: 'link_lost' });
  await configured.state('handsFree');
  await gateway.received(listenStart(2, 'hands_free'));
  await configured.runner.stop();

  const second = await scriptedGateway(t);
  const toggled = await simToy(t, second.url, { doublePressMs: DOUBLE_PRESS_MS });
  toggled.button.press();
  toggled.button.release();
  toggled.button.press();
  toggled.button.release();
  await second.received(listenStart(2, 'hands_free'));
  second.drop();
  await toggled.state('offline');
  await toggled.state('idle');
  await second.flush();
  t.equal(indexOf(second, (m) => m.type === 'listen' && m.turn === 3), -1, 'no hands-free turn after the reconnection');
});

t.test('the composition root announces hands_free and starts in it when the config says so', async (t) => {
  const gateway = await scriptedGateway(t);
  const hardware = {
    button: new ScriptedButton(),
    leds: new RecordingLeds(),
    microphone: new WavMicrophone({ speed: 4 }),
    speaker: await SimSpeaker.create({ sampleRate: 24_000, speed: 4 }),
  };
  const device = startDevice(deviceConfig({ gatewayUrl: gateway.url, deviceId: 'toy-1', secret: 'secret-secret', handsFree: true }), hardware, silentLog);
  t.teardown(async () => {
    await device.stop();
    await hardware.speaker.close();
  });
  await gateway.received(listenStart(1, 'hands_free'));
  t.match(gateway.messages[0], { type: 'hello', capabilities: ['push_to_talk', 'barge_in', 'hands_free'] });
  await hardware.leds.waitFor('handsFree');
  t.notOk(hardware.leds.names.includes('idle'), 'hands-free from the welcome on, never idle first');
  t.notOk(gateway.messages.some((m) => m.type === 'report'), 'no turn reported yet');
});
