import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { AudioKind, PROTOCOL_VERSION, UPLINK_AUDIO, decodeAudioFrame, encodeAudioFrame, parseGatewayMessage, type GatewayMessage } from '../protocol/index.js';

/** What the device must hear for a turn to count: anything else means the figures are not of the chain measured. */
export interface ExpectedTurn {
  readonly transcript: string;
  /** The reply's first chunk, the one whose safety check and voice are on the critical path. */
  readonly firstChunk: string;
  /** The whole reply, to tell another answer (a fallback, a redirect) from another cut of this one. */
  readonly reply: string;
}

/** One turn as the device saw it, times on this process's clock (performance.now()). */
export interface DeviceTurn {
  readonly turn: number;
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly endedAt: number;
  /** Whether a voice frame of this turn arrived, whatever else went wrong: the child heard an answer. */
  readonly voiceHeard: boolean;
  /** Set when the turn went as expected. */
  readonly voiceToVoiceMs?: number;
  /** The gateway's own stage timings (its `metrics`), from its listen stop. */
  readonly gateway?: Readonly<Record<string, number>>;
  readonly error?: string;
}

interface Pending {
  readonly turn: number;
  firstAudioAt?: number;
  transcript?: string;
  firstChunk?: string;
  metrics?: Readonly<Record<string, number>>;
  end: (how: string) => void;
}

/**
 * A toy reduced to its protocol: it says hello, then holds the button for a fixed utterance of
 * ready-made Opus frames sent at the microphone's pace, lets go, and notes when the first voice
 * frame of the answer arrives. It plays nothing: the voice frames are counted, not decoded.
 */
export class LatencyDevice {
  private pending: Pending | undefined;
  private closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data, binary) => (binary ? this.audio(data as Buffer) : this.message(data.toString())));
    socket.on('close', () => {
      this.closed = true;
      this.pending?.end('the gateway closed the connection');
    });
    socket.on('error', () => {});
  }

  /** `localAddress`: the loopback address to connect from (127.0.0.2 and up), so that many devices look like many homes to per-address limits. */
  static async connect(url: string, deviceId: string, secret: string, boundMs: number, localAddress?: string): Promise<LatencyDevice> {
    const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024, ...(localAddress === undefined ? {} : { localAddress }) });
    const signal = AbortSignal.timeout(boundMs);
    await once(socket, 'open', { signal });
    const welcome = once(socket, 'message', { signal });
    socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId, secret, firmware: 'bench-latency', audio: UPLINK_AUDIO, capabilities: [] }));
    const [data] = (await welcome) as [Buffer];
    const parsed = parseGatewayMessage(data.toString());
    if (!parsed.ok || parsed.message.type !== 'welcome') throw new Error(`${deviceId}: no welcome: ${data.toString().slice(0, 200)}`);
    return new LatencyDevice(socket);
  }

  /**
   * One push-to-talk turn: listen start, `uplink` at one frame per `frameMs`, listen stop, then
   * the answer until speak stop (or an error, or `boundMs`), then the report.
   */
  async turn(turn: number, uplink: readonly Uint8Array[], frameMs: number, expected: ExpectedTurn, boundMs: number): Promise<DeviceTurn> {
    let end: (how: string) => void = () => {};
    const ended = new Promise<string>((resolve) => (end = resolve));
    const pending: Pending = { turn, end };
    this.pending = pending;
    const startedAt = performance.now();
    this.send(JSON.stringify({ type: 'listen', state: 'start', turn, mode: 'push' }));
    for (let sequence = 0; sequence < uplink.length && !this.closed; sequence++) {
      // A microphone hands over a frame once it has been spoken: frame n is ready (n + 1) frames in.
      const due = startedAt + (sequence + 1) * frameMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      this.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn, sequence, payload: uplink[sequence] as Uint8Array }));
    }
    this.send(JSON.stringify({ type: 'listen', state: 'stop', turn, mode: 'push' }));
    const stoppedAt = performance.now();
    const bound = setTimeout(() => end(`no speak stop within ${boundMs} ms`), boundMs);
    const how = await ended;
    clearTimeout(bound);
    const endedAt = performance.now();
    this.pending = undefined;
    const error = how !== 'stopped' ? how : problem(pending, expected);
    const voiceToVoiceMs = pending.firstAudioAt === undefined ? undefined : pending.firstAudioAt - stoppedAt;
    if (voiceToVoiceMs !== undefined) this.send(JSON.stringify({ type: 'report', turn, timings: { voiceToVoiceMs: Math.round(voiceToVoiceMs) } }));
    return {
      turn,
      startedAt,
      stoppedAt,
      endedAt,
      voiceHeard: pending.firstAudioAt !== undefined,
      ...(error === undefined ? { voiceToVoiceMs } : { error }),
      ...(pending.metrics === undefined ? {} : { gateway: pending.metrics }),
    };
  }

  /** The connection is gone: no further turn can run. */
  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.close();
  }

  private send(data: string | Uint8Array): void {
    if (!this.closed) this.socket.send(data);
  }

  private audio(data: Buffer): void {
    const pending = this.pending;
    if (pending === undefined || pending.firstAudioAt !== undefined) return;
    const decoded = decodeAudioFrame(data);
    if (decoded.ok && decoded.frame.kind === AudioKind.Voice && decoded.frame.turn === pending.turn) pending.firstAudioAt = performance.now();
  }

  private message(text: string): void {
    const parsed = parseGatewayMessage(text);
    const pending = this.pending;
    if (!parsed.ok || pending === undefined) return;
    const message: GatewayMessage = parsed.message;
    if ('turn' in message && message.turn !== undefined && message.turn !== pending.turn) return;
    switch (message.type) {
      case 'transcript':
        pending.transcript = message.text;
        return;
      case 'reply':
        if (message.index === 0) pending.firstChunk = message.text;
        return;
      case 'metrics':
        pending.metrics = message.timings;
        return;
      case 'speak':
        if (message.state === 'stop') pending.end('stopped');
        return;
      case 'error':
        pending.end(`error ${message.code}: ${message.message}`);
        return;
      case 'abort':
        pending.end(`aborted by the gateway: ${message.reason}`);
        return;
      default:
        return;
    }
  }
}

function problem(pending: Pending, expected: ExpectedTurn): string | undefined {
  if (pending.firstAudioAt === undefined) return 'speak stop without a voice frame';
  if (pending.transcript !== expected.transcript) return `heard "${pending.transcript}", not "${expected.transcript}"`;
  if (pending.firstChunk !== expected.firstChunk) {
    if (pending.firstChunk === undefined || !expected.reply.startsWith(pending.firstChunk)) return `the toy said "${pending.firstChunk}" first, not the reply`;
    return `first chunk "${pending.firstChunk}", not "${expected.firstChunk}": the critical path assumed the wrong first chunk`;
  }
  if (pending.metrics === undefined) return 'no metrics before speak stop';
  return undefined;
}
