import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One segment of a verbose_json answer, as whisper-1 sends it. */
export interface FakeSegment {
  readonly text: string;
  readonly avg_logprob: number;
  readonly no_speech_prob: number;
  readonly tokens?: readonly number[];
}

/** What the fake answers to the next request. */
export type FakeAnswer =
  /** A transcript: JSON, verbose_json or a stream of deltas, whichever the request asked for. */
  | { readonly text: string; readonly segments?: readonly FakeSegment[]; readonly deltas?: readonly string[]; readonly holdDone?: Promise<void> }
  /** An HTTP failure; the body defaults to the API's error shape. */
  | { readonly status: number; readonly message?: string; readonly body?: string; readonly headers?: Readonly<Record<string, string>> }
  /** A stream that stops after some deltas: `destroy` cuts the socket, otherwise it ends cleanly without done. */
  | { readonly streamDeltas: readonly string[]; readonly then: 'destroy' | 'end' }
  /** Takes the request and never answers. */
  | { readonly hang: true };

export interface FakeFile {
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string;
  /** Text fields by name (the last value when repeated). */
  readonly fields: Readonly<Record<string, string>>;
  readonly file: FakeFile | undefined;
  /** What the fake found wrong with the request; a request with problems got an HTTP 400. */
  readonly problems: readonly string[];
}

/** The formats the API accepts, by file name extension (it goes by the name, then the bytes). */
const EXTENSIONS = ['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm'];
const MAX_BODY = 26 * 1024 * 1024; // the API's 25 MB limit, and a little

/**
 * A loopback stand-in for POST {base}/audio/transcriptions that speaks the documented wire
 * format: bearer key, multipart/form-data with file, model, language, prompt, response_format
 * and stream; answers as JSON, verbose_json or server-sent events (transcript.text.delta and
 * transcript.text.done), and errors as {"error":{message,type,param,code}}. Every request is
 * recorded; answers are scripted one per request, with a default for the rest.
 */
export class FakeOpenAiTranscriptions {
  readonly requests: RecordedRequest[] = [];
  /** performance.now() when each stream's events were written, for timing assertions. */
  readonly eventsWrittenAt: number[][] = [];
  defaultAnswer: FakeAnswer = { text: 'Hello.' };
  private readonly answers: FakeAnswer[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly open = new Set<ServerResponse>();
  private readonly waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly apiKey: string,
    readonly baseUrl: string,
    private readonly basePath: string,
  ) {}

  /** Listens on 127.0.0.1, port 0. `basePath` is where the API lives on it ('/v1', or '/proxy/v1'). */
  static async start(options: { apiKey: string; basePath?: string }): Promise<FakeOpenAiTranscriptions> {
    const basePath = (options.basePath ?? '/v1').replace(/\/$/, '');
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const fake = new FakeOpenAiTranscriptions(server, options.apiKey, `http://127.0.0.1:${address.port}${basePath}`, basePath);
    server.on('connection', (socket: Socket) => {
      fake.sockets.add(socket);
      socket.once('close', () => fake.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: unknown) => {
        response.destroy(error as Error);
      });
    });
    return fake;
  }

  /** Queues answers for the next requests, in order. */
  answer(...answers: FakeAnswer[]): void {
    this.answers.push(...answers);
  }

  /** Requests whose response has not finished or been torn down yet. */
  get openRequests(): number {
    return this.open.size;
  }

  /** Resolves once `count` requests have been recorded. */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once no request is open, i.e. every connection with one in flight was closed. */
  async waitUntilIdle(): Promise<void> {
    while (this.open.size > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.open.add(response);
    response.once('close', () => {
      this.open.delete(response);
      this.wake();
    });
    const body = await readBody(request);
    const contentType = request.headers['content-type'] ?? '';
    const path = (request.url ?? '').split('?')[0] ?? '';
    const problems: string[] = [];
    let fields: Record<string, string> = {};
    let file: FakeFile | undefined;
    const expectedPath = `${this.basePath}/audio/transcriptions`;
    if (request.method !== 'POST' || path !== expectedPath) {
      problems.push(`expected POST ${expectedPath}, got ${request.method} ${path}`);
    } else if (request.headers.authorization !== `Bearer ${this.apiKey}`) {
      problems.push('unauthorized');
    } else {
      try {
        ({ fields, file } = parseForm(contentType, body));
        problems.push(...checkForm(fields, file));
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    this.requests.push({ method: request.method ?? '', path, authorization: request.headers.authorization, contentType, fields, file, problems });
    this.wake();

    if (problems[0]?.startsWith('expected POST')) return sendError(response, 404, `Invalid URL (${request.method} ${path})`, 'invalid_request_error', null);
    if (problems[0] === 'unauthorized') {
      // The real API quotes the start and end of the key it was given.
      const given = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      const quoted = given.length > 8 ? `${given.slice(0, 3)}*****${given.slice(-4)}` : given;
      return sendError(response, 401, `Incorrect API key provided: ${quoted}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
    }
    if (problems.length > 0) return sendError(response, 400, problems.join('; '), 'invalid_request_error', null);

    const answer = this.answers.shift() ?? this.defaultAnswer;
    const stream = fields.stream === 'true' && fields.model !== 'whisper-1';
    if ('hang' in answer) return;
    if ('status' in answer) {
      response.writeHead(answer.status, { 'content-type': answer.body === undefined ? 'application/json' : 'text/plain', ...answer.headers });
      response.end(answer.body ?? errorBody(answer.message ?? 'The server had an error while processing your request.', answer.status >= 500 ? 'server_error' : 'invalid_request_error', null));
      return;
    }
    if ('streamDeltas' in answer) {
      const written = this.startEvents(response);
      for (const delta of answer.streamDeltas) writeEvent(response, written, { type: 'transcript.text.delta', delta });
      if (answer.then === 'destroy') {
        // Once the deltas have left, the connection dies mid-answer.
        response.write('', () => response.socket?.destroy());
      } else {
        response.end();
      }
      return;
    }
    if (stream) {
      const written = this.startEvents(response);
      for (const delta of answer.deltas ?? wordsOf(answer.text)) writeEvent(response, written, { type: 'transcript.text.delta', delta });
      await answer.holdDone;
      writeEvent(response, written, { type: 'transcript.text.done', text: answer.text, usage: { type: 'tokens', input_tokens: 40, output_tokens: 5, total_tokens: 45 } });
      response.end();
      return;
    }
    const seconds = 1.5;
    const json =
      fields.response_format === 'verbose_json'
        ? { task: 'transcribe', language: 'english', duration: seconds, text: answer.text, segments: verboseSegments(answer), usage: { type: 'duration', seconds: 2 } }
        : { text: answer.text, usage: fields.model === 'whisper-1' ? { type: 'duration', seconds: 2 } : { type: 'tokens', input_tokens: 40, output_tokens: 5, total_tokens: 45 } };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(json));
  }

  private startEvents(response: ServerResponse): number[] {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const written: number[] = [];
    this.eventsWrittenAt.push(written);
    return written;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** multipart/form-data (RFC 7578): parts between "--boundary" lines, each with its own headers. */
function parseForm(contentType: string, body: Buffer): { fields: Record<string, string>; file: FakeFile | undefined } {
  const match = /^multipart\/form-data;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw new Error(`expected multipart/form-data with a boundary, got "${contentType}"`);
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string> = {};
  let file: FakeFile | undefined;
  let at = body.indexOf(delimiter);
  if (at !== 0) throw new Error('the body does not start with the boundary');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') break; // the closing delimiter
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') throw new Error('a boundary line does not end in CRLF');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), at);
    if (next < 0) throw new Error('a part has no closing boundary');
    const part = body.subarray(at + 2, next);
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) throw new Error('a part has no blank line after its headers');
    const headers = new Map<string, string>();
    for (const line of part.subarray(0, split).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get('content-disposition') ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
    if (!/^form-data\b/.test(disposition) || name === undefined) throw new Error(`a part is not form-data with a name: "${disposition}"`);
    const content = part.subarray(split + 4);
    if (filename !== undefined) {
      if (name !== 'file') throw new Error(`unexpected file field "${name}"`);
      file = { filename, contentType: headers.get('content-type') ?? '', bytes: Buffer.from(content) };
    } else {
      fields[name] = content.toString('utf8');
    }
    at = next + 2;
  }
  return { fields, file };
}

function checkForm(fields: Record<string, string>, file: FakeFile | undefined): string[] {
  const problems: string[] = [];
  if (!fields.model) problems.push('model is required');
  if (file === undefined) {
    problems.push('file is required');
    return problems;
  }
  const extension = /\.([a-z0-9]+)$/i.exec(file.filename)?.[1]?.toLowerCase() ?? '';
  if (!EXTENSIONS.includes(extension)) problems.push(`Unrecognized file format. Supported formats: ${JSON.stringify(EXTENSIONS)}`);
  const magic = file.bytes.toString('latin1', 0, 4);
  const expected = magic === 'OggS' ? 'audio/ogg' : magic === 'RIFF' ? 'audio/wav' : undefined;
  if (expected === undefined) problems.push(`the file starts with neither OggS nor RIFF: ${JSON.stringify(magic)}`);
  else if (file.contentType !== expected) problems.push(`the file's content type is "${file.contentType}" but its bytes are ${expected}`);
  else if (extension !== expected.slice('audio/'.length)) problems.push(`the file is named ${file.filename} but holds ${expected}`);
  const gpt = fields.model?.startsWith('gpt-4o') === true;
  if (gpt && fields.response_format !== undefined && fields.response_format !== 'json') {
    problems.push(`response_format '${fields.response_format}' is not compatible with model '${fields.model}'. Use 'json' or 'text' instead.`);
  }
  if (fields.stream !== undefined && fields.stream !== 'true' && fields.stream !== 'false') problems.push(`stream must be a boolean, got ${fields.stream}`);
  return problems;
}

function verboseSegments(answer: { text: string; segments?: readonly FakeSegment[] }): object[] {
  const segments = answer.segments ?? [{ text: answer.text, avg_logprob: -0.2, no_speech_prob: 0.01, tokens: [1, 2, 3] }];
  return segments.map((segment, id) => ({
    id,
    seek: 0,
    start: id,
    end: id + 1,
    text: segment.text,
    tokens: segment.tokens ?? [1],
    temperature: 0,
    avg_logprob: segment.avg_logprob,
    compression_ratio: 1.1,
    no_speech_prob: segment.no_speech_prob,
  }));
}

function wordsOf(text: string): string[] {
  return text.split(/(?=\s)/).filter((word) => word !== '');
}

function writeEvent(response: ServerResponse, written: number[], event: object): void {
  response.write(`data: ${JSON.stringify(event)}\n\n`);
  written.push(performance.now());
}

function errorBody(message: string, type: string, code: string | null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

function sendError(response: ServerResponse, status: number, message: string, type: string, code: string | null): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(errorBody(message, type, code));
}
