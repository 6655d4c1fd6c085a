import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { abortError, ProviderError } from '../provider-error.js';
import { httpFailure, networkFailure } from '../http/http-failure.js';
import type { ChatMessage, Llm, LlmRequest } from './llm.js';
import { OPENAI_COMPATIBLE_LLM_DEFAULTS } from './openai-compatible-llm-defaults.js';

export type ReasoningEffort = 'low' | 'medium' | 'high';

export interface OpenAiCompatibleLlmOptions {
  /** Sent as `Authorization: Bearer`; leave out for a local llama.cpp or Ollama server, which then gets no Authorization header. */
  readonly apiKey?: string;
  /** Default OpenRouter's (OPENAI_COMPATIBLE_LLM_DEFAULTS); a proxy or `http://127.0.0.1:8080/v1` works the same. */
  readonly baseUrl?: string;
  /** Default OPENAI_COMPATIBLE_LLM_DEFAULTS.model. */
  readonly model?: string;
  /** Tried once when the model fails before saying anything (busy, down, unknown); never once it has started. */
  readonly fallbackModel?: string;
  /** Default 300: a toy answers in one to four sentences, and a reasoning model's thinking counts too. */
  readonly maxTokens?: number;
  readonly temperature?: number;
  /**
   * How hard a reasoning model thinks before answering. OpenRouter gets `reasoning: {effort}`
   * always (default `low`: thinking is latency the child waits through; OpenRouter ignores it for
   * models that do not reason). Other servers get OpenAI's `reasoning_effort` only when this is
   * set, because OpenAI rejects it for models that do not reason and local servers vary.
   */
  readonly reasoningEffort?: ReasoningEffort;
  /** Whether the server speaks OpenRouter's extensions; default: when baseUrl is on openrouter.ai. */
  readonly openRouter?: boolean;
  /** OpenRouter attribution: `X-Title`. */
  readonly appName?: string;
  /** OpenRouter attribution: `HTTP-Referer`. */
  readonly appUrl?: string;
  /** Limit for the response headers and for each silence between two chunks (default 10 s). */
  readonly timeoutMs?: number;
  /** Names the provider in errors and logs; default `OpenRouter` or `OpenAI-compatible LLM`. */
  readonly name?: string;
}

type Sdk = typeof import('openai');
type Body = ChatCompletionCreateParamsStreaming & { reasoning?: { effort: ReasoningEffort } };

/**
 * A language model behind the OpenAI chat completions API (OpenRouter, OpenAI, vLLM, llama.cpp,
 * Ollama), streamed: only answer text comes out, never the model's reasoning.
 */
export class OpenAiCompatibleLlm implements Llm {
  readonly name: string;
  private readonly options: OpenAiCompatibleLlmOptions;
  private readonly baseUrl: string;
  private readonly openRouter: boolean;
  private readonly timeoutMs: number;
  private loading: Promise<{ sdk: Sdk; client: OpenAI }> | undefined;

  constructor(options: OpenAiCompatibleLlmOptions = {}) {
    this.options = options;
    this.baseUrl = options.baseUrl ?? OPENAI_COMPATIBLE_LLM_DEFAULTS.baseUrl;
    const host = new URL(this.baseUrl).hostname;
    this.openRouter = options.openRouter ?? (host === 'openrouter.ai' || host.endsWith('.openrouter.ai'));
    this.name = options.name ?? (this.openRouter ? 'OpenRouter' : 'OpenAI-compatible LLM');
    this.timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? 10_000));
  }

  /**
   * Loads the SDK now rather than on the first turn, whose child would otherwise wait for it
   * (a few hundred milliseconds on a busy machine). For composition roots; optional.
   */
  async warm(): Promise<void> {
    await this.load();
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    const models = [this.options.model ?? OPENAI_COMPATIBLE_LLM_DEFAULTS.model];
    if (this.options.fallbackModel !== undefined) models.push(this.options.fallbackModel);
    for (let attempt = 0; ; attempt++) {
      let spoke = false;
      try {
        for await (const piece of this.streamModel(models[attempt]!, request.messages, signal)) {
          spoke = true;
          yield piece;
        }
        return;
      } catch (error) {
        // Switching models after the child heard half an answer would make them hear two.
        if (spoke || attempt + 1 >= models.length || !fallbackHelps(error) || signal.aborted) throw error;
      }
    }
  }

  private async *streamModel(model: string, messages: readonly ChatMessage[], signal: AbortSignal): AsyncGenerator<string> {
    if (signal.aborted) throw abortError(signal);
    const { sdk, client } = await this.load();
    // One controller per request: the turn's abort, a stalled stream and an early break all end up here.
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    if (signal.aborted) forward();
    let stall: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(new ProviderError('provider_timeout', `${this.name} went silent for ${this.timeoutMs} ms mid-answer`, { retryable: true })), this.timeoutMs);
    };
    let started = false;
    let finish: string | null = null;
    let spoke = false;
    try {
      const chunks = await client.chat.completions.create(this.body(model, messages), { signal: controller.signal });
      started = true;
      watch();
      for await (const chunk of chunks) {
        // Chunks already buffered must not leak out after an abort.
        if (controller.signal.aborted) break;
        watch();
        const choice = chunk.choices[0];
        if (choice === undefined) continue;
        finish = choice.finish_reason ?? finish;
        // Reasoning arrives in other delta fields; only content may reach a child's ears.
        const text = choice.delta?.content;
        if (!text) continue;
        spoke = true;
        // A slow listener downstream is not a silent server: the clock stops while the piece is held.
        clearTimeout(stall);
        yield text;
        watch();
      }
      if (controller.signal.aborted) throw abortError(controller.signal);
      if (finish === null) throw new ProviderError('provider_stream_cut', `${this.name} stopped before finishing its answer`, { retryable: true });
      if (finish === 'error') throw new ProviderError('provider_stream_error', `${this.name} failed mid-answer`, { retryable: true });
      if (!spoke) throw new ProviderError('provider_empty_answer', `${this.name} finished (${finish}) without saying anything`, { retryable: true });
    } catch (error) {
      throw this.failure(error, sdk, controller.signal, started);
    } finally {
      clearTimeout(stall);
      signal.removeEventListener('abort', forward);
      // After a break or an error this drops the connection; after a finished answer it does nothing.
      controller.abort();
    }
  }

  private body(model: string, messages: readonly ChatMessage[]): Body {
    const { temperature, reasoningEffort } = this.options;
    const body: Body = {
      model,
      messages: messages.map(({ role, content }) => ({ role, content })),
      stream: true,
      max_tokens: this.options.maxTokens ?? 300,
    };
    if (temperature !== undefined) body.temperature = temperature;
    if (this.openRouter) body.reasoning = { effort: reasoningEffort ?? 'low' };
    else if (reasoningEffort !== undefined) body.reasoning_effort = reasoningEffort;
    return body;
  }

  /** The SDK, loaded on first use (it costs memory), with a client that never retries by itself. */
  private load(): Promise<{ sdk: Sdk; client: OpenAI }> {
    this.loading ??= import('openai').then((sdk) => {
      const { apiKey, appName, appUrl } = this.options;
      const headers: Record<string, string | null> = {};
      if (apiKey === undefined) headers.Authorization = null;
      if (appName !== undefined) headers['X-Title'] = appName;
      if (appUrl !== undefined) headers['HTTP-Referer'] = appUrl;
      // Every option is given, so the SDK reads none of its OPENAI_* environment variables.
      const client = new sdk.OpenAI({
        apiKey: apiKey ?? 'none',
        baseURL: this.baseUrl,
        organization: null,
        project: null,
        webhookSecret: null,
        // Retries and fallbacks are the turn's decision; the SDK would retry 429s and 5xx twice.
        maxRetries: 0,
        timeout: this.timeoutMs,
        defaultHeaders: headers,
        logLevel: 'off',
      });
      return { sdk, client };
    }, (error: unknown) => {
      throw new ProviderError('llm_unavailable', `the openai package could not be loaded: ${(error as Error)?.message ?? error}`, { retryable: false, cause: error });
    });
    return this.loading;
  }

  private failure(error: unknown, sdk: Sdk, signal: AbortSignal, started: boolean): ProviderError {
    if (signal.aborted) return abortError(signal);
    if (error instanceof ProviderError) return error;
    if (error instanceof sdk.APIConnectionTimeoutError) return networkFailure(this.name, new DOMException(error.message, 'TimeoutError'));
    if (error instanceof sdk.APIConnectionError) return networkFailure(this.name, error.cause ?? error);
    if (error instanceof sdk.APIError) {
      const detail = error.error === undefined ? error.message.replace(/^\d{3} /, '') : JSON.stringify({ error: error.error });
      // A mid-stream error chunk has no HTTP status of its own; OpenRouter's may carry one as its code.
      const status = error.status ?? (typeof error.code === 'number' ? error.code : Number(error.code));
      if (Number.isInteger(status) && status >= 400) {
        const failure = httpFailure(this.name, status, error.headers ?? new Headers(), this.redact(detail));
        if (status !== 404) return failure;
        return new ProviderError('provider_not_found', `${failure.message} (check the model name and base URL)`, { retryable: false });
      }
      const said = (error.error as { message?: unknown } | undefined)?.message;
      return new ProviderError('provider_stream_error', `${this.name} failed mid-answer: ${this.redact(String(said ?? error.message))}`, { retryable: true });
    }
    if (error instanceof SyntaxError) return new ProviderError('provider_bad_stream', `${this.name} sent a chunk that is not JSON`, { retryable: false, cause: error });
    if (!started) return networkFailure(this.name, error);
    const detail = (error as { cause?: Error })?.cause?.message ?? (error as Error)?.message ?? String(error);
    return new ProviderError('provider_stream_cut', `${this.name} broke off its answer: ${detail}`, { retryable: true, cause: error });
  }

  /** Some servers echo the key they were given; it must not reach logs or the parent's dashboard. */
  private redact(text: string): string {
    const key = this.options.apiKey;
    return key !== undefined && key.length >= 4 ? text.replaceAll(key, '[api key]') : text;
  }
}


/** Worth one try on the fallback model: the primary is busy, down, cut off, empty, or unknown. */
function fallbackHelps(error: unknown): boolean {
  return error instanceof ProviderError && error.code !== 'aborted' && (error.retryable || error.code === 'provider_not_found');
}
