import { once } from 'node:events';
import WebSocket from 'ws';
import { AudioKind, PROTOCOL_VERSION, UPLINK_AUDIO, decodeAudioFrame, encodeAudioFrame, parseGatewayMessage } from '../../../protocol/index.js';

/** How one of the legitimate device's turns went. */
export interface LegitTurn {
  readonly turn: number;
  /** Voice frames of this turn that arrived before its speak stop. */
  readonly voiceFrames: number;
  /** Set when the turn did not end with speak stop after some voice. */
  readonly error?: string;
}

/**
 * A well-behaved toy beside the fuzzers, from an address of its own: it says hello and takes
 * push-to-talk turns of real Opus frames, and a turn counts as played when its voice arrived and
 * speak stop followed.
 */
export class LegitDevice {
  private turnNumber = 0;
  private listener: ((data: Buffer, binary: boolean) => void) | undefined;
  private closedWith: number | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, binary) => this.listener?.(data, binary));
    socket.on('close', (code) => {
      this.closedWith = code;
      this.listener?.(Buffer.alloc(0), false);
    });
    socket.on('error', () => {});
  }

  static async connect(url: string, o: { deviceId: string; secret: string; localAddress: string; boundMs: number }): Promise<LegitDevice> {
    const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024, localAddress: o.localAddress });
    const signal = AbortSignal.timeout(o.boundMs);
    await once(socket, 'open', { signal });
    const welcome = once(socket, 'message', { signal });
    socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId: o.deviceId, secret: o.secret, firmware: 'legit', audio: UPLINK_AUDIO, capabilities: [] }));
    const [data] = (await welcome) as [Buffer];
    const parsed = parseGatewayMessage(data.toString());
    if (!parsed.ok || parsed.message.type !== 'welcome') throw new Error(`${o.deviceId}: no welcome: ${data.toString().slice(0, 200)}`);
    return new LegitDevice(socket);
  }

  /** The close code, once the gateway or the device closed the connection. */
  get closeCode(): number | undefined {
    return this.closedWith;
  }

  /** One turn: listen start, the frames, listen stop, then the answer until speak stop (or an error, or the bound). */
  async turn(uplink: readonly Uint8Array[], boundMs: number): Promise<LegitTurn> {
    const turn = (this.turnNumber % 65_535) + 1;
    this.turnNumber++;
    if (this.closedWith !== undefined) return { turn, voiceFrames: 0, error: `connection closed (${this.closedWith})` };
    let voiceFrames = 0;
    const ended = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(`no speak stop within ${boundMs} ms`), boundMs);
      const done = (error: string | undefined) => {
        clearTimeout(timer);
        resolve(error);
      };
      this.listener = (data, binary) => {
        if (this.closedWith !== undefined) return done(`connection closed (${this.closedWith})`);
        if (binary) {
          const frame = decodeAudioFrame(data);
          if (frame.ok && frame.frame.kind === AudioKind.Voice && frame.frame.turn === turn) voiceFrames++;
          return;
        }
        const parsed = parseGatewayMessage(data.toString());
        if (!parsed.ok) return done(`a message outside the protocol: ${parsed.error.message}`);
        const m = parsed.message;
        if (m.type === 'speak' && m.state === 'stop' && m.turn === turn) done(voiceFrames > 0 ? undefined : 'speak stop without voice');
        else if (m.type === 'error' && m.turn === turn) done(`error ${m.code}`);
        else if (m.type === 'abort' && m.turn === turn) done(`aborted: ${m.reason}`);
      };
    });
    this.socket.send(JSON.stringify({ type: 'listen', state: 'start', turn, mode: 'push' }));
    uplink.forEach((payload, sequence) => this.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn, sequence, payload })));
    this.socket.send(JSON.stringify({ type: 'listen', state: 'stop', turn, mode: 'push' }));
    const error = await ended;
    this.listener = undefined;
    return { turn, voiceFrames, ...(error === undefined ? {} : { error }) };
  }

  async close(): Promise<void> {
    if (this.closedWith !== undefined) return;
    const closed = once(this.socket, 'close');
    this.socket.close(1000, 'done');
    await closed;
  }
}
