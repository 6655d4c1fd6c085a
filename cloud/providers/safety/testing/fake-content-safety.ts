import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Azure's names for the categories it grades. */
export type AzureTextCategory = 'Hate' | 'SelfHarm' | 'Sexual' | 'Violence';

/** A text:analyze request body as the fake received it, after checking its shape. */
export interface AnalyzeTextBody {
  readonly text: string;
  readonly categories?: readonly AzureTextCategory[];
  readonly blocklistNames?: readonly string[];
  readonly haltOnBlocklistHit?: boolean;
  readonly outputType?: 'FourSeverityLevels' | 'EightSeverityLevels';
}

export interface RecordedRequest {
  readonly method: string;
  /** The path without the query, prefix included. */
  readonly path: string;
  readonly apiVersion: string | null;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  readonly body: unknown;
}

/** What the fake answers to one well-formed request. */
export type FakeReply =
  /** A 200 with these severities (0-7; missing categories are 0), scaled to the requested output type. */
  | { readonly kind: 'analysis'; readonly severities?: Readonly<Partial<Record<AzureTextCategory, number>>> }
  /** Any HTTP answer, e.g. 429 with Retry-After. An object body is sent as JSON. */
  | { readonly kind: 'http'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: unknown }
  /** Headers and the start of a body, then the connection is cut. */
  | { readonly kind: 'cut' }
  /** Never answers; the connection stays open until the client gives up or the fake closes. */
  | { readonly kind: 'hang' };

export type FakeScript = (request: AnalyzeTextBody) => FakeReply;

export interface FakeContentSafetyOptions {
  /** The key the fake accepts in Ocp-Apim-Subscription-Key. */
  readonly key?: string;
  /** A path in front of /contentsafety, as a gateway in front of Azure would add. */
  readonly prefix?: string;
  readonly script?: FakeScript;
  /** Blocklists the resource has: name → items, matched as whole words, case-insensitively. */
  readonly blocklists?: Readonly<Record<string, readonly string[]>>;
}

export const FAKE_KEY = 'fake-content-safety-key-0123456789';
const API_VERSIONS = new Set(['2023-10-01', '2024-09-01']);
const CATEGORIES: readonly AzureTextCategory[] = ['Hate', 'SelfHarm', 'Sexual', 'Violence'];

// A few words the real classifiers grade high, so tests can speak in plain sentences.
const DEFAULT_WORDS: ReadonlyArray<readonly [RegExp, AzureTextCategory, number]> = [
  [/\bkill (myself|me)\b|\bhurt myself\b/i, 'SelfHarm', 6],
  [/\bkill(s|ed|ing)?\b|\bstab/i, 'Violence', 6],
  [/\bhit me\b|\bbit me\b/i, 'Violence', 3],
  [/\bporn|\bnaked\b/i, 'Sexual', 6],
  [/\bhate (all )?(muslims|jews|immigrants)\b/i, 'Hate', 6],
];

/** Grades a text by a few telling words, as a stand-in for Azure's classifiers. */
export function defaultScript(request: AnalyzeTextBody): FakeReply {
  const severities: Partial<Record<AzureTextCategory, number>> = {};
  for (const [pattern, category, severity] of DEFAULT_WORDS) {
    if (pattern.test(request.text)) severities[category] = Math.max(severities[category] ?? 0, severity);
  }
  return { kind: 'analysis', severities };
}

/**
 * A loopback stand-in for Azure AI Content Safety's text:analyze, speaking its documented wire
 * format: it checks the path, api-version, key header and body the way the service does, answers
 * with Azure's error shape `{ error: { code, message } }`, and records every request.
 */
export class FakeContentSafety {
  readonly requests: RecordedRequest[] = [];
  /** http://127.0.0.1:<port><prefix>, ready for AzureContentSafety's endpoint. */
  readonly endpoint: string;
  script: FakeScript;
  private readonly key: string;
  private readonly prefix: string;
  private readonly blocklists: Readonly<Record<string, readonly string[]>>;
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: Server, port: number, options: FakeContentSafetyOptions) {
    this.key = options.key ?? FAKE_KEY;
    this.prefix = (options.prefix ?? '').replace(/\/+$/, '');
    this.script = options.script ?? defaultScript;
    this.blocklists = options.blocklists ?? {};
    this.endpoint = `http://127.0.0.1:${port}${this.prefix}`;
  }

  static async start(options: FakeContentSafetyOptions = {}): Promise<FakeContentSafety> {
    let fake: FakeContentSafety | undefined;
    // A request cut off by the client while its body is read has nobody left to answer.
    const server = createServer((req, res) => void fake!.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    fake = new FakeContentSafety(server, (server.address() as AddressInfo).port, options);
    server.on('connection', (socket) => {
      fake!.sockets.add(socket);
      socket.once('close', () => fake!.sockets.delete(socket));
    });
    return fake;
  }

  /** Answers the requests still to come with `script`, or fails them all the same way. */
  answer(script: FakeScript | FakeReply): void {
    this.script = typeof script === 'function' ? script : () => script;
  }

  /** Resolves once `count` requests have arrived in all, so a test can act while one is in flight. */
  async received(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Recorded as text; rejected below.
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname, apiVersion: url.searchParams.get('api-version'), headers: req.headers, body });
    for (const wake of this.waiters.splice(0)) wake();

    if (req.headers['ocp-apim-subscription-key'] !== this.key) {
      return send(res, 401, azureError('401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.'));
    }
    if (url.pathname !== `${this.prefix}/contentsafety/text:analyze`) return send(res, 404, azureError('404', 'Resource not found'));
    if (req.method !== 'POST') return send(res, 405, azureError('MethodNotAllowed', `${req.method} is not allowed here`));
    const version = url.searchParams.get('api-version');
    if (version === null || !API_VERSIONS.has(version)) {
      return send(res, 404, azureError('404', 'Resource not found', 'The api-version query parameter is missing or not supported'));
    }
    if (!String(req.headers['content-type']).startsWith('application/json')) return send(res, 415, azureError('UnsupportedMediaType', 'Content-Type must be application/json'));
    const problem = bodyProblem(body);
    if (problem !== undefined) return send(res, 400, azureError('InvalidRequestBody', problem));
    const request = body as AnalyzeTextBody;
    const missing = (request.blocklistNames ?? []).filter((name) => this.blocklists[name] === undefined);
    if (missing.length > 0) return send(res, 404, azureError('NotFound', `Blocklist ${missing.join(', ')} not found`));

    const reply = this.script(request);
    switch (reply.kind) {
      case 'http':
        return send(res, reply.status, reply.body ?? '', reply.headers);
      case 'cut':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        res.write('{"blocklistsMatch":[],"categoriesAnalysis":[{"category":"Hate",');
        setImmediate(() => res.socket?.destroy());
        return;
      case 'hang':
        return;
      case 'analysis':
        return send(res, 200, this.analysis(request, reply.severities ?? {}));
    }
  }

  private analysis(request: AnalyzeTextBody, severities: Readonly<Partial<Record<AzureTextCategory, number>>>): object {
    const blocklistsMatch = (request.blocklistNames ?? []).flatMap((name) =>
      this.blocklists[name]!.flatMap((item, index) =>
        new RegExp(`(^|\\W)${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|\\W)`, 'i').test(request.text)
          ? [{ blocklistName: name, blocklistItemId: `${name}-item-${index}`, blocklistItemText: item }]
          : [],
      ),
    );
    const halted = request.haltOnBlocklistHit === true && blocklistsMatch.length > 0;
    const eight = request.outputType === 'EightSeverityLevels';
    const categoriesAnalysis = halted
      ? []
      : (request.categories ?? CATEGORIES).map((category) => {
          const severity = severities[category] ?? 0;
          // FourSeverityLevels, the default, folds 0-7 into 0, 2, 4, 6.
          return { category, severity: eight ? severity : severity - (severity % 2) };
        });
    return { blocklistsMatch, categoriesAnalysis };
  }
}

function bodyProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The request body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.text !== 'string') return "The field 'text' is required";
  if ([...b.text].length > 10_000) return 'The text is longer than 10,000 characters';
  if (b.outputType !== undefined && b.outputType !== 'FourSeverityLevels' && b.outputType !== 'EightSeverityLevels') return `Unknown outputType '${String(b.outputType)}'`;
  if (b.categories !== undefined && !(Array.isArray(b.categories) && b.categories.every((c) => CATEGORIES.includes(c)))) return "The field 'categories' has an unknown category";
  if (b.blocklistNames !== undefined && !(Array.isArray(b.blocklistNames) && b.blocklistNames.every((n) => typeof n === 'string'))) return "The field 'blocklistNames' must be a list of names";
  if (b.haltOnBlocklistHit !== undefined && typeof b.haltOnBlocklistHit !== 'boolean') return "The field 'haltOnBlocklistHit' must be true or false";
  return undefined;
}

function azureError(code: string, message: string, detail?: string): object {
  return { error: { code, message, ...(detail === undefined ? {} : { details: [{ code, message: detail }] }) } };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const json = typeof body !== 'string';
  const text = json ? JSON.stringify(body) : body;
  const errorCode = json && status >= 400 ? (body as { error?: { code?: string } }).error?.code : undefined;
  res.writeHead(status, {
    ...(json ? { 'content-type': 'application/json; charset=utf-8' } : { 'content-type': 'text/plain' }),
    ...(errorCode === undefined ? {} : { 'x-ms-error-code': errorCode }),
    ...headers,
  });
  res.end(text);
}
