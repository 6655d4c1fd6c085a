import { once } from 'node:events';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { AudioKind, PROTOCOL_VERSION, UPLINK_AUDIO, decodeAudioFrame, parseGatewayMessage } from '../../../protocol/index.js';
import { FUZZ_ENDINGS, MAX_PAYLOAD_BYTES, refusedHello, type FuzzFrame, type FuzzScript } from './fuzz-script.js';

export interface FuzzConnection {
  readonly url: string;
  /** The loopback address this connection comes from (127.0.0.2 and up), so per-address limits apply as they do to strangers. */
  readonly localAddress: string;
  /** A registered device and its secret: an authenticated script says hello as it; a wrong_secret ending names it. */
  readonly deviceId: string;
  readonly secret: string;
  /** Frames a flood sends: enough to pass the gateway's burst and its second of forgiven drops. */
  readonly floodFrames: number;
  /** An authenticated script waits for a pong after this many frames, so it reads at the pace the gateway answers. */
  readonly barrierEvery: number;
  /** Longest wait for any one answer (welcome, pong, the close): past it the gateway counts as stuck. */
  readonly boundMs: number;
}

/** What one fuzzing connection saw. */
export interface FuzzOutcome {
  readonly framesSent: number;
  /** The close code this client saw; undefined when the upgrade was refused. */
  readonly closeCode: number | undefined;
  /** The HTTP status of a refused upgrade (503 at capacity, or an admission limit). */
  readonly refusedStatus?: number;
  readonly welcomed: boolean;
  /** Messages received (text and audio), all of which were in the protocol. */
  readonly received: number;
  /** Anything outside the contract: a message that does not parse, audio before welcome, a close code not documented for the ending, a stuck answer. */
  readonly problems: readonly string[];
}

/** Runs one FuzzScript on a connection of its own; never throws for what the gateway does (that goes into problems). */
export async function runFuzzScript(script: FuzzScript, c: FuzzConnection): Promise<FuzzOutcome> {
  const problems: string[] = [];
  let framesSent = 0;
  let received = 0;
  let welcomed = false;
  let refusedStatus: number | undefined;
  const pongs = new Map<number, () => void>();
  let onWelcome: (() => void) | undefined;
  const socket = new WebSocket(c.url, { perMessageDeflate: false, localAddress: c.localAddress, maxPayload: 1 << 20, handshakeTimeout: c.boundMs });
  socket.on('unexpected-response', (_request, response) => {
    refusedStatus = response.statusCode;
    response.resume();
    socket.terminate();
  });
  socket.on('error', () => {});
  let closeCode: number | undefined;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', (code) => {
      closeCode = code;
      resolve();
    }),
  );
  socket.on('message', (data: Buffer, binary) => {
    received++;
    if (binary) {
      const frame = decodeAudioFrame(data);
      if (!welcomed) problems.push(`audio frame of ${data.length} bytes before welcome`);
      else if (!frame.ok || frame.frame.kind !== AudioKind.Voice) problems.push(`binary frame outside the protocol: ${frame.ok ? `kind ${frame.frame.kind}` : frame.error.message}`);
      return;
    }
    const parsed = parseGatewayMessage(data.toString());
    if (!parsed.ok) return void problems.push(`text outside the protocol (${parsed.error.message}): ${data.toString().slice(0, 120)}`);
    const m = parsed.message;
    if (m.type === 'welcome') {
      if (!script.authenticated) problems.push('welcome for a hello that should be refused');
      welcomed = true;
      onWelcome?.();
    } else if (m.type === 'pong') pongs.get(m.id)?.();
  });

  const isOpen = () => socket.readyState === WebSocket.OPEN;
  const send = (frame: FuzzFrame) => {
    if (!isOpen()) return false;
    socket.send(frame, { binary: typeof frame !== 'string' });
    framesSent++;
    return true;
  };
  /** Resolves true when `arrived` is called, false when the socket closes or the bound passes. */
  const waitFor = (register: (arrived: () => void) => void) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), c.boundMs);
      register(() => {
        clearTimeout(timer);
        resolve(true);
      });
      void closed.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  const finish = async (): Promise<FuzzOutcome> => {
    const timer = setTimeout(() => {
      problems.push(`still open ${c.boundMs} ms after its ending '${script.ending}'`);
      socket.terminate();
    }, c.boundMs + 1000);
    await closed;
    clearTimeout(timer);
    return { framesSent, closeCode, ...(refusedStatus === undefined ? {} : { refusedStatus }), welcomed, received, problems };
  };

  const opened = await Promise.race([once(socket, 'open').then(() => true), closed.then(() => false)]);
  if (!opened) return finish();

  if (script.authenticated) {
    const welcome = waitFor((arrived) => (onWelcome = arrived));
    const capabilities = script.handsFree ? ['barge_in', 'hands_free'] : ['barge_in'];
    send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId: c.deviceId, secret: c.secret, firmware: 'fuzz', audio: UPLINK_AUDIO, capabilities }));
    if (!(await welcome)) {
      problems.push(`no welcome for ${c.deviceId} (close ${closeCode ?? 'none yet'})`);
      socket.terminate();
      return finish();
    }
  }

  let ping = 1;
  for (let i = 0; i < script.frames.length; i++) {
    if (!send(script.frames[i] as FuzzFrame)) break;
    if ((i + 1) % c.barrierEvery !== 0) continue;
    if (script.authenticated) {
      const id = ping++;
      const pong = waitFor((arrived) => pongs.set(id, arrived));
      send(JSON.stringify({ type: 'ping', id }));
      const answered = await pong;
      pongs.delete(id);
      if (!answered && isOpen()) problems.push(`no pong within ${c.boundMs} ms, ${framesSent} frames in`);
      if (!answered) break;
    } else {
      // Before hello a ping would end the connection: let the socket drain instead.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (!isOpen()) {
    problems.push(`closed (${closeCode ?? 'none'}) before its ending '${script.ending}', ${framesSent} frames in`);
    return finish();
  }
  const replacement = script.ending === 'replaced' ? await replace(c, problems) : undefined;
  await end(script, c, socket, send);
  const outcome = await finish();
  if (replacement !== undefined) {
    const gone = once(replacement, 'close');
    replacement.close(1000, 'fuzz done');
    await gone;
  }
  const expected: readonly number[] = FUZZ_ENDINGS[script.ending].closes;
  if (outcome.closeCode !== undefined && !expected.includes(outcome.closeCode)) problems.push(`ending '${script.ending}' closed with ${outcome.closeCode}, not ${expected.join(' or ')}`);
  return outcome;
}

/** A second connection of the same device, welcomed: the gateway closes the first one for it. */
async function replace(c: FuzzConnection, problems: string[]): Promise<WebSocket> {
  const second = new WebSocket(c.url, { perMessageDeflate: false, localAddress: c.localAddress, handshakeTimeout: c.boundMs });
  second.on('error', () => {});
  try {
    const signal = AbortSignal.timeout(c.boundMs);
    await once(second, 'open', { signal });
    const welcome = once(second, 'message', { signal });
    second.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId: c.deviceId, secret: c.secret, firmware: 'fuzz', audio: UPLINK_AUDIO, capabilities: [] }));
    const [data] = (await welcome) as [Buffer];
    const parsed = parseGatewayMessage(data.toString());
    if (!parsed.ok || parsed.message.type !== 'welcome') problems.push(`the replacing connection got ${data.toString().slice(0, 120)}, not a welcome`);
  } catch (error) {
    problems.push(`the replacing connection failed: ${(error as Error).message}`);
  }
  return second;
}

async function end(script: FuzzScript, c: FuzzConnection, socket: WebSocket, send: (frame: FuzzFrame) => boolean): Promise<void> {
  switch (script.ending) {
    case 'hello_timeout':
    case 'replaced':
      return;
    case 'not_hello':
      send(JSON.stringify({ type: 'listen', state: 'start', turn: 1, mode: 'push' }));
      return;
    case 'audio_before_hello':
      send(new Uint8Array([AudioKind.Microphone, 0, 0, 1, 0, 0, 0, 0, 0xf8, 0xff, 0xfe]));
      return;
    case 'wrong_secret':
    case 'unknown_device':
    case 'bad_version':
    case 'bad_audio':
      send(refusedHello(script.ending, c.deviceId));
      return;
    case 'oversized':
      send(new Uint8Array(MAX_PAYLOAD_BYTES + 1));
      return;
    case 'bad_utf8':
      // A text frame whose bytes are not UTF-8.
      if (socket.readyState === WebSocket.OPEN) socket.send(Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]), { binary: false });
      return;
    case 'flood': {
      const frame = script.authenticated ? '{"type":"pong","id":1}' : '{"type":';
      for (let i = 0; i < c.floodFrames; i++) if (!send(frame)) return;
      return;
    }
    case 'client_close':
      socket.close(1000, 'fuzz done');
      return;
    case 'reset':
      socket.terminate();
      return;
    case 'half_frame': {
      // A masked text frame announcing 1000 bytes, of which 10 are sent: the gateway is left waiting for the rest.
      const raw = (socket as unknown as { _socket: Socket })._socket;
      raw.write(Buffer.concat([Buffer.from([0x81, 0x80 | 126, 0x03, 0xe8, 1, 2, 3, 4]), Buffer.alloc(10, 0x41)]));
      await new Promise((resolve) => setImmediate(resolve));
      raw.destroy();
      return;
    }
  }
}
