import t from 'tap';
import { CloseCode, ErrorCode, PROTOCOL_VERSION, UPLINK_AUDIO, type HelloMessage } from '../../protocol/index.js';
import type { ParentSettings } from '../store/store.js';
import { DeviceHandshake } from './device-handshake.js';

const HELLO: HelloMessage = { type: 'hello', version: PROTOCOL_VERSION, deviceId: 'toy-1', secret: 'right secret', firmware: 'test', audio: UPLINK_AUDIO, capabilities: ['hands_free'] };

/** A store that knows one device; `fail` makes it unreachable. */
function store(options: { settings?: ParentSettings; fail?: boolean; verify?: () => Promise<boolean> } = {}) {
  const asked: string[] = [];
  return {
    asked,
    async verifyDevice(id: string, secret: string) {
      asked.push(`verify ${id}`);
      if (options.fail) throw new Error('disk I/O error');
      if (options.verify) return options.verify();
      return id === 'toy-1' && secret === 'right secret';
    },
    async deviceSettings(id: string) {
      asked.push(`settings ${id}`);
      return options.settings ?? {};
    },
  };
}

t.test('a known device with the right secret is admitted with its capabilities and settings', async (t) => {
  const s = store({ settings: { locked: true, maxVolume: 40 } });
  const result = await new DeviceHandshake(s).hello(HELLO);
  t.same(result, { ok: true, deviceId: 'toy-1', capabilities: new Set(['hands_free']), settings: { locked: true, maxVolume: 40 } });
  t.same(s.asked, ['verify toy-1', 'settings toy-1'], 'the settings are read only for a known device');
});

t.test('a wrong secret or an unknown device is refused and the connection closes as unauthorized', async (t) => {
  for (const hello of [{ ...HELLO, secret: 'wrong' }, { ...HELLO, deviceId: 'stranger' }]) {
    const s = store();
    const result = await new DeviceHandshake(s).hello(hello);
    t.match(result, { ok: false, error: { code: ErrorCode.Unauthorized, retryable: false }, close: { code: CloseCode.Unauthorized }, log: { level: 'warn' } });
    t.notOk(s.asked.some((line) => line.startsWith('settings')), 'no settings read for a stranger');
  }
});

t.test('another protocol version or audio format is refused before the store is asked', async (t) => {
  const s = store();
  t.match(await new DeviceHandshake(s).hello({ ...HELLO, version: PROTOCOL_VERSION + 1 }), { ok: false, error: { code: ErrorCode.VersionMismatch }, close: { code: CloseCode.VersionMismatch } });
  t.match(await new DeviceHandshake(s).hello({ ...HELLO, audio: { ...UPLINK_AUDIO, sampleRate: 48000 } }), { ok: false, error: { code: ErrorCode.InvalidMessage }, close: { code: CloseCode.ProtocolError } });
  t.match(await new DeviceHandshake(s).hello({ ...HELLO, audio: { ...UPLINK_AUDIO, frameMs: 20 } }), { ok: false, error: { code: ErrorCode.InvalidMessage } });
  t.same(s.asked, []);
});

t.test('a store that cannot answer is a retryable busy, and the device is told to come back', async (t) => {
  const result = await new DeviceHandshake(store({ fail: true })).hello(HELLO);
  t.match(result, { ok: false, error: { code: ErrorCode.Busy, retryable: true }, close: { code: CloseCode.GoingAway }, log: { level: 'error', error: 'disk I/O error' } });
  t.notMatch(JSON.stringify(result), /right secret/, 'the secret is nowhere in what is logged or sent');
});

t.test('a second hello is refused without closing, even while the first is being checked', async (t) => {
  let release!: (known: boolean) => void;
  const handshake = new DeviceHandshake(store({ verify: () => new Promise((resolve) => (release = resolve)) }));
  const first = handshake.hello(HELLO);
  t.ok(handshake.greeted, 'greeted as soon as a hello is taken');
  const second = await handshake.hello(HELLO);
  t.match(second, { ok: false, error: { code: ErrorCode.DuplicateHello } });
  t.equal((second as { close?: unknown }).close, undefined, 'the session lives on');
  release(true);
  t.match(await first, { ok: true });
  t.match(await handshake.hello(HELLO), { ok: false, error: { code: ErrorCode.DuplicateHello } }, 'and after it was admitted');
});

t.test('a hello refused for its version does not count as taken', async (t) => {
  const handshake = new DeviceHandshake(store());
  await handshake.hello({ ...HELLO, version: 0 });
  t.notOk(handshake.greeted);
});
