import type { Test } from 'tap';
import type { Store, TurnRecord } from './store.js';

/** A turn with every field filled, including the optional ones; override what a test cares about. */
export function sampleTurn(overrides: Partial<TurnRecord> = {}): TurnRecord {
  return {
    id: 'turn-1',
    deviceId: 'toy-1',
    sessionId: 'session-1',
    turn: 1,
    startedAt: '2024-05-01T10:00:00.000Z',
    transcript: 'can you tell me a story about a "brave" dragon?\nplease 🐉',
    reply: 'Once upon a time, a small dragon was afraid of the dark…',
    outcome: 'answered',
    safety: [
      { direction: 'input', text: 'can you tell me a story', allowed: true, categories: {}, severity: 0, provider: 'local' },
      {
        direction: 'output',
        text: 'Once upon a time',
        allowed: false,
        categories: { violence: 4, hate: 2 },
        category: 'violence',
        severity: 4,
        provider: 'azure',
      },
    ],
    timings: { stt: 312, safetyIn: 71, llmFirstToken: 402, ttsFirstByte: 251, firstAudio: 640.5, total: 1820 },
    error: { code: 'tts_timeout', message: 'the voice took too long' },
    ...overrides,
  };
}

/**
 * The behaviour every Store must show, SQLite today and Convex later. Each subtest gets a store of
 * its own from `make` and closes it afterwards, so no subtest depends on another.
 */
export function storeContract(t: Test, name: string, make: () => Promise<Store>): void {
  t.test(`${name} keeps the Store contract`, async (t) => {
    const open = async (t: Test): Promise<Store> => {
      const store = await make();
      t.teardown(() => store.close());
      return store;
    };

    t.test('a new store is empty', async (t) => {
      const store = await open(t);
      t.strictSame(await store.listTurns({}), []);
      t.strictSame(await store.listDevices(), []);
      t.equal(await store.deleteTurns('toy-1'), 0);
    });

    t.test('round-trips every field of a turn', async (t) => {
      const store = await open(t);
      const full = sampleTurn();
      const bare = sampleTurn({ id: 'turn-2', turn: 2, startedAt: '2024-05-01T10:01:00.000Z', safety: [], timings: {} });
      delete (bare as { error?: unknown }).error;
      await store.saveTurn(full);
      await store.saveTurn(bare);
      const [second, first] = await store.listTurns({ deviceId: 'toy-1' });
      t.strictSame(first, full);
      t.equal(second?.error, undefined, 'a turn without an error comes back without one');
      t.strictSame({ ...second, error: undefined }, { ...bare, error: undefined });
    });

    t.test('lists newest first, for all devices or one, within a limit', async (t) => {
      const store = await open(t);
      const at = (minute: number) => `2024-05-01T10:0${minute}:00.000Z`;
      await store.saveTurn(sampleTurn({ id: 'a2', deviceId: 'a', startedAt: at(2) }));
      await store.saveTurn(sampleTurn({ id: 'b1', deviceId: 'b', startedAt: at(1) }));
      await store.saveTurn(sampleTurn({ id: 'a4', deviceId: 'a', startedAt: at(4) }));
      await store.saveTurn(sampleTurn({ id: 'b3', deviceId: 'b', startedAt: at(3) }));
      await store.saveTurn(sampleTurn({ id: 'a0', deviceId: 'a', startedAt: at(0) }));
      const ids = (turns: TurnRecord[]) => turns.map((turn) => turn.id);
      t.strictSame(ids(await store.listTurns({})), ['a4', 'b3', 'a2', 'b1', 'a0']);
      t.strictSame(ids(await store.listTurns({ deviceId: 'a' })), ['a4', 'a2', 'a0']);
      t.strictSame(ids(await store.listTurns({ deviceId: 'b', limit: 1 })), ['b3']);
      t.strictSame(ids(await store.listTurns({ limit: 2 })), ['a4', 'b3']);
      t.strictSame(await store.listTurns({ deviceId: 'nobody' }), []);
    });

    t.test('orders by the instant a turn started, not by how its time is written', async (t) => {
      const store = await open(t);
      await store.saveTurn(sampleTurn({ id: 'plain', startedAt: '2024-05-01T10:00:00Z' }));
      await store.saveTurn(sampleTurn({ id: 'half-second-later', startedAt: '2024-05-01T10:00:00.500Z' }));
      await store.saveTurn(sampleTurn({ id: 'one-second-later', startedAt: '2024-05-01T12:00:01+02:00' }));
      const turns = await store.listTurns({ deviceId: 'toy-1' });
      t.strictSame(turns.map((turn) => turn.id), ['one-second-later', 'half-second-later', 'plain']);
      t.equal(turns[0]?.startedAt, '2024-05-01T12:00:01+02:00', 'startedAt comes back as it was written');
    });

    t.test('saving a turn id again replaces it instead of duplicating it', async (t) => {
      const store = await open(t);
      await store.saveTurn(sampleTurn());
      await store.saveTurn(sampleTurn({ reply: 'a better ending', outcome: 'blocked' }));
      const turns = await store.listTurns({});
      t.equal(turns.length, 1);
      t.equal(turns[0]?.reply, 'a better ending');
      t.equal(turns[0]?.outcome, 'blocked');
    });

    t.test("deleteTurns removes one device's turns and says how many", async (t) => {
      const store = await open(t);
      await store.saveTurn(sampleTurn({ id: 'a1', deviceId: 'a' }));
      await store.saveTurn(sampleTurn({ id: 'a2', deviceId: 'a', startedAt: '2024-05-01T11:00:00.000Z' }));
      await store.saveTurn(sampleTurn({ id: 'b1', deviceId: 'b' }));
      t.equal(await store.deleteTurns('a'), 2);
      t.strictSame(await store.listTurns({ deviceId: 'a' }), []);
      t.strictSame((await store.listTurns({})).map((turn) => turn.id), ['b1']);
      t.equal(await store.deleteTurns('a'), 0, 'deleting again finds nothing');
    });

    t.test('addDevice returns a fresh secret that verifies, and nothing else does', async (t) => {
      const store = await open(t);
      const secret = await store.addDevice('toy-1');
      const other = await store.addDevice('toy-2');
      t.match(secret, /^[A-Za-z0-9_-]{32,}$/, 'at least 24 random bytes, base64url');
      t.not(secret, other);
      t.equal(await store.verifyDevice('toy-1', secret), true);
      t.equal(await store.verifyDevice('toy-2', other), true);
      t.equal(await store.verifyDevice('toy-1', `${secret}x`), false, 'wrong secret');
      t.equal(await store.verifyDevice('toy-1', secret.slice(0, -1)), false, 'a prefix of the secret');
      t.equal(await store.verifyDevice('toy-1', ''), false, 'empty secret');
      t.equal(await store.verifyDevice('toy-1', other), false, "another device's secret");
      t.equal(await store.verifyDevice('toy-3', secret), false, 'unknown device');
    });

    t.test('adding a device again replaces its secret and keeps the device', async (t) => {
      const store = await open(t);
      const first = await store.addDevice('toy-1');
      const [before] = await store.listDevices();
      const second = await store.addDevice('toy-1');
      t.not(first, second);
      t.equal(await store.verifyDevice('toy-1', first), false, 'the old secret no longer works');
      t.equal(await store.verifyDevice('toy-1', second), true);
      t.strictSame(await store.listDevices(), [before], 'still one device, created when it was first added');
    });

    t.test('addDeviceWithSecret registers or replaces with the caller’s secret', async (t) => {
      const store = await open(t);
      await store.addDeviceWithSecret('sim-1', 'simulator pairing secret');
      t.equal(await store.verifyDevice('sim-1', 'simulator pairing secret'), true);
      t.equal(await store.verifyDevice('sim-1', 'simulator pairing secreT'), false);
      const generated = await store.addDevice('sim-1');
      t.equal(await store.verifyDevice('sim-1', 'simulator pairing secret'), false);
      await store.addDeviceWithSecret('sim-1', 'a new pairing');
      t.equal(await store.verifyDevice('sim-1', generated), false);
      t.equal(await store.verifyDevice('sim-1', 'a new pairing'), true);
    });

    t.test('listDevices lists every device with when it was added', async (t) => {
      const store = await open(t);
      const before = Date.now();
      await store.addDevice('toy-b');
      await store.addDeviceWithSecret('toy-a', 'secret a');
      const devices = await store.listDevices();
      t.strictSame(devices.map((device) => device.id).sort(), ['toy-a', 'toy-b']);
      for (const device of devices) {
        const created = Date.parse(device.createdAt);
        t.ok(created >= before - 1000 && created <= Date.now() + 1000, `${device.id} has a plausible createdAt`);
      }
    });

    t.test("a parent's settings: only what was chosen is kept, null goes back to the default", async (t) => {
      const store = await open(t);
      await store.addDevice('toy-1');
      await store.addDevice('toy-2');
      t.strictSame(await store.deviceSettings('toy-1'), {}, 'nothing chosen yet');
      t.strictSame(await store.updateDeviceSettings('toy-1', { maxVolume: 60, locked: true }), { maxVolume: 60, locked: true });
      t.strictSame(await store.updateDeviceSettings('toy-1', { volume: 40 }), { maxVolume: 60, locked: true, volume: 40 }, 'a change merges');
      t.strictSame(await store.updateDeviceSettings('toy-1', { locked: null }), { maxVolume: 60, volume: 40 }, 'null clears');
      t.strictSame(await store.deviceSettings('toy-1'), { maxVolume: 60, volume: 40 });
      t.strictSame(await store.deviceSettings('toy-2'), {}, 'other devices untouched');
      t.strictSame(await store.deviceSettings('nobody'), {});
      await store.addDevice('toy-1');
      t.strictSame(await store.deviceSettings('toy-1'), { maxVolume: 60, volume: 40 }, 'a new secret keeps the settings');
      t.strictSame((await store.listDevices()).find((d) => d.id === 'toy-1')?.settings, { maxVolume: 60, volume: 40 });
    });

    t.test('bad settings and unknown devices are refused with a code', async (t) => {
      const store = await open(t);
      await store.addDevice('toy-1');
      await t.rejects(store.updateDeviceSettings('toy-1', { maxVolume: 101 }), { code: 'invalid_settings', message: /maxVolume/ });
      await t.rejects(store.updateDeviceSettings('toy-1', { volume: 2.5 }), { code: 'invalid_settings' });
      await t.rejects(store.updateDeviceSettings('toy-1', { locked: 'yes' as unknown as boolean }), { code: 'invalid_settings', message: /locked/ });
      await t.rejects(store.updateDeviceSettings('toy-1', { colour: 'red' } as never), { code: 'invalid_settings', message: /colour/ });
      await t.rejects(store.updateDeviceSettings('ghost', { locked: true }), { code: 'unknown_device' });
      t.strictSame(await store.deviceSettings('toy-1'), {}, 'nothing half-applied');
    });

    t.test('device secrets and turns do not mix', async (t) => {
      const store = await open(t);
      const secret = await store.addDevice('toy-1');
      await store.saveTurn(sampleTurn());
      t.equal(await store.deleteTurns('toy-1'), 1);
      t.equal(await store.verifyDevice('toy-1', secret), true, "deleting a device's turns keeps the device");
    });
  });
}
