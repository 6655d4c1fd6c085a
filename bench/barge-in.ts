import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { DeviceRunner } from '../device/device-runner.js';
import { silentLog } from '../log/log.js';
import { AlsaSpeaker } from '../hardware/pi/alsa-speaker.js';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import type { Speaker } from '../hardware/speaker.js';
import { AudioKind, DOWNLINK_AUDIO, PROTOCOL_VERSION, UPLINK_AUDIO, VOLUME_RANGE, encodeAudioFrame, frameSamples, parseDeviceMessage, type DeviceMessage } from '../protocol/index.js';
import { percentile } from './percentile.js';

/**
 * Barge-in, measured: the toy is speaking (a real aplay child playing into
 * ALSA's file plugin), the button goes down, and the clock runs until the
 * speaker is cut, until the gateway has the abort, and until it has the new
 * turn's listen start. One process, one clock; the gateway is a WebSocket
 * server on loopback. The button's own delay (debounce, line polling) is
 * configuration and is added in the printout, not measured here.
 */

const HELP = `node dist-bench/bench/barge-in.js [--rounds N] [--debounce-ms D] [--poll-ms P]

  --rounds N        barge-ins to measure (default 50)
  --debounce-ms D   the GPIO button's debounce, added to the total (default 30)
  --poll-ms P       the libgpiod line's polling interval, added as its worst case (default 5)`;

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '50' }, 'debounce-ms': { type: 'string', default: '30' }, 'poll-ms': { type: 'string', default: '5' }, help: { type: 'boolean' } } });
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const rounds = Number(values.rounds);
const debounceMs = Number(values['debounce-ms']);
const pollMs = Number(values['poll-ms']);

/** A speaker that remembers when it was told to stop. */
class TimedSpeaker implements Speaker {
  stoppedAt = 0;
  constructor(private readonly inner: AlsaSpeaker) {}
  get sampleRate() {
    return this.inner.sampleRate;
  }
  write(pcm: Int16Array) {
    return this.inner.write(pcm);
  }
  drain() {
    return this.inner.drain();
  }
  stop() {
    this.inner.stop();
    this.stoppedAt = performance.now();
  }
  close() {
    return this.inner.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'pommai-barge-in-'));
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await once(wss, 'listening');
let socket: WebSocket | undefined;
const arrivals: Array<{ message: DeviceMessage; at: number }> = [];
let notify: (() => void) | undefined;
wss.on('connection', (ws) => {
  socket = ws;
  ws.on('message', (data, binary) => {
    if (binary) return;
    const parsed = parseDeviceMessage(data.toString());
    if (!parsed.ok) return;
    arrivals.push({ message: parsed.message, at: performance.now() });
    if (parsed.message.type === 'hello') {
      ws.send(JSON.stringify({ type: 'welcome', version: PROTOCOL_VERSION, sessionId: 'bench', audio: DOWNLINK_AUDIO, toy: { name: 'Pommai', volume: 50, maxVolume: 80, locked: false }, heartbeat: { intervalMs: 60_000, timeoutMs: 60_000 } }));
    }
    notify?.();
  });
});
const arrived = (match: (m: DeviceMessage) => boolean): Promise<number> =>
  new Promise((resolve) => {
    const check = () => {
      const found = arrivals.find((a) => match(a.message));
      if (found) {
        notify = undefined;
        resolve(found.at);
      }
    };
    notify = check;
    check();
  });

const encoder = createOpusEncoder({ sampleRate: DOWNLINK_AUDIO.sampleRate, frameMs: DOWNLINK_AUDIO.frameMs, bitrate: 24_000 });
const tone = encoder.encode(new Int16Array(frameSamples(DOWNLINK_AUDIO)).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 330 * i) / DOWNLINK_AUDIO.sampleRate))));
const button = new ScriptedButton();
const microphone = new WavMicrophone({ speed: 1 });
const speaker = new TimedSpeaker(new AlsaSpeaker({ sampleRate: DOWNLINK_AUDIO.sampleRate, device: `file:${join(dir, 'out.raw')},raw` }));
const runner = new DeviceRunner({ button, leds: new RecordingLeds(), microphone, speaker }, {
  link: { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, hello: { deviceId: 'bench', secret: 'bench-secret', firmware: 'bench', audio: UPLINK_AUDIO, capabilities: ['barge_in'] }, backoff: { initialMs: 50, maxMs: 500 }, connectTimeoutMs: 5000 },
  uplinkBitrate: 16_000,
  replyTimeoutMs: 30_000,
  errorShowMs: 100,
  maxQueuedFrames: 200,
  volumeCeiling: VOLUME_RANGE.max,
  log: silentLog,
});
runner.start();
await arrived((m) => m.type === 'hello');
const stateNow = (): string => runner.state;
while (stateNow() !== 'idle') await new Promise((r) => setTimeout(r, 10));

const cut: number[] = [];
const abort: number[] = [];
const listen: number[] = [];
microphone.load(new Int16Array(16_000 * 600));
button.press();
for (let turn = 1; turn <= rounds; turn++) {
  await arrived((m) => m.type === 'listen' && m.state === 'start' && m.turn === turn);
  button.release();
  await arrived((m) => m.type === 'listen' && m.state === 'stop' && m.turn === turn);
  socket!.send(JSON.stringify({ type: 'speak', state: 'start', turn }));
  for (let sequence = 0; sequence < 40; sequence++) socket!.send(encodeAudioFrame({ kind: AudioKind.Voice, turn, sequence, payload: tone }));
  while (stateNow() !== 'speaking') await new Promise((r) => setTimeout(r, 5));
  // Let playback get going, as it would be when a child interrupts.
  await new Promise((r) => setTimeout(r, 150));
  const pressed = performance.now();
  button.press();
  const abortAt = await arrived((m) => m.type === 'abort' && m.turn === turn);
  const listenAt = await arrived((m) => m.type === 'listen' && m.state === 'start' && m.turn === turn + 1);
  cut.push(speaker.stoppedAt - pressed);
  abort.push(abortAt - pressed);
  listen.push(listenAt - pressed);
}
button.release();
await runner.stop();
await speaker.close();
for (const client of wss.clients) client.terminate();
wss.close();
await rm(dir, { recursive: true, force: true });

const quantile = (values: number[], q: number) => percentile(values, q * 100) ?? NaN;
const row = (name: string, values: number[]) => `| ${name} | ${quantile(values, 0.5).toFixed(2)} | ${quantile(values, 0.95).toFixed(2)} | ${Math.max(...values).toFixed(2)} |`;
const worstTotal = debounceMs + pollMs + quantile(cut, 0.95);
process.stdout.write(
  [
    `barge-in, ${rounds} rounds (ms from the button event to ...)`,
    '',
    '| until | p50 | p95 | max |',
    '|---|---|---|---|',
    row('playback cut (aplay killed, its buffer dropped)', cut),
    row('abort at the gateway', abort),
    row('listen start of the new turn at the gateway', listen),
    '',
    `with the GPIO button's debounce (${debounceMs} ms) and worst-case polling (${pollMs} ms): about ${worstTotal.toFixed(1)} ms from finger to silence at p95 (budget 100 ms)`,
    JSON.stringify({ type: 'barge-in', rounds, cutP50: quantile(cut, 0.5), cutP95: quantile(cut, 0.95), abortP50: quantile(abort, 0.5), abortP95: quantile(abort, 0.95), listenP50: quantile(listen, 0.5), listenP95: quantile(listen, 0.95), fingerToSilenceP95: worstTotal }),
    '',
  ].join('\n'),
);
