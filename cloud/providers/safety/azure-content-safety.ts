import type { ContentSafetyClient, isUnexpected as IsUnexpected } from '@azure-rest/ai-content-safety';
import { ProviderError, abortError } from '../provider-error.js';
import { httpFailure, networkFailure } from '../http/http-failure.js';
import type { SafetyDirection, SafetyFilter, SafetyVerdict, VerdictCategory } from './safety-filter.js';

const PROVIDER = 'Azure Content Safety';

/** The categories Azure grades, in our names. */
export type AzureCategory = 'hate' | 'self_harm' | 'sexual' | 'violence';

/**
 * The lowest severity (0-7) that blocks, per category; 8 never blocks. This is the other end from
 * LocalSafetyFilter's thresholds (the highest severity still allowed), because Azure's own
 * guidance speaks of blocking "at or above" a level.
 */
export type AzureThresholds = Readonly<Partial<Record<AzureCategory, number>>>;

export interface AzureContentSafetyOptions {
  /** The resource's endpoint, https://<resource>.cognitiveservices.azure.com; a path prefix is kept. */
  readonly endpoint: string;
  readonly key: string;
  /** Merged over the defaults per direction. A toy for older children gets a filter of its own. */
  readonly thresholds?: { readonly input?: AzureThresholds; readonly output?: AzureThresholds };
  /** Blocklists made on the resource; a match blocks the text whatever the classifiers say. */
  readonly blocklistNames?: readonly string[];
  /** Skip the classifiers once a blocklist matches: cheaper, but the record then has no severities. */
  readonly haltOnBlocklistHit?: boolean;
  /** The longest one check may take, all pieces together, before it fails as provider_timeout. */
  readonly timeoutMs?: number;
  readonly apiVersion?: string;
}

/**
 * For what a child says. Severity 2-3 is Azure's "low": everyday hurts and scary stories ("a
 * monster bit me", "my brother hit me") that the toy should hear and answer kindly, so violence
 * blocks only from "medium" (4), where threats and wishes to hurt begin. Hate, sexual content
 * and self-harm block from "low" (2); level 1 is the textbook and first-aid sense of the words.
 */
export const DEFAULT_AZURE_INPUT_THRESHOLDS: Readonly<Record<AzureCategory, number>> = Object.freeze({
  hate: 2,
  self_harm: 2,
  sexual: 2,
  violence: 4,
});

/** The toy itself depicts no violence at all, not even the low, fictional kind: its stories need none. */
export const DEFAULT_AZURE_OUTPUT_THRESHOLDS: Readonly<Record<AzureCategory, number>> = Object.freeze({
  hate: 2,
  self_harm: 2,
  sexual: 2,
  violence: 2,
});

/** What @azure-rest/ai-content-safety 1.0.1 sends; 2024-09-01 is also GA with the same text:analyze. */
export const DEFAULT_AZURE_API_VERSION = '2023-10-01';
export const DEFAULT_AZURE_TIMEOUT_MS = 3000;
/** Azure's limit for the text of one request, in code points. */
export const AZURE_MAX_TEXT = 10_000;
/**
 * A blocklist hit has no severity of its own. It is recorded as 4 ("medium"): enough to stand out
 * on the dashboard, without ranking a grown-up's house rule with a slur or a threat.
 */
export const BLOCKLIST_SEVERITY = 4;

// A transcript longer than this is not a child talking; refusing it beats paying for 50 requests.
const MAX_PIECES = 5;
// Pieces overlap so that a phrase cut by one boundary is whole in the next piece.
const OVERLAP = 200;
const AZURE_NAMES: Readonly<Record<string, AzureCategory>> = { Hate: 'hate', SelfHarm: 'self_harm', Sexual: 'sexual', Violence: 'violence' };
// When two categories tie, the one needing the most care explains the verdict and picks the redirect.
const PRIORITY: readonly VerdictCategory[] = ['self_harm', 'sexual', 'hate', 'violence', 'blocklist'];

interface Reading {
  readonly severities: Partial<Record<AzureCategory, number>>;
  readonly blocklistHit: boolean;
}

interface Loaded {
  readonly client: ContentSafetyClient;
  readonly isUnexpected: typeof IsUnexpected;
}

/**
 * Azure AI Content Safety's text classifiers behind the SafetyFilter interface. The SDK is loaded
 * on the first check, so a gateway that never uses Azure never pays for it (about 25 MB RSS).
 * A check that cannot finish throws; it never answers "allowed" without an answer from Azure.
 */
export class AzureContentSafety implements SafetyFilter {
  readonly name = 'azure';
  readonly #key: string;
  private readonly endpoint: string;
  private readonly insecure: boolean;
  private readonly thresholds: Readonly<Record<SafetyDirection, Readonly<Record<AzureCategory, number>>>>;
  private readonly blocklistNames: readonly string[];
  private readonly haltOnBlocklistHit: boolean;
  private readonly timeoutMs: number;
  private readonly apiVersion: string;
  private loaded: Promise<Loaded> | undefined;

  constructor(options: AzureContentSafetyOptions) {
    const url = endpointUrl(options.endpoint);
    this.endpoint = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.insecure = url.protocol === 'http:';
    if (typeof options.key !== 'string' || options.key.trim() === '') throw invalid('key', 'must be the resource key');
    this.#key = options.key;
    this.thresholds = {
      input: thresholds('input', DEFAULT_AZURE_INPUT_THRESHOLDS, options.thresholds?.input),
      output: thresholds('output', DEFAULT_AZURE_OUTPUT_THRESHOLDS, options.thresholds?.output),
    };
    this.blocklistNames = Object.freeze([...(options.blocklistNames ?? [])]);
    for (const name of this.blocklistNames) {
      if (!/^[0-9A-Za-z._~-]{1,64}$/.test(name)) throw invalid('blocklistNames', `has "${name}"; names are 1-64 of 0-9 A-Z a-z . _ ~ -`);
    }
    this.haltOnBlocklistHit = options.haltOnBlocklistHit ?? false;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_AZURE_TIMEOUT_MS;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > 120_000) throw invalid('timeoutMs', 'must be an integer in 1..120000');
    this.apiVersion = options.apiVersion ?? DEFAULT_AZURE_API_VERSION;
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(this.apiVersion)) throw invalid('apiVersion', `must look like ${DEFAULT_AZURE_API_VERSION}`);
  }

  async check(text: string, direction: SafetyDirection, signal: AbortSignal): Promise<SafetyVerdict> {
    if (signal.aborted) throw abortError(signal);
    const pieces = piecesOf(text);
    if (pieces.length > MAX_PIECES) {
      throw new ProviderError('text_too_long', `${PROVIDER} checks at most ${MAX_PIECES} pieces of ${AZURE_MAX_TEXT} characters; this text needs ${pieces.length}`, { retryable: false });
    }
    const sdk = await this.load();
    if (signal.aborted) throw abortError(signal);

    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, this.timeoutMs);
    const onAbort = (): void => request.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const readings = await Promise.all(pieces.map((piece) => this.analyze(sdk, piece, request.signal)));
      if (signal.aborted) throw abortError(signal);
      return this.verdict(readings, direction);
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (timedOut) throw networkFailure(PROVIDER, new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError'));
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // Pieces still in flight when another failed are of no use any more.
      request.abort();
    }
  }

  private async analyze(sdk: Loaded, text: string, signal: AbortSignal): Promise<Reading> {
    const body = {
      text,
      outputType: 'EightSeverityLevels',
      ...(this.blocklistNames.length > 0 ? { blocklistNames: [...this.blocklistNames], haltOnBlocklistHit: this.haltOnBlocklistHit } : {}),
    };
    let response;
    try {
      response = await sdk.client.path('/text:analyze').post({ body, abortSignal: signal });
    } catch (error) {
      throw networkFailure(PROVIDER, withoutRequest(error));
    }
    // The REST client hands back every status as a response, with the status as a string.
    if (sdk.isUnexpected(response)) {
      const raw = typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? '');
      throw httpFailure(PROVIDER, Number(response.status), new Headers(response.headers), raw, [this.#key]);
    }
    return readAnalysis(response.body);
  }

  private verdict(readings: readonly Reading[], direction: SafetyDirection): SafetyVerdict {
    const categories: Partial<Record<VerdictCategory, number>> = {};
    for (const reading of readings) {
      for (const [category, severity] of Object.entries(reading.severities) as Array<[AzureCategory, number]>) {
        if (severity > 0) categories[category] = Math.max(categories[category] ?? 0, severity);
      }
      if (reading.blocklistHit) categories.blocklist = BLOCKLIST_SEVERITY;
    }
    const thresholds = this.thresholds[direction];
    const found = PRIORITY.filter((c) => categories[c] !== undefined);
    const harmful = found.filter((c) => c !== 'blocklist' && categories[c]! >= thresholds[c as AzureCategory]);
    const blocked = categories.blocklist === undefined ? harmful : [...harmful, 'blocklist' as const];
    // A harm category says more about what happened than a house rule does, so it explains first.
    const category = worstOf(harmful.length > 0 ? harmful : blocked.length > 0 ? blocked : found, categories);
    const verdict: SafetyVerdict = {
      allowed: blocked.length === 0,
      categories,
      severity: Math.max(0, ...found.map((c) => categories[c]!)),
      provider: this.name,
    };
    return category === undefined ? verdict : { ...verdict, category };
  }

  private load(): Promise<Loaded> {
    this.loaded ??= (async () => {
      const [sdk, auth] = await Promise.all([import('@azure-rest/ai-content-safety'), import('@azure/core-auth')]);
      const client = sdk.default(this.endpoint, new auth.AzureKeyCredential(this.#key), {
        apiVersion: this.apiVersion,
        allowInsecureConnection: this.insecure,
        // Only the turn decides on retries; left alone the SDK retries 3 times over ~6 s.
        retryOptions: { maxRetries: 0 },
      });
      return { client, isUnexpected: sdk.isUnexpected };
    })().catch((error: unknown) => {
      this.loaded = undefined;
      throw new ProviderError('provider_misconfigured', `${PROVIDER}: @azure-rest/ai-content-safety could not be loaded: ${(error as Error)?.message ?? error}`, { retryable: false });
    });
    return this.loaded;
  }
}

/** Splits text over Azure's limit into overlapping pieces cut at spaces, counting code points as Azure does. */
export function piecesOf(text: string): string[] {
  const points = Array.from(text);
  if (points.length <= AZURE_MAX_TEXT) return [text];
  const pieces: string[] = [];
  let start = 0;
  for (;;) {
    let end = Math.min(start + AZURE_MAX_TEXT, points.length);
    if (end < points.length) {
      const space = lastSpace(points, end - OVERLAP, end);
      if (space !== undefined) end = space;
    }
    pieces.push(points.slice(start, end).join(''));
    if (end >= points.length) return pieces;
    const from = end - OVERLAP;
    const space = lastSpace(points, from, from + OVERLAP / 2);
    start = space === undefined ? from : space + 1;
  }
}

function lastSpace(points: readonly string[], from: number, to: number): number | undefined {
  for (let i = to - 1; i >= from; i--) if (/\s/.test(points[i]!)) return i;
  return undefined;
}

function readAnalysis(body: unknown): Reading {
  const result = body as { categoriesAnalysis?: unknown; blocklistsMatch?: unknown } | null;
  if (typeof result !== 'object' || result === null || !Array.isArray(result.categoriesAnalysis)) throw badAnswer('no categoriesAnalysis');
  const severities: Partial<Record<AzureCategory, number>> = {};
  for (const entry of result.categoriesAnalysis as Array<{ category?: unknown; severity?: unknown }>) {
    const category = AZURE_NAMES[String(entry?.category)];
    // Categories added to the service later are not ours to grade.
    if (category === undefined) continue;
    const severity = entry.severity;
    if (typeof severity !== 'number' || !Number.isInteger(severity) || severity < 0 || severity > 7) throw badAnswer(`severity ${String(severity)} for ${category}`);
    severities[category] = Math.max(severities[category] ?? 0, severity);
  }
  if (result.blocklistsMatch !== undefined && !Array.isArray(result.blocklistsMatch)) throw badAnswer('blocklistsMatch is not a list');
  return { severities, blocklistHit: Array.isArray(result.blocklistsMatch) && result.blocklistsMatch.length > 0 };
}

function worstOf(candidates: readonly VerdictCategory[], categories: Partial<Record<VerdictCategory, number>>): VerdictCategory | undefined {
  let worst: VerdictCategory | undefined;
  for (const c of candidates) if (worst === undefined || categories[c]! > categories[worst]!) worst = c;
  return worst;
}

function thresholds(direction: SafetyDirection, defaults: Readonly<Record<AzureCategory, number>>, given: AzureThresholds | undefined): Readonly<Record<AzureCategory, number>> {
  const merged = { ...defaults };
  for (const [category, value] of Object.entries(given ?? {})) {
    if (!(category in defaults)) throw invalid(`thresholds.${direction}`, `has unknown category '${category}'; Azure grades ${Object.keys(defaults).join(', ')}`);
    if (!Number.isInteger(value) || value! < 1 || value! > 8) throw invalid(`thresholds.${direction}.${category}`, 'must be an integer from 1 (block anything found) to 8 (never block)');
    merged[category as AzureCategory] = value!;
  }
  return Object.freeze(merged);
}

function endpointUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid('endpoint', 'must be a URL like https://<resource>.cognitiveservices.azure.com');
  }
  // The key travels in a header: plain http only where it never leaves this machine.
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw invalid('endpoint', 'must use https (plain http only to this machine)');
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw invalid('endpoint', 'must have no query, fragment or credentials');
  return url;
}

/** The SDK's errors carry the request (with the child's words) and the response; keep only what explains the failure. */
function withoutRequest(error: unknown): Error {
  const e = error as { name?: string; message?: string; code?: string } | undefined;
  return Object.assign(new Error(e?.message ?? String(error)), { name: e?.name ?? 'Error', code: e?.code });
}


function badAnswer(detail: string): ProviderError {
  return new ProviderError('provider_invalid_response', `${PROVIDER} answered 200 without a usable analysis (${detail})`, { retryable: false });
}

function invalid(option: string, problem: string): ProviderError {
  return new ProviderError('invalid_options', `AzureContentSafety option '${option}' ${problem}`, { retryable: false });
}
