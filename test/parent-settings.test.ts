import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SqliteStore } from '../cloud/store/sqlite-store.js';
import { AudioKind, UPLINK_AUDIO, encodeAudioFrame } from '../protocol/index.js';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { DEVICE_ID, gatewayFor } from './harness.js';
import { RawDevice } from './raw-device.js';

/** A raw device that has said hello and been welcomed. */
async function welcomed(t: Test, url: string): Promise<RawDevice> {
  const device = await RawDevice.connect(url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome');
  return device;
}

t.test('the welcome carries what the parent chose, over the gateway defaults', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  await gateway.store.updateDeviceSettings(DEVICE_ID, { maxVolume: 40 });
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  const welcome = await device.next((m) => m.type === 'welcome', 'welcome');
  t.match(welcome, { type: 'welcome', toy: { volume: 70, maxVolume: 40, locked: false } });
});

t.test('a lock set elsewhere reaches the connected toy, refuses new turns, and an unlock lifts it', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const device = await welcomed(t, gateway.url);
  // Another process (the CLI, the dashboard) writes the store; the gateway's own poll picks it up.
  await gateway.store.updateDeviceSettings(DEVICE_ID, { locked: true, volume: 20 });
  t.match(await device.next((m) => m.type === 'settings', 'settings'), { type: 'settings', toy: { locked: true, volume: 20, maxVolume: 85 } });
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  t.match(await device.error('locked'), { turn: 1, retryable: false });
  t.ok(await device.alive(1), 'the session lives on');
  await gateway.store.updateDeviceSettings(DEVICE_ID, { locked: null });
  await gateway.server.refreshSettings(DEVICE_ID);
  t.match(await device.next((m) => m.type === 'settings', 'settings'), { toy: { locked: false, volume: 20 } });
  device.send({ type: 'listen', state: 'start', turn: 2, mode: 'push' });
  t.ok(await device.alive(2));
  t.notOk(device.received.some((m) => m.type === 'error'), 'turn 2 was accepted');
  device.send({ type: 'abort', turn: 2, reason: 'test over' });
});

t.test('locking mid-turn ends the turn: it is stored as aborted and no reply follows', async (t) => {
  const dir = t.testdir();
  const gateway = await gatewayFor(dir);
  t.teardown(() => gateway.stop());
  const device = await welcomed(t, gateway.url);
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  const encoder = createOpusEncoder({ sampleRate: UPLINK_AUDIO.sampleRate, frameMs: UPLINK_AUDIO.frameMs, bitrate: 16_000 });
  for (let sequence = 0; sequence < 5; sequence++) {
    device.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn: 1, sequence, payload: encoder.encode(new Int16Array(960)) }));
  }
  t.ok(await device.alive(2), 'the turn is under way');
  await gateway.store.updateDeviceSettings(DEVICE_ID, { locked: true });
  await gateway.server.refreshSettings(DEVICE_ID);
  await device.next((m) => m.type === 'settings', 'settings');
  device.send({ type: 'listen', state: 'stop', turn: 1, mode: 'push' });
  t.ok(await device.alive(3));
  t.notOk(device.received.some((m) => m.type === 'speak' || m.type === 'transcript'), 'the child\'s words went nowhere: no transcript, no reply');
  await gateway.stop();
  const store = await SqliteStore.open(join(dir, 'gateway.db'));
  t.teardown(() => store.close());
  const [turn] = await store.listTurns({ deviceId: DEVICE_ID });
  t.match(turn, { turn: 1, outcome: 'aborted', error: { message: /locked by parent/ } }, 'the child\'s turn is kept, ended by the lock');
});

t.test('a settings change that changes nothing sends nothing', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const device = await welcomed(t, gateway.url);
  await gateway.store.updateDeviceSettings(DEVICE_ID, { volume: 70 });
  await gateway.server.refreshSettings(DEVICE_ID);
  t.ok(await device.alive(4));
  t.notOk(device.received.some((m) => m.type === 'settings'), 'the default volume, chosen explicitly, is no change');
});
