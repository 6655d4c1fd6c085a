import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { bytesFromPcm } from '../../../../audio/pcm-bytes.js';

/** What the fake answers to the next request that passes its wire checks. */
export type FakeElevenLabsReply =
  | {
      readonly kind: 'audio';
      /** Default: speechLikePcm for the request's text at the requested rate. */
      readonly pcm?: Int16Array;
      /** Extra bytes after the samples (a half sample, say). */
      readonly trailing?: Uint8Array;
      /** Sizes of the HTTP chunks, cycled; odd on purpose, so chunk boundaries split samples. */
      readonly chunkBytes?: readonly number[];
      /** Pause before each chunk after the first. */
      readonly delayMs?: number;
      /** Pause before the status line and headers. */
      readonly firstByteDelayMs?: number;
      /** After at least `afterBytes` bytes, send nothing more until `until` settles. */
      readonly hold?: { readonly afterBytes: number; readonly until: Promise<unknown> };
      /** Destroy the socket after this many body bytes, without the terminating chunk. */
      readonly cutAfterBytes?: number;
    }
  | { readonly kind: 'error'; readonly status: number; readonly body: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** Read the request, then never answer. */
  | { readonly kind: 'silent' };

/** How an answer ended: sent in full, cut by the fake on purpose, or closed by the client first. */
export type FakeEnding = 'finished' | 'server-cut' | 'client-closed';

export interface FakeElevenLabsRequest {
  readonly method: string;
  /** Without the query. */
  readonly path: string;
  readonly voiceId: string | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  readonly body: unknown;
  /** The status the fake answered, once it answered. */
  status: number | undefined;
  /** Body bytes written so far. */
  sentBytes: number;
  readonly ended: Promise<FakeEnding>;
}

export interface FakeElevenLabsOptions {
  /** The key it accepts; default 'fake-elevenlabs-key'. */
  readonly apiKey?: string;
  /** A path the API sits under, as behind a proxy ('/proxy/elevenlabs'). */
  readonly pathPrefix?: string;
}

// Every output_format the API lists; the fake can only produce the PCM ones.
const KNOWN_FORMATS = new Set([
  'mp3_22050_32', 'mp3_24000_48', 'mp3_44100_32', 'mp3_44100_64', 'mp3_44100_96', 'mp3_44100_128', 'mp3_44100_192',
  'pcm_8000', 'pcm_16000', 'pcm_22050', 'pcm_24000', 'pcm_32000', 'pcm_44100', 'pcm_48000',
  'ulaw_8000', 'alaw_8000', 'opus_48000_32', 'opus_48000_64', 'opus_48000_96', 'opus_48000_128', 'opus_48000_192',
]);
const DEFAULT_CHUNKS = [1, 333, 1021, 77, 4099];

/**
 * A loopback stand-in for ElevenLabs' `POST /v1/text-to-speech/{voice_id}/stream`: it checks
 * the request the way the API does (path, xi-api-key, output_format, a JSON body with text and
 * model_id), records it, and answers as scripted with chunked raw PCM or the API's error bodies.
 */
export class FakeElevenLabs {
  readonly apiKey: string;
  /** Base URL to hand the adapter, path prefix included. */
  readonly url: string;
  readonly requests: FakeElevenLabsRequest[] = [];
  /** TCP connections accepted: one for several requests means the client reused it. */
  connections = 0;
  private readonly replies: FakeElevenLabsReply[] = [];
  private readonly arrivals = new EventEmitter();

  private constructor(
    private readonly server: Server,
    private readonly prefix: string,
    apiKey: string,
  ) {
    this.apiKey = apiKey;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}${prefix}`;
  }

  static async start(options: FakeElevenLabsOptions = {}): Promise<FakeElevenLabs> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const fake = new FakeElevenLabs(server, (options.pathPrefix ?? '').replace(/\/+$/, ''), options.apiKey ?? 'fake-elevenlabs-key');
    server.on('connection', () => fake.connections++);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch(() => res.destroy());
    });
    return fake;
  }

  /** Queue answers for the next requests; once they run out, each request gets speech for its text. */
  reply(...replies: FakeElevenLabsReply[]): void {
    this.replies.push(...replies);
  }

  /** The `count`th request (from 1), once it has arrived. */
  async request(count: number): Promise<FakeElevenLabsRequest> {
    while (this.requests.length < count) await once(this.arrivals, 'request');
    return this.requests[count - 1] as FakeElevenLabsRequest;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/v1\/text-to-speech\/([^/]+)\/stream$/.exec(url.pathname.startsWith(this.prefix) ? url.pathname.slice(this.prefix.length) : '');
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    let cutByUs = false;
    const ended = new Promise<FakeEnding>((resolve) => {
      res.once('close', () => resolve(res.writableFinished ? 'finished' : cutByUs ? 'server-cut' : 'client-closed'));
    });
    ended.catch(() => {});
    const record: FakeElevenLabsRequest = {
      method: req.method ?? '',
      path: url.pathname,
      voiceId: match?.[1] === undefined ? undefined : decodeURIComponent(match[1]),
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      rawBody,
      body,
      status: undefined,
      sentBytes: 0,
      ended,
    };
    this.requests.push(record);
    this.arrivals.emit('request');

    const refusal = this.check(req, url, match, body);
    if (refusal !== undefined) return sendJson(res, record, refusal.status, refusal.body);
    const fields = body as { text: string };
    const format = url.searchParams.get('output_format') ?? '';
    const reply = this.replies.shift() ?? { kind: 'audio' };
    if (reply.kind === 'error') return sendJson(res, record, reply.status, reply.body, reply.headers);
    if (reply.kind === 'silent') return;

    if (reply.firstByteDelayMs) await sleep(reply.firstByteDelayMs);
    const rate = Number(format.slice('pcm_'.length));
    const pcm = bytesFromPcm(reply.pcm ?? speechLikePcm(fields.text, rate));
    const bytes = reply.trailing === undefined ? pcm : Buffer.concat([pcm, reply.trailing]);
    // No Content-Length: Node sends Transfer-Encoding: chunked, as ElevenLabs does.
    res.writeHead(200, { 'content-type': 'audio/pcm', 'request-id': `fake-${this.requests.length}` });
    record.status = 200;
    const sizes = reply.chunkBytes ?? DEFAULT_CHUNKS;
    let offset = 0;
    for (let i = 0; offset < bytes.length; i++) {
      if (res.destroyed) return;
      if (reply.hold !== undefined && offset >= reply.hold.afterBytes) {
        await Promise.race([reply.hold.until, ended]);
        if (res.destroyed) return;
      }
      let size = Math.max(1, sizes[i % sizes.length] ?? 1);
      if (reply.cutAfterBytes !== undefined) size = Math.min(size, reply.cutAfterBytes - offset);
      if (reply.hold !== undefined && offset < reply.hold.afterBytes) size = Math.min(size, reply.hold.afterBytes - offset);
      if (size <= 0) {
        cutByUs = true;
        this.cut(res);
        return;
      }
      if (i > 0) await (reply.delayMs ? sleep(reply.delayMs) : new Promise((resolve) => setImmediate(resolve)));
      if (res.destroyed) return;
      const piece = bytes.subarray(offset, offset + size);
      offset += piece.length;
      record.sentBytes = offset;
      if (!res.write(piece)) await Promise.race([once(res, 'drain'), ended]);
    }
    if (reply.cutAfterBytes !== undefined && offset >= reply.cutAfterBytes) {
      cutByUs = true;
      this.cut(res);
      return;
    }
    res.end();
  }

  /** Closes the connection after what was written so far, without the terminating chunk: a body cut short. */
  private cut(res: ServerResponse): void {
    res.socket?.end();
  }

  /** The API's own refusals, in its shapes: FastAPI's `{detail}` and ElevenLabs' `{detail:{status,message}}`. */
  private check(req: IncomingMessage, url: URL, match: RegExpExecArray | null, body: unknown): { status: number; body: unknown } | undefined {
    if (match === null) return { status: 404, body: { detail: 'Not Found' } };
    if (req.method !== 'POST') return { status: 405, body: { detail: 'Method Not Allowed' } };
    const key = req.headers['xi-api-key'];
    if (key === undefined) {
      return { status: 401, body: { detail: { status: 'needs_authorization', message: 'Neither authorization header nor xi-api-key received, please provide one.' } } };
    }
    if (key !== this.apiKey) return { status: 401, body: { detail: { status: 'invalid_api_key', message: 'Invalid API key' } } };
    const format = url.searchParams.get('output_format');
    if (format !== null && !KNOWN_FORMATS.has(format)) {
      return { status: 422, body: { detail: [{ type: 'enum', loc: ['query', 'output_format'], msg: `Input should be one of the listed formats`, input: format }] } };
    }
    if (format === null || !format.startsWith('pcm_')) {
      // The real API would default to mp3_44100_128; the fake speaks only raw PCM.
      return { status: 400, body: { detail: { status: 'fake_unsupported_format', message: `the fake only produces pcm_*, got ${format ?? 'the mp3 default'}` } } };
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json') || typeof body !== 'object' || body === null) {
      return { status: 422, body: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} }] } };
    }
    // The API defaults model_id; the fake insists on it, so an adapter that drops it is caught.
    for (const field of ['text', 'model_id']) {
      if (typeof (body as Record<string, unknown>)[field] !== 'string') {
        return { status: 422, body: { detail: [{ type: 'missing', loc: ['body', field], msg: 'Field required', input: body }] } };
      }
    }
    return undefined;
  }
}

function sendJson(res: ServerResponse, record: FakeElevenLabsRequest, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  record.status = status;
  res.end(text);
}

/**
 * Deterministic audio that passes for speech in length and level: a voiced buzz (150 Hz and two
 * harmonics) shaped into syllables at 4 per second, about 65 ms per character of text. The signal
 * repeats every half second, so one period is computed and tiled: long texts stay cheap.
 */
export function speechLikePcm(text: string, sampleRate: number): Int16Array {
  const seconds = Math.min(60, 0.25 + 0.065 * text.length);
  const period = new Int16Array(Math.round(sampleRate / 2));
  for (let i = 0; i < period.length; i++) {
    const t = i / sampleRate;
    const envelope = 0.25 + 0.75 * Math.abs(Math.sin(Math.PI * 4 * t));
    const voice = Math.sin(2 * Math.PI * 150 * t) + 0.5 * Math.sin(2 * Math.PI * 300 * t) + 0.25 * Math.sin(2 * Math.PI * 450 * t);
    period[i] = Math.round(7000 * envelope * voice);
  }
  const out = new Int16Array(Math.round(seconds * sampleRate));
  for (let at = 0; at < out.length; at += period.length) out.set(period.subarray(0, Math.min(period.length, out.length - at)), at);
  return out;
}
