import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the fake answers one request. */
export type ChatAnswer = StreamAnswer | FailAnswer | { readonly kind: 'hang' };

export interface StreamAnswer {
  readonly kind: 'stream';
  /** The answer's text pieces, one `delta.content` chunk each. */
  readonly pieces: readonly string[];
  /** OpenRouter `delta.reasoning` chunks sent before the answer: a client must never pass them on. */
  readonly reasoning?: readonly string[];
  /** Send OpenRouter's keep-alive comment `: OPENROUTER PROCESSING` before every chunk. */
  readonly comments?: boolean;
  /** Pause before every chunk after the first (ms); 0 writes as fast as the socket takes it. */
  readonly delayMs?: number;
  /** The final chunk's finish_reason; null leaves it out (a stream that was cut off upstream). */
  readonly finishReason?: string | null;
  /** After this many pieces: `destroy` the socket, `stall` (keep it open, send nothing more), or send an `error` chunk and end. */
  readonly after?: { readonly pieces: number; readonly then: 'destroy' | 'stall' | 'error' };
  /** The `error` of a mid-stream error chunk, OpenRouter's shape. */
  readonly error?: { readonly code: string | number; readonly message: string };
}

export interface FailAnswer {
  readonly kind: 'fail';
  readonly status: number;
  /** A JSON body (serialised) or raw text. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  /** What the fake found wrong with the request; answered with HTTP 400 when not empty. */
  readonly problems: readonly string[];
  /** `finished`: the whole answer went out; `closed`: the client let go of the connection first. */
  readonly ended: Promise<'finished' | 'closed'>;
}

export interface FakeChatCompletionsOptions {
  /** The API key every request must carry as `Authorization: Bearer`; null for a keyless local server, which then refuses any Authorization header. */
  readonly apiKey?: string | null;
  /** The base URL's path, as in `https://openrouter.ai/api/v1` (default `/v1`). */
  readonly basePath?: string;
  /** The answer to each request: fixed, or chosen from the request (by model, by count). */
  readonly answer?: ChatAnswer | ((request: RecordedRequest, index: number) => ChatAnswer);
}

const DEFAULT_ANSWER: ChatAnswer = { kind: 'stream', pieces: ['Hello', ' there', '! ', 'I love carrots.'] };

/**
 * A loopback server speaking the OpenAI chat completions wire format as OpenRouter serves it:
 * `POST {base}/chat/completions` with `stream: true` answered by server-sent events, one
 * `chat.completion.chunk` per `data:` line, a final chunk with finish_reason, a usage chunk,
 * then `data: [DONE]`; errors as `{"error":{"code","message"}}` bodies or mid-stream chunks.
 */
export class FakeChatCompletions {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly apiKey: string | null;
  private readonly basePath: string;
  private answer: NonNullable<FakeChatCompletionsOptions['answer']>;

  private constructor(server: Server, options: FakeChatCompletionsOptions) {
    this.server = server;
    this.apiKey = options.apiKey === undefined ? 'sk-or-test-key' : options.apiKey;
    this.basePath = (options.basePath ?? '/v1').replace(/\/$/, '');
    this.answer = options.answer ?? DEFAULT_ANSWER;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => void this.handle(req, res));
  }

  static async start(options: FakeChatCompletionsOptions = {}): Promise<FakeChatCompletions> {
    const server = createServer();
    const fake = new FakeChatCompletions(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The base URL a client is given, e.g. `http://127.0.0.1:41234/v1`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.basePath}`;
  }

  /** The key the fake expects, so a test can check it never leaks. */
  get key(): string | null {
    return this.apiKey;
  }

  /** Changes how later requests are answered. */
  answerWith(answer: NonNullable<FakeChatCompletionsOptions['answer']>): void {
    this.answer = answer;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let markEnded!: (how: 'finished' | 'closed') => void;
    const ended = new Promise<'finished' | 'closed'>((resolve) => (markEnded = resolve));
    res.on('close', () => markEnded(res.writableFinished ? 'finished' : 'closed'));
    const raw = await readBody(req);
    const problems: string[] = [];
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      problems.push('body is not JSON');
    }
    const path = req.url ?? '';
    problems.push(...this.check(req, path, body));
    const request: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, body, problems, ended };
    const index = this.requests.push(request) - 1;
    if (problems.length > 0) return sendJson(res, 400, { error: { code: 400, message: problems.join('; ') } });
    if (req.headers.authorization !== undefined && this.apiKey !== null && req.headers.authorization !== `Bearer ${this.apiKey}`) {
      // OpenAI's own 401 echoes part of the key; echoing all of it tests that clients keep it out of errors.
      return sendJson(res, 401, { error: { code: 401, message: `Incorrect API key provided: ${req.headers.authorization.slice(7)}` } });
    }
    const answer = typeof this.answer === 'function' ? this.answer(request, index) : this.answer;
    if (answer.kind === 'hang') return;
    if (answer.kind === 'fail') {
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? { error: { code: answer.status, message: 'fake failure' } });
      res.writeHead(answer.status, { 'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json', ...answer.headers });
      res.end(text);
      return;
    }
    await this.stream(res, String(body.model), answer);
  }

  private check(req: IncomingMessage, path: string, body: Record<string, unknown>): string[] {
    const problems: string[] = [];
    if (req.method !== 'POST') problems.push(`method ${req.method}, expected POST`);
    if (path !== `${this.basePath}/chat/completions`) problems.push(`path ${path}, expected ${this.basePath}/chat/completions`);
    if (!String(req.headers['content-type']).startsWith('application/json')) problems.push(`content-type ${req.headers['content-type']}`);
    const authorization = req.headers.authorization;
    if (this.apiKey === null && authorization !== undefined) problems.push('a keyless server got an Authorization header');
    if (this.apiKey !== null && !authorization?.startsWith('Bearer ')) problems.push('no Authorization: Bearer header');
    if (typeof body.model !== 'string' || body.model === '') problems.push('no model');
    if (body.stream !== true) problems.push('stream is not true');
    if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) <= 0) problems.push('no positive max_tokens');
    const messages = body.messages;
    const valid = (m: { role?: unknown; content?: unknown }) => ['system', 'user', 'assistant'].includes(String(m?.role)) && typeof m?.content === 'string';
    if (!Array.isArray(messages) || messages.length === 0 || !messages.every(valid)) problems.push('messages must be a non-empty list of {role, content}');
    return problems;
  }

  private async stream(res: ServerResponse, model: string, answer: StreamAnswer): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-generation-id': 'gen-fake-1' });
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}) => ({
      id: 'gen-fake-1',
      provider: 'Fake',
      model,
      object: 'chat.completion.chunk',
      created,
      choices: [{ index: 0, delta, finish_reason: finishReason, native_finish_reason: finishReason }],
      ...extra,
    });
    let first = true;
    const send = async (line: string): Promise<boolean> => {
      if (!first && answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      first = false;
      if (res.destroyed) return false;
      if (answer.comments) res.write(': OPENROUTER PROCESSING\n\n');
      res.write(line);
      return true;
    };
    const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

    // Like OpenAI, the first chunk only names the role; its content is empty.
    if (!(await send(data(chunk({ role: 'assistant', content: '' }))))) return;
    for (const thought of answer.reasoning ?? []) {
      if (!(await send(data(chunk({ role: 'assistant', content: '', reasoning: thought }))))) return;
    }
    for (let i = 0; i < answer.pieces.length; i++) {
      if (answer.after?.pieces === i && (await this.breakOff(res, model, answer, send, data))) return;
      if (!(await send(data(chunk({ role: 'assistant', content: answer.pieces[i] }))))) return;
    }
    if (answer.after?.pieces === answer.pieces.length && (await this.breakOff(res, model, answer, send, data))) return;
    const finishReason = answer.finishReason === undefined ? 'stop' : answer.finishReason;
    if (finishReason !== null && !(await send(data(chunk({ role: 'assistant', content: '' }, finishReason))))) return;
    const usage = { prompt_tokens: 120, completion_tokens: answer.pieces.length, total_tokens: 120 + answer.pieces.length };
    if (!(await send(data({ ...chunk({}), choices: [], usage })))) return;
    if (!(await send('data: [DONE]\n\n'))) return;
    res.end();
  }

  /** Ends a stream the scripted bad way; true when nothing more may be written. */
  private async breakOff(
    res: ServerResponse,
    model: string,
    answer: StreamAnswer,
    send: (line: string) => Promise<boolean>,
    data: (value: unknown) => string,
  ): Promise<boolean> {
    const then = answer.after!.then;
    if (then === 'destroy') {
      // Ending the socket (not the response) flushes what was written, then drops the connection mid-body.
      res.socket?.end();
      return true;
    }
    if (then === 'stall') return true;
    const error = answer.error ?? { code: 'server_error', message: 'Provider disconnected unexpectedly' };
    const errorChunk = {
      id: 'gen-fake-1',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model,
      provider: 'Fake',
      error,
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
    };
    if (await send(data(errorChunk))) res.end();
    return true;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}
