import { readFileSync } from 'node:fs';
import t from 'tap';
import { AUDIO_HEADER_BYTES, MAX_OPUS_PACKET_BYTES, decodeAudioFrame } from './audio-frame.js';
import { DOWNLINK_AUDIO, UPLINK_AUDIO } from './audio-params.js';
import { CloseCode } from './close-codes.js';
import { ErrorCode } from './error-codes.js';
import { HELLO_TIMEOUT_MS } from './handshake.js';
import { MAX_CONTROL_FRAME_BYTES, SECRET_LENGTH, parseDeviceMessage, parseGatewayMessage } from './parse-message.js';
import { PROTOCOL_VERSION } from './version.js';
import { VOLUME_RANGE } from './volume.js';

/** The spec in README.md is checked against the code, so the two cannot drift apart silently. */
const README = readFileSync(new URL('./README.md', import.meta.url), 'utf8');

function blocks(language: string): string[] {
  return [...README.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

t.test('every JSON example parses, and every message type has one', async (t) => {
  const lines = blocks('json').flatMap((block) => block.split('\n').filter((line) => line.trim() !== ''));
  const types = new Set<string>();
  for (const line of lines) {
    const device = parseDeviceMessage(line);
    const gateway = parseGatewayMessage(line);
    t.ok(device.ok || gateway.ok, line.slice(0, 60));
    if (device.ok) types.add(device.message.type);
    if (gateway.ok) types.add(gateway.message.type);
  }
  t.same([...types].sort(), ['abort', 'error', 'hello', 'listen', 'metrics', 'ping', 'pong', 'reply', 'report', 'settings', 'speak', 'transcript', 'vad', 'welcome']);
  for (const type of types) t.match(README, new RegExp(`^### (.*, )?${type}\\b`, 'm'), `a section for ${type}`);
});

t.test('the audio frame example decodes to what the text says', async (t) => {
  const example = /Kind 1, turn 7, sequence 258, payload `fc 01 02`:\n\n```\n([0-9a-f ]+)\n```/.exec(README);
  if (!example) return t.fail('example not found');
  const bytes = Uint8Array.from(example[1]!.trim().split(' ').map((b) => parseInt(b, 16)));
  const result = decodeAudioFrame(bytes);
  if (!result.ok) return t.fail(result.error.message);
  t.same({ ...result.frame, payload: [...result.frame.payload] }, { kind: 1, turn: 7, sequence: 258, payload: [0xfc, 0x01, 0x02] });
});

t.test('constants quoted in the spec are the code\'s', async (t) => {
  t.match(README, `\`PROTOCOL_VERSION\` is **${PROTOCOL_VERSION}**`);
  t.match(README, `\`MAX_CONTROL_FRAME_BYTES\` = ${MAX_CONTROL_FRAME_BYTES} bytes`);
  t.match(README, `= ${AUDIO_HEADER_BYTES} + ${MAX_OPUS_PACKET_BYTES} = ${AUDIO_HEADER_BYTES + MAX_OPUS_PACKET_BYTES} bytes`);
  t.match(README, `\`HELLO_TIMEOUT_MS\` (${HELLO_TIMEOUT_MS / 1000} s)`);
  t.match(README, `HELLO_TIMEOUT_MS = ${HELLO_TIMEOUT_MS}`);
  t.match(README, `| Opus | ${UPLINK_AUDIO.sampleRate / 1000} kHz | ${UPLINK_AUDIO.channels} | ${UPLINK_AUDIO.frameMs} ms`);
  t.match(README, `| Opus | ${DOWNLINK_AUDIO.sampleRate / 1000} kHz | ${DOWNLINK_AUDIO.channels} | ${DOWNLINK_AUDIO.frameMs} ms`);
  t.match(README, `| \`secret\` | ${SECRET_LENGTH.min}..${SECRET_LENGTH.max} characters (\`SECRET_LENGTH\`);`);
  const volumes = `${VOLUME_RANGE.min}..${VOLUME_RANGE.max}`;
  t.match(README, `volume: integer ${volumes}, maxVolume: integer ${volumes}, locked: boolean }\` (volumes in \`VOLUME_RANGE\`)`);
});

t.test('every close code and error code is in its table', async (t) => {
  for (const [name, code] of Object.entries(CloseCode)) {
    t.match(README, new RegExp(`^\\| ${code} \\| \`${name}\` \\|`, 'm'), `close code ${name}`);
  }
  for (const code of Object.values(ErrorCode)) t.match(README, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `error code ${code}`);
});

t.test('the bandwidth table adds up', async (t) => {
  const frameMs = UPLINK_AUDIO.frameMs;
  t.equal(DOWNLINK_AUDIO.frameMs, frameMs);
  const wsHeader = (payload: number, masked: boolean) => 2 + (payload > 125 ? 2 : 0) + (masked ? 4 : 0);
  const tcpIp = 20 + 12 + 20;
  const ackBytesPerFrame = tcpIp / 2;
  const perFrame = (kbps: number, masked: boolean) => {
    const payload = (kbps * 1000 * frameMs) / 1000 / 8 + AUDIO_HEADER_BYTES;
    return payload + wsHeader(payload, masked) + tcpIp;
  };
  const kbps = (bytes: number) => (bytes * 8) / (frameMs / 1000) / 1000;
  const up = perFrame(16, true);
  const down = perFrame(24, false);
  t.equal(up, 188);
  t.equal(down, 244);
  t.match(README, `**${up}**`);
  t.match(README, `**${down}**`);
  t.match(README, kbps(up).toFixed(2));
  t.match(README, kbps(down).toFixed(2));
  t.match(README, kbps(ackBytesPerFrame).toFixed(2));
  const upTotal = kbps(up + ackBytesPerFrame);
  const downTotal = kbps(down + ackBytesPerFrame);
  t.match(README, `**${upTotal.toFixed(1)} kbps**`);
  t.match(README, `**${downTotal.toFixed(1)} kbps**`);
  t.ok(upTotal < 50 && downTotal < 50, 'each active stream is under 50 kbps');
  const tls = kbps(22);
  t.ok(upTotal + tls < 50 && downTotal + tls < 50, 'also over TLS');
  t.match(README, `${(upTotal + tls).toFixed(1)} and ${(downTotal + tls).toFixed(1)} kbps`);
});
