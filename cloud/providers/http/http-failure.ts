import { ProviderError } from '../provider-error.js';

/**
 * What an HTTP provider's failure means for the turn, the same for every
 * cloud API: the code says what happened, `retryable` whether the same call
 * may succeed later, `retryAfterMs` how long the provider asked us to wait.
 * Messages name the provider and its own words, never a key: pass the keys
 * as `secrets` and they are cut out of the provider's words first.
 */
export function httpFailure(provider: string, status: number, headers: Headers, body: string, secrets: readonly string[] = []): ProviderError {
  // A proxy or the API itself may echo the key back: it is cut out before anything is quoted.
  const said = providerMessage(secrets.reduce((text, secret) => (secret === '' ? text : text.split(secret).join('[key]')), body));
  const message = `${provider} answered HTTP ${status}${said ? `: ${said}` : ''}`;
  if (status === 401 || status === 403) return new ProviderError('provider_unauthorized', `${message} (check the API key)`, { retryable: false });
  if (status === 408 || status === 409 || status === 429) {
    const retryAfterMs = retryAfter(headers);
    return new ProviderError('provider_busy', message, { retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status >= 500) {
    const retryAfterMs = retryAfter(headers);
    return new ProviderError('provider_unavailable', message, { retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  return new ProviderError('provider_rejected', message, { retryable: false });
}

/** A request that never got an HTTP answer: refused, reset, timed out, or cut off mid-stream. */
export function networkFailure(provider: string, error: unknown, signal?: AbortSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  const reason = signal?.reason;
  if (reason instanceof ProviderError) return reason;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const detail = cause?.message ?? (error as Error)?.message ?? String(error);
  if ((error as Error)?.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ProviderError('provider_timeout', `${provider} did not answer in time`, { retryable: true, cause: error });
  }
  return new ProviderError('provider_unreachable', `${provider} could not be reached: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}`, { retryable: true, cause: error });
}

/** Retry-After in seconds or as an HTTP date, or the retry-after-ms some APIs send; bounded to a minute. */
export function retryAfter(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - Date.now()), 60_000);
}

/** The provider's own explanation from an error body: OpenAI and Azure `{error:{message}}`, ElevenLabs `{detail:{message}}`. */
function providerMessage(body: string): string {
  let text = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; detail?: { message?: unknown } | string; message?: unknown };
    const candidates = [
      typeof parsed.error === 'object' ? parsed.error?.message : parsed.error,
      typeof parsed.detail === 'object' ? parsed.detail?.message : parsed.detail,
      parsed.message,
    ];
    const found = candidates.find((c): c is string => typeof c === 'string' && c !== '');
    if (found !== undefined) text = found;
  } catch {
    // Not JSON: the text itself, shortened.
  }
  return text.replace(/\s+/g, ' ').slice(0, 300);
}
