import t, { type Test } from 'tap';
import type { DeviceMessage, GatewayMessage } from './messages.js';
import {
  MAX_CONTROL_FRAME_BYTES,
  encodeMessage,
  parseDeviceMessage,
  parseGatewayMessage,
  type ParseResult,
} from './parse-message.js';
import { PROTOCOL_VERSION } from './version.js';

type Parse = (text: string) => ParseResult<DeviceMessage | GatewayMessage>;
type Direction = 'device' | 'gateway';

const PARSERS: Record<Direction, Parse> = { device: parseDeviceMessage, gateway: parseGatewayMessage };
const OTHER: Record<Direction, Direction> = { device: 'gateway', gateway: 'device' };

interface Fixture {
  readonly name: string;
  /** Who sends it: 'device' fixtures go through parseDeviceMessage. */
  readonly from: Direction;
  /** Written in the key order encodeMessage produces, so encoding gives these exact bytes back. */
  readonly json: string;
  readonly message: DeviceMessage | GatewayMessage;
}

const FIXTURES: readonly Fixture[] = [
  {
    name: 'hello',
    from: 'device',
    json: '{"type":"hello","version":1,"deviceId":"pommai-7f3a","secret":"s3cr3t-per-device","firmware":"0.1.0","audio":{"codec":"opus","sampleRate":16000,"channels":1,"frameMs":60},"capabilities":["barge_in"]}',
    message: {
      type: 'hello',
      version: 1,
      deviceId: 'pommai-7f3a',
      secret: 's3cr3t-per-device',
      firmware: '0.1.0',
      audio: { codec: 'opus', sampleRate: 16000, channels: 1, frameMs: 60 },
      capabilities: ['barge_in'],
    },
  },
  {
    name: 'listen start',
    from: 'device',
    json: '{"type":"listen","state":"start","turn":7,"mode":"push"}',
    message: { type: 'listen', state: 'start', turn: 7, mode: 'push' },
  },
  {
    name: 'listen stop',
    from: 'device',
    json: '{"type":"listen","state":"stop","turn":7,"mode":"push"}',
    message: { type: 'listen', state: 'stop', turn: 7, mode: 'push' },
  },
  {
    name: 'listen start, hands-free',
    from: 'device',
    json: '{"type":"listen","state":"start","turn":8,"mode":"hands_free"}',
    message: { type: 'listen', state: 'start', turn: 8, mode: 'hands_free' },
  },
  {
    name: 'vad',
    from: 'gateway',
    json: '{"type":"vad","turn":8,"event":"barge_in"}',
    message: { type: 'vad', turn: 8, event: 'barge_in' },
  },
  {
    name: 'report',
    from: 'device',
    json: '{"type":"report","turn":7,"timings":{"voiceToVoiceMs":412}}',
    message: { type: 'report', turn: 7, timings: { voiceToVoiceMs: 412 } },
  },
  {
    name: 'abort from the device',
    from: 'device',
    json: '{"type":"abort","turn":7,"reason":"barged_in"}',
    message: { type: 'abort', turn: 7, reason: 'barged_in' },
  },
  { name: 'ping from the device', from: 'device', json: '{"type":"ping","id":42}', message: { type: 'ping', id: 42 } },
  { name: 'pong from the device', from: 'device', json: '{"type":"pong","id":42}', message: { type: 'pong', id: 42 } },
  {
    name: 'welcome',
    from: 'gateway',
    json: '{"type":"welcome","version":1,"sessionId":"s-01","audio":{"codec":"opus","sampleRate":24000,"channels":1,"frameMs":60},"toy":{"name":"Bun","volume":70,"maxVolume":80,"locked":false},"heartbeat":{"intervalMs":15000,"timeoutMs":5000}}',
    message: {
      type: 'welcome',
      version: 1,
      sessionId: 's-01',
      audio: { codec: 'opus', sampleRate: 24000, channels: 1, frameMs: 60 },
      toy: { name: 'Bun', volume: 70, maxVolume: 80, locked: false },
      heartbeat: { intervalMs: 15000, timeoutMs: 5000 },
    },
  },
  {
    name: 'settings',
    from: 'gateway',
    json: '{"type":"settings","toy":{"name":"Bun","volume":60,"maxVolume":80,"locked":true}}',
    message: { type: 'settings', toy: { name: 'Bun', volume: 60, maxVolume: 80, locked: true } },
  },
  {
    name: 'transcript',
    from: 'gateway',
    json: '{"type":"transcript","turn":7,"text":"why is the sky blue?"}',
    message: { type: 'transcript', turn: 7, text: 'why is the sky blue?' },
  },
  {
    name: 'transcript of nothing understood',
    from: 'gateway',
    json: '{"type":"transcript","turn":7,"text":""}',
    message: { type: 'transcript', turn: 7, text: '' },
  },
  {
    name: 'reply',
    from: 'gateway',
    json: '{"type":"reply","turn":7,"index":0,"text":"Because sunlight bounces off the air."}',
    message: { type: 'reply', turn: 7, index: 0, text: 'Because sunlight bounces off the air.' },
  },
  {
    name: 'speak start',
    from: 'gateway',
    json: '{"type":"speak","state":"start","turn":7}',
    message: { type: 'speak', state: 'start', turn: 7 },
  },
  {
    name: 'speak stop',
    from: 'gateway',
    json: '{"type":"speak","state":"stop","turn":7}',
    message: { type: 'speak', state: 'stop', turn: 7 },
  },
  {
    name: 'metrics',
    from: 'gateway',
    json: '{"type":"metrics","turn":7,"timings":{"stt":310,"llmFirstToken":420.5,"ttsFirstByte":260}}',
    message: { type: 'metrics', turn: 7, timings: { stt: 310, llmFirstToken: 420.5, ttsFirstByte: 260 } },
  },
  {
    name: 'error of a turn',
    from: 'gateway',
    json: '{"type":"error","code":"turn_failed","message":"speech service timed out","retryable":true,"turn":7}',
    message: { type: 'error', code: 'turn_failed', message: 'speech service timed out', retryable: true, turn: 7 },
  },
  {
    name: 'error of the session',
    from: 'gateway',
    json: `{"type":"error","code":"invalid_message","message":"listen: field 'turn' must be an integer in 1..65535","retryable":false}`,
    message: {
      type: 'error',
      code: 'invalid_message',
      message: "listen: field 'turn' must be an integer in 1..65535",
      retryable: false,
    },
  },
  {
    name: 'abort from the gateway',
    from: 'gateway',
    json: '{"type":"abort","turn":7,"reason":"emergency_stop"}',
    message: { type: 'abort', turn: 7, reason: 'emergency_stop' },
  },
  { name: 'ping from the gateway', from: 'gateway', json: '{"type":"ping","id":0}', message: { type: 'ping', id: 0 } },
  { name: 'pong from the gateway', from: 'gateway', json: '{"type":"pong","id":4294967295}', message: { type: 'pong', id: 4294967295 } },
];

function expectProblem(t: Test, result: ParseResult<unknown>, code: string, pattern?: string | RegExp, what = 'input'): void {
  if (result.ok) {
    t.fail(`${what}: expected ${code}, parsed ${JSON.stringify(result.message)}`);
    return;
  }
  t.equal(result.error.code, code, `${what}: ${code}`);
  if (pattern === undefined) return;
  const names = typeof pattern === 'string' ? result.error.message.includes(pattern) : pattern.test(result.error.message);
  t.ok(names, `${what}: '${result.error.message}' names ${String(pattern)}`);
}

t.test('every message type has a fixture', async (t) => {
  const types = new Set(FIXTURES.map((f) => `${f.from}:${f.message.type}`));
  t.same(
    [...types].sort(),
    [
      'device:abort', 'device:hello', 'device:listen', 'device:ping', 'device:pong', 'device:report',
      'gateway:abort', 'gateway:error', 'gateway:metrics', 'gateway:ping', 'gateway:pong',
      'gateway:reply', 'gateway:settings', 'gateway:speak', 'gateway:transcript', 'gateway:vad', 'gateway:welcome',
    ],
  );
});

for (const fixture of FIXTURES) {
  t.test(`${fixture.name}: parses to the exact object and round-trips`, async (t) => {
    const parse = PARSERS[fixture.from];
    const result = parse(fixture.json);
    if (!result.ok) return t.fail(result.error.message);
    t.strictSame(result.message, fixture.message);
    t.equal(encodeMessage(result.message), fixture.json, 'encodes to the same bytes');
    const again = parse(encodeMessage(fixture.message));
    t.strictSame(again, { ok: true, message: fixture.message });
    t.strictSame(parse(JSON.stringify(JSON.parse(fixture.json), null, 2)), result, 'whitespace does not matter');
  });
}

t.test('direction: each side refuses the other side\'s messages as unknown_type', async (t) => {
  expectProblem(t, parseDeviceMessage(FIXTURES.find((f) => f.name === 'welcome')!.json), 'unknown_type', "'welcome'");
  expectProblem(t, parseGatewayMessage(FIXTURES.find((f) => f.name === 'hello')!.json), 'unknown_type', "'hello'");
  for (const fixture of FIXTURES) {
    const type = fixture.message.type;
    if (type === 'abort' || type === 'ping' || type === 'pong') continue;
    expectProblem(t, PARSERS[OTHER[fixture.from]](fixture.json), 'unknown_type', `'${type}'`, fixture.name);
  }
});

t.test('frames that are not a JSON object are malformed_frame', async (t) => {
  const cases = ['', ' ', '{', 'hello', '{"type":"ping","id":1', "{'type':'ping','id':1}", '{"type":"ping","id":01}', '[]',
    '[{"type":"ping","id":1}]', '"ping"', '42', 'null', 'true', '\u0000'];
  for (const text of cases) {
    expectProblem(t, parseDeviceMessage(text), 'malformed_frame', undefined, JSON.stringify(text));
    expectProblem(t, parseGatewayMessage(text), 'malformed_frame', undefined, JSON.stringify(text));
  }
  expectProblem(t, parseDeviceMessage('nope'), 'malformed_frame', 'not valid JSON');
  expectProblem(t, parseDeviceMessage('["ping"]'), 'malformed_frame', 'JSON object');
});

t.test('a missing or non-string type is invalid_message', async (t) => {
  for (const text of ['{}', '{"id":1}', '{"type":1}', '{"type":null}', '{"type":true}', '{"type":["ping"]}', '{"type":{"ping":1}}',
    '{"__proto__":{"type":"ping","id":1}}']) {
    expectProblem(t, parseDeviceMessage(text), 'invalid_message', "'type'", text);
    expectProblem(t, parseGatewayMessage(text), 'invalid_message', "'type'", text);
  }
});

t.test('unknown types, including names on Object.prototype, are unknown_type', async (t) => {
  const names = ['pings', '', 'PING', 'Hello', ' hello', 'hello ', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
    'valueOf', '__defineGetter__', 'isPrototypeOf', 'x'.repeat(1000)];
  for (const type of names) {
    const text = JSON.stringify({ type, id: 1, turn: 1 });
    expectProblem(t, parseDeviceMessage(text), 'unknown_type', undefined, type.slice(0, 20));
    expectProblem(t, parseGatewayMessage(text), 'unknown_type', undefined, type.slice(0, 20));
  }
  const long = parseDeviceMessage(JSON.stringify({ type: 'y'.repeat(5000) }));
  t.ok(!long.ok && long.error.message.length < 100, 'a long unknown type is not echoed in full');
});

t.test('own __proto__ keys in the input neither pollute nor override', async (t) => {
  const result = parseDeviceMessage('{"type":"ping","id":1,"__proto__":{"id":5,"polluted":true}}');
  t.strictSame(result, { ok: true, message: { type: 'ping', id: 1 } });
  t.equal(({} as Record<string, unknown>)['polluted'], undefined);

  const metrics = parseGatewayMessage('{"type":"metrics","turn":7,"timings":{"__proto__":5,"stt":1}}');
  if (!metrics.ok || metrics.message.type !== 'metrics') return t.fail('metrics did not parse');
  const timings = metrics.message.timings;
  t.equal(Object.getPrototypeOf(timings), Object.prototype);
  t.ok(Object.hasOwn(timings, '__proto__'), 'a timing named __proto__ is kept as data');
  t.equal(Object.getOwnPropertyDescriptor(timings, '__proto__')?.value, 5);
  t.equal(timings['stt'], 1);
  t.equal(encodeMessage(metrics.message), '{"type":"metrics","turn":7,"timings":{"__proto__":5,"stt":1}}');
});

// ---- table-driven: corrupt each field of each fixture in turn ------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Fields whose value is a map of free keys, not an object of named fields. */
const MAPS = ['timings'];

/** Every field path of an object except 'type', objects before their children. */
function paths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const out: string[][] = [];
  for (const [key, child] of Object.entries(value)) {
    if (prefix.length === 0 && key === 'type') continue;
    out.push([...prefix, key]);
    if (!MAPS.includes(key)) out.push(...paths(child, [...prefix, key]));
  }
  return out;
}

function withField(json: string, path: string[], value: Json | undefined): string {
  const root = JSON.parse(json) as { [key: string]: Json };
  let parent = root;
  for (const key of path.slice(0, -1)) parent = parent[key] as { [key: string]: Json };
  const last = path[path.length - 1]!;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return JSON.stringify(root);
}

function get(json: string, path: string[]): Json {
  let value = JSON.parse(json) as Json;
  for (const key of path) value = (value as { [key: string]: Json })[key]!;
  return value;
}

/** Values of the wrong JSON type for a field whose good value is `good`. */
function wrongTypes(good: Json): Json[] {
  if (typeof good === 'string') return [42, null, true, [], {}, [good]];
  if (typeof good === 'number') return [String(good), null, true, [], {}, [good]];
  if (typeof good === 'boolean') return [String(good), 1, 0, null, [], {}];
  if (Array.isArray(good)) return ['barge_in', null, 1, {}];
  return ['x', null, 1, [], [good]];
}

const long = (n: number) => 'x'.repeat(n);

/** Values of the right JSON type but out of range, by field name. */
const OUT_OF_RANGE: Record<string, Json[]> = {
  turn: [0, -1, 65536, 1.5, 1e9],
  version: [-1, 65536, 1.5],
  id: [-1, 4294967296, 0.5],
  index: [-1, 10001, 0.5],
  volume: [-1, 101, 50.5],
  maxVolume: [-1, 101, 50.5],
  intervalMs: [0, 99, 600001],
  timeoutMs: [0, 99, 600001],
  codec: ['pcm', 'OPUS', ''],
  sampleRate: [44100, 0, 16000.5, 22050],
  channels: [2, 0],
  frameMs: [10, 80, 120, 2.5],
  state: ['pause', 'START', ''],
  mode: ['auto', 'handsfree', 'Push', ''],
  event: ['speech_start', 'END', ''],
  deviceId: ['', long(65), 'toy 1', '-toy', '.toy', '_toy', 'toy/1', 'toy\\1', 'toyé', 'toy\n', '../etc', 'toy:1'],
  secret: ['', long(257)],
  firmware: [long(65)],
  sessionId: ['', long(65)],
  name: ['', long(65)],
  code: ['', long(65)],
  message: [long(501)],
  reason: [long(201)],
  text: [long(2001)],
  capabilities: [Array<Json>(33).fill('a'), [long(65)], [1], [null], ['barge_in', {}], [['barge_in']]],
  timings: [
    { stt: '1' },
    { stt: null },
    { stt: true },
    { stt: {} },
    { stt: [1] },
    Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
    { [long(65)]: 1 },
  ],
};

/** Per message type, extra out-of-range values beyond the by-name table. */
const OUT_OF_RANGE_FOR: Record<string, Record<string, Json[]>> = {
  reply: { text: [''] },
};

for (const fixture of FIXTURES) {
  t.test(`${fixture.name}: each field missing, of the wrong type or out of range is invalid_message naming it`, async (t) => {
    const parse = PARSERS[fixture.from];
    const type = fixture.message.type;
    for (const path of paths(JSON.parse(fixture.json) as Json)) {
      const field = path.join('.');
      const leaf = path[path.length - 1]!;
      const named = new RegExp(`'${field.replace(/\./g, '\\.')}['.]`);
      const good = get(fixture.json, path);

      if (type === 'error' && field === 'turn') {
        const { turn: _omitted, ...rest } = fixture.message as { turn?: number };
        t.strictSame(parse(withField(fixture.json, path, undefined)), { ok: true, message: rest }, 'turn of an error is optional');
      } else if (field === 'toy.locked') {
        const parsed = parse(withField(fixture.json, path, undefined));
        t.match(parsed, { ok: true, message: { toy: { locked: false } } }, 'an absent locked means unlocked (a gateway from before locks)');
      } else {
        expectProblem(t, parse(withField(fixture.json, path, undefined)), 'invalid_message', named, `${field} missing`);
      }

      for (const bad of wrongTypes(good)) {
        expectProblem(t, parse(withField(fixture.json, path, bad)), 'invalid_message', named, `${field} = ${JSON.stringify(bad)}`);
      }
      for (const bad of [...(OUT_OF_RANGE[leaf] ?? []), ...(OUT_OF_RANGE_FOR[type]?.[leaf] ?? [])]) {
        const what = `${field} = ${JSON.stringify(bad).slice(0, 40)}`;
        expectProblem(t, parse(withField(fixture.json, path, bad)), 'invalid_message', named, what);
      }
    }
  });
}

t.test('the problem message starts with the type and names the first bad field', async (t) => {
  const result = parseDeviceMessage('{"type":"listen","state":"start","turn":0,"mode":"push"}');
  t.strictSame(result, {
    ok: false,
    error: { code: 'invalid_message', message: "listen: field 'turn' must be an integer in 1..65535" },
  });
  const two = parseDeviceMessage('{"type":"listen","state":"begin","turn":0,"mode":"push"}');
  t.ok(!two.ok && two.error.message.includes("'state'") && !two.error.message.includes("'turn'"), 'only the first problem');
});

t.test('values at the edges of their ranges are accepted', async (t) => {
  const accepted: [Parse, string][] = [
    [parseDeviceMessage, '{"type":"listen","state":"start","turn":1,"mode":"push"}'],
    [parseDeviceMessage, '{"type":"listen","state":"start","turn":65535,"mode":"push"}'],
    [parseDeviceMessage, '{"type":"ping","id":0}'],
    [parseDeviceMessage, '{"type":"ping","id":4294967295}'],
    [parseDeviceMessage, '{"type":"abort","turn":3,"reason":""}'],
    [parseDeviceMessage, JSON.stringify({ type: 'abort', turn: 3, reason: long(200) })],
    [parseGatewayMessage, JSON.stringify({ type: 'reply', turn: 1, index: 10000, text: long(2000) })],
    [parseGatewayMessage, JSON.stringify({ type: 'transcript', turn: 1, text: '🦕'.repeat(1000) })],
    [parseGatewayMessage, JSON.stringify({ type: 'error', code: 'x', message: long(500), retryable: false })],
    [parseGatewayMessage, JSON.stringify({ type: 'metrics', turn: 1, timings: {} })],
    [parseGatewayMessage, JSON.stringify({ type: 'metrics', turn: 1, timings: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, -i])) })],
  ];
  for (const [parse, text] of accepted) {
    const result = parse(text);
    t.ok(result.ok, result.ok ? text.slice(0, 60) : result.error.message);
  }
  const hello = JSON.parse(FIXTURES[0]!.json) as { [key: string]: Json };
  for (const deviceId of ['a', 'A.b_c-9', '0'.repeat(64)]) {
    t.ok(parseDeviceMessage(JSON.stringify({ ...hello, deviceId })).ok, `deviceId ${deviceId}`);
  }
  for (const [key, value] of [['firmware', ''], ['secret', long(256)], ['capabilities', []], ['capabilities', Array<Json>(32).fill(long(64))]] as const) {
    t.ok(parseDeviceMessage(JSON.stringify({ ...hello, [key]: value })).ok, `${key} at its edge`);
  }
  for (const sampleRate of [8000, 12000, 16000, 24000, 48000]) {
    for (const frameMs of [20, 40, 60]) {
      const audio = { codec: 'opus', sampleRate, channels: 1, frameMs };
      t.ok(parseDeviceMessage(JSON.stringify({ ...hello, audio })).ok, `audio ${sampleRate} Hz ${frameMs} ms`);
    }
  }
  const welcome = JSON.parse(FIXTURES.find((f) => f.name === 'welcome')!.json) as { [key: string]: Json };
  for (const [volume, intervalMs, timeoutMs] of [[0, 100, 600000], [100, 600000, 100]]) {
    const text = JSON.stringify({ ...welcome, toy: { name: 'B', volume, maxVolume: volume }, heartbeat: { intervalMs, timeoutMs } });
    t.ok(parseGatewayMessage(text).ok, `volume ${volume}, heartbeat ${intervalMs}/${timeoutMs}`);
  }
});

t.test('nested audio parameters must be an object of known values', async (t) => {
  const hello = JSON.parse(FIXTURES[0]!.json) as { [key: string]: Json };
  const cases: [Json, string][] = [
    [null, "'audio' must be an object"],
    [[], "'audio' must be an object"],
    ['opus', "'audio' must be an object"],
    [{}, "'audio.codec'"],
    [{ codec: 'opus' }, "'audio.sampleRate'"],
    [{ codec: 'opus', sampleRate: 16000, channels: 1 }, "'audio.frameMs'"],
    [{ codec: 'opus', sampleRate: 16000, channels: 2, frameMs: 60 }, "'audio.channels'"],
    [{ codec: 'opus', sampleRate: '16000', channels: 1, frameMs: 60 }, "'audio.sampleRate'"],
    [{ codec: 'opus', sampleRate: 16000, channels: 1, frameMs: { ms: 60 } }, "'audio.frameMs'"],
  ];
  for (const [audio, field] of cases) {
    expectProblem(t, parseDeviceMessage(JSON.stringify({ ...hello, audio })), 'invalid_message', field, JSON.stringify(audio));
  }
  const welcome = JSON.parse(FIXTURES.find((f) => f.name === 'welcome')!.json) as { [key: string]: Json };
  expectProblem(t, parseGatewayMessage(JSON.stringify({ ...welcome, audio: { codec: 'mp3', sampleRate: 24000, channels: 1, frameMs: 60 } })),
    'invalid_message', "'audio.codec'");
});

t.test('non-finite timings written as 1e999 are refused', async (t) => {
  expectProblem(t, parseGatewayMessage('{"type":"metrics","turn":7,"timings":{"stt":1e999}}'), 'invalid_message', "'timings.stt'");
  expectProblem(t, parseGatewayMessage('{"type":"metrics","turn":7,"timings":{"stt":-1e999}}'), 'invalid_message', "'timings.stt'");
});

t.test('a hello or welcome of another version parses if its shape is ours, else is version_mismatch', async (t) => {
  const hello = JSON.parse(FIXTURES[0]!.json) as { [key: string]: Json };
  const welcome = JSON.parse(FIXTURES.find((f) => f.name === 'welcome')!.json) as { [key: string]: Json };
  const other = PROTOCOL_VERSION + 1;
  // Same shape: the message parses and the receiver compares the version itself.
  for (const version of [0, other, 65535]) {
    const parsed = parseDeviceMessage(JSON.stringify({ ...hello, version }));
    t.ok(parsed.ok && parsed.message.type === 'hello' && parsed.message.version === version, `hello version ${version}`);
  }
  const parsedWelcome = parseGatewayMessage(JSON.stringify({ ...welcome, version: other }));
  t.ok(parsedWelcome.ok && parsedWelcome.message.type === 'welcome' && parsedWelcome.message.version === other);
  // Another shape: the version is the reason given, not the field this version misses.
  expectProblem(t, parseDeviceMessage(JSON.stringify({ type: 'hello', version: other, id: 'a shape we do not know' })),
    'version_mismatch', `version ${other} is not ${PROTOCOL_VERSION}`);
  expectProblem(t, parseDeviceMessage(JSON.stringify({ ...hello, version: other, audio: 'opus@16k' })), 'version_mismatch', "'audio'");
  expectProblem(t, parseGatewayMessage(JSON.stringify({ type: 'welcome', version: other })), 'version_mismatch');
  // Our own version with a bad field, or a version that is no version, stays invalid_message.
  expectProblem(t, parseDeviceMessage(JSON.stringify({ ...hello, audio: 'opus@16k' })), 'invalid_message', "'audio'");
  for (const version of [-1, 65536, 1.5, '2', null]) {
    expectProblem(t, parseDeviceMessage(JSON.stringify({ type: 'hello', version })), 'invalid_message', "'version'", `version ${JSON.stringify(version)}`);
  }
  // Only hello and welcome carry a version; a version field elsewhere is an unknown field.
  t.ok(parseDeviceMessage(JSON.stringify({ type: 'ping', id: 1, version: other })).ok);
  expectProblem(t, parseDeviceMessage(JSON.stringify({ type: 'ping', version: other })), 'invalid_message', "'id'");
});

// ---- size -------------------------------------------------------------------------------

const utf8 = (text: string) => new TextEncoder().encode(text).length;

/** A valid ping whose UTF-8 encoding is exactly `bytes` long, padded with `char` then ASCII. */
function pingOfBytes(bytes: number, char: string): string {
  const head = '{"type":"ping","id":1,"pad":"';
  const tail = '"}';
  const room = bytes - utf8(head + tail);
  const count = Math.floor(room / utf8(char));
  const pad = char.repeat(count) + 'a'.repeat(room - count * utf8(char));
  const text = head + pad + tail;
  if (utf8(text) !== bytes) throw new Error(`could not build a frame of ${bytes} bytes with ${JSON.stringify(char)}`);
  return text;
}

t.test('the control frame limit is counted in UTF-8 bytes', async (t) => {
  t.equal(MAX_CONTROL_FRAME_BYTES, 16384);
  for (const char of ['a', 'é', '€', '🦕']) {
    const fits = pingOfBytes(MAX_CONTROL_FRAME_BYTES, char);
    t.ok(parseDeviceMessage(fits).ok, `${JSON.stringify(char)}: exactly ${MAX_CONTROL_FRAME_BYTES} bytes fits`);
    const over = pingOfBytes(MAX_CONTROL_FRAME_BYTES + 1, char);
    expectProblem(t, parseDeviceMessage(over), 'malformed_frame', 'exceeds', `${JSON.stringify(char)}: one byte more`);
    expectProblem(t, parseGatewayMessage(over), 'malformed_frame', 'exceeds', `${JSON.stringify(char)}: one byte more`);
  }
  // Fewer characters than the limit, but three times as many bytes.
  const wide = pingOfBytes(3 * 9000, '€');
  t.ok(wide.length < MAX_CONTROL_FRAME_BYTES, `${wide.length} characters`);
  expectProblem(t, parseDeviceMessage(wide), 'malformed_frame');
  expectProblem(t, parseDeviceMessage(' '.repeat(10 * MAX_CONTROL_FRAME_BYTES)), 'malformed_frame', 'exceeds');
});

t.test('the byte count agrees with TextEncoder near the limit, lone surrogates included', async (t) => {
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const alphabet = ['a', 'é', '€', '🦕', '\ud800', '\udc00', '\\n'];
  let disagreements = 0;
  for (let i = 0; i < 200; i++) {
    const target = MAX_CONTROL_FRAME_BYTES - 200 + Math.floor(random() * 400);
    const parts: string[] = [];
    for (let bytes = 0; bytes < target; ) {
      const char = alphabet[Math.floor(random() * alphabet.length)]!;
      parts.push(char);
      bytes += utf8(char);
    }
    const pad = parts.join('');
    const text = `{"type":"ping","id":1,"pad":"${pad}"}`;
    const fits = utf8(text) <= MAX_CONTROL_FRAME_BYTES;
    const result = parseDeviceMessage(text);
    if (result.ok !== fits) disagreements++;
    if (!result.ok && result.error.code !== 'malformed_frame') disagreements++;
  }
  t.equal(disagreements, 0);
});

// ---- forward compatibility and robustness ------------------------------------------------------

t.test('unknown extra fields are ignored, at the top and inside nested objects', async (t) => {
  for (const fixture of FIXTURES) {
    const data = JSON.parse(fixture.json) as { [key: string]: Json };
    data['future'] = { nested: [1, 2, 3] };
    data['zz'] = null;
    for (const key of ['audio', 'toy', 'heartbeat']) {
      const nested = data[key];
      if (nested && typeof nested === 'object' && !Array.isArray(nested)) nested['future'] = 'later';
    }
    const result = PARSERS[fixture.from](JSON.stringify(data));
    t.strictSame(result, { ok: true, message: fixture.message }, fixture.name);
  }
});

t.test('2,000 random mutations of valid fixtures never throw (seeded)', async (t) => {
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const below = (n: number) => next() % n;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const codes = new Map<string, number>();
  let accepted = 0;
  let threw = 0;
  let badShape = 0;
  let unstable = 0;

  for (let i = 0; i < 2000; i++) {
    const fixture = FIXTURES[below(FIXTURES.length)]!;
    let bytes = encoder.encode(fixture.json);
    for (let m = 1 + below(3); m > 0; m--) {
      const at = below(bytes.length + 1);
      switch (below(5)) {
        case 0: // flip bits of one byte
          if (bytes.length > 0) bytes[at % bytes.length]! ^= 1 + below(255);
          break;
        case 1: // truncate
          bytes = bytes.slice(0, at);
          break;
        case 2: // delete a run
          bytes = Uint8Array.from([...bytes.slice(0, at), ...bytes.slice(at + 1 + below(8))]);
          break;
        case 3: // duplicate a run
          bytes = Uint8Array.from([...bytes.slice(0, at), ...bytes.slice(at, at + 1 + below(16)), ...bytes.slice(at)]);
          break;
        default: // insert a random byte
          bytes = Uint8Array.from([...bytes.slice(0, at), below(256), ...bytes.slice(at)]);
      }
    }
    const text = decoder.decode(bytes);
    for (const parse of [parseDeviceMessage, parseGatewayMessage]) {
      let result: ParseResult<DeviceMessage | GatewayMessage>;
      try {
        result = parse(text);
      } catch {
        threw++;
        continue;
      }
      if (result.ok) {
        accepted++;
        const again = parse(encodeMessage(result.message));
        if (!again.ok || JSON.stringify(again.message) !== JSON.stringify(result.message)) unstable++;
      } else if (typeof result.error.message !== 'string' || result.error.message === '') {
        badShape++;
      } else {
        codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
      }
    }
  }
  t.equal(threw, 0, 'no parse threw');
  t.equal(badShape, 0, 'every failure has a message');
  t.equal(unstable, 0, 'every accepted mutation round-trips');
  const known = ['invalid_message', 'malformed_frame', 'unknown_type', 'version_mismatch'];
  t.same([...codes.keys()].filter((code) => !known.includes(code)), [], 'only the parser\'s own codes');
  t.ok(accepted > 0 && codes.has('malformed_frame') && codes.has('invalid_message') && codes.has('unknown_type'),
    `mutations reached every path: ${accepted} accepted, ${JSON.stringify(Object.fromEntries(codes))}`);
});

t.test('2,000 random field swaps in valid fixtures never throw and are valid or invalid_message (seeded)', async (t) => {
  let state = 0x1234567;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const below = (n: number) => next() % n;
  const pool: (Json | undefined)[] = [
    undefined, null, true, false, 0, -0, -1, 1, 1.5, 60, 16000, 65535, 65536, 4294967295, 4294967296, 1e308, -1e308,
    '', 'x', 'start', 'stop', 'push', 'opus', '__proto__', 'toString', long(3000), [], [1], ['barge_in'], [[]], {}, { a: 1 },
    { codec: 'opus', sampleRate: 16000, channels: 1, frameMs: 60 }, { name: 'B', volume: 1, maxVolume: 1 },
  ];
  let threw = 0;
  let unexpected = 0;
  let unstable = 0;
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    const fixture = FIXTURES[below(FIXTURES.length)]!;
    let json = fixture.json;
    for (let m = 1 + below(2); m > 0; m--) {
      const fields = paths(JSON.parse(json) as Json);
      if (fields.length === 0) break;
      const path = fields[below(fields.length)]!;
      if (below(4) === 0) path[path.length - 1] = `extra${below(3)}`;
      json = withField(json, path, pool[below(pool.length)]);
    }
    try {
      const result = PARSERS[fixture.from](json);
      if (result.ok) {
        accepted++;
        const again = PARSERS[fixture.from](encodeMessage(result.message));
        if (!again.ok || JSON.stringify(again.message) !== JSON.stringify(result.message)) unstable++;
      } else if (result.error.code !== 'invalid_message' && result.error.code !== 'version_mismatch') {
        unexpected++;
      }
    } catch {
      threw++;
    }
  }
  t.equal(threw, 0, 'no parse threw');
  t.equal(unexpected, 0, 'a well-formed frame of a known type is only ever invalid_message or version_mismatch');
  t.equal(unstable, 0, 'every accepted message round-trips');
  t.ok(accepted > 100, `${accepted} swaps still gave valid messages`);
});

t.test('hands-free: an unknown listen mode or vad event names its field', async (t) => {
  expectProblem(t, parseDeviceMessage('{"type":"listen","state":"start","turn":8,"mode":"auto"}'), 'invalid_message', "'mode'");
  expectProblem(t, parseGatewayMessage('{"type":"vad","turn":8,"event":"maybe"}'), 'invalid_message', "'event'");
  expectProblem(t, parseGatewayMessage('{"type":"vad","turn":0,"event":"end"}'), 'invalid_message', "'turn'");
  expectProblem(t, parseGatewayMessage('{"type":"vad","turn":8}'), 'invalid_message', "'event'");
});
