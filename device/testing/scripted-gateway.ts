import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { createOpusEncoder } from '../../audio/opus-codec.js';
import {
  AudioKind,
  DOWNLINK_AUDIO,
  PROTOCOL_VERSION,
  decodeAudioFrame,
  encodeAudioFrame,
  parseDeviceMessage,
  type DeviceMessage,
  type GatewayMessage,
  type ToySettings,
} from '../../protocol/index.js';

export interface ScriptedGatewayOptions {
  readonly toy?: Omit<ToySettings, 'name' | 'locked'> & { readonly locked?: boolean };
  /** Amplitude of the tone voice() sends. Default 8000. */
  readonly amplitude?: number;
}

/** A microphone frame as the gateway received it; `after` is how many messages had arrived before it. */
export interface ReceivedFrame {
  readonly turn: number;
  readonly sequence: number;
  readonly after: number;
  /** The Opus packet's size: with discontinuous transmission silence takes a few bytes, speech tens. */
  readonly bytes: number;
}

export interface ScriptedGateway {
  readonly url: string;
  /** Every message the device sent, in order. */
  readonly messages: readonly DeviceMessage[];
  /** Every microphone frame the device sent, in order. */
  readonly micFrames: readonly ReceivedFrame[];
  send(message: GatewayMessage): void;
  /** Cuts the device's connection, as a network that drops would. */
  drop(): void;
  /** Resolves once the device has handled everything sent before (a ping it answers). */
  flush(): Promise<void>;
  /** `frames` frames of a tone as the voice of `turn`, from sequence `from`. */
  voice(turn: number, frames: number, from?: number): void;
  /** Resolves once the device has sent a message that matches (at once if it already has). */
  received(match: (m: DeviceMessage) => boolean): Promise<void>;
  /** Resolves once the device has sent `count` microphone frames that match (counting those already sent). */
  frames(match: (f: ReceivedFrame) => boolean, count?: number): Promise<void>;
}

/**
 * A gateway for device tests, over a real WebSocket on port 0: it welcomes the device, records
 * what it sends, and otherwise answers only what the test tells it to.
 */
export async function scriptedGateway(t: { teardown: (fn: () => void) => void }, options: ScriptedGatewayOptions = {}): Promise<ScriptedGateway> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const messages: DeviceMessage[] = [];
  const micFrames: ReceivedFrame[] = [];
  let socket: WebSocket | undefined;
  let pings = 0;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const until = (done: () => boolean) =>
    done()
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const waiter = () => {
            if (!done()) return;
            waiters.delete(waiter);
            resolve();
          };
          waiters.add(waiter);
        });
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data, binary) => {
      if (binary) {
        const frame = decodeAudioFrame(data as Buffer);
        if (frame.ok && frame.frame.kind === AudioKind.Microphone) micFrames.push({ turn: frame.frame.turn, sequence: frame.frame.sequence, after: messages.length, bytes: frame.frame.payload.length });
        return wake();
      }
      const parsed = parseDeviceMessage(data.toString());
      if (!parsed.ok) return;
      const message = parsed.message;
      messages.push(message);
      if (message.type === 'hello') {
        ws.send(
          JSON.stringify({
            type: 'welcome',
            version: PROTOCOL_VERSION,
            sessionId: 's',
            audio: DOWNLINK_AUDIO,
            toy: { name: 'Pommai', locked: false, ...(options.toy ?? { volume: 50, maxVolume: 80 }) },
            heartbeat: { intervalMs: 5000, timeoutMs: 5000 },
          }),
        );
      }
      wake();
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
    send: (message) => socket!.send(JSON.stringify(message)),
    drop: () => socket?.terminate(),
    flush: () => {
      const id = ++pings;
      socket!.send(JSON.stringify({ type: 'ping', id }));
      return until(() => messages.some((m) => m.type === 'pong' && m.id === id));
    },
    voice: (turn, frames, from = 0) => {
      for (let sequence = from; sequence < from + frames; sequence++) socket!.send(encodeAudioFrame({ kind: AudioKind.Voice, turn, sequence, payload: encoder.encode(tone) }));
    },
    received: (match) => until(() => messages.some(match)),
    frames: (match, count = 1) => until(() => micFrames.filter(match).length >= count),
  };
}
