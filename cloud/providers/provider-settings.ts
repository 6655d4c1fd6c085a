import { OPENAI_COMPATIBLE_LLM_DEFAULTS } from './llm/openai-compatible-llm-defaults.js';
import { OPENAI_STT_DEFAULTS } from './stt/openai-stt-defaults.js';
import { ELEVENLABS_TTS_DEFAULTS } from './tts/elevenlabs-tts-defaults.js';

/**
 * Which provider serves each stage, read once from the environment under the
 * names users of these services already know. A stage without its key is
 * served offline; `describe` says so, once, at start-up.
 */
export interface ProviderSettings {
  readonly stt: { readonly kind: 'offline' } | { readonly kind: 'openai'; readonly apiKey: string; readonly baseUrl?: string; readonly model?: string };
  readonly llm:
    | { readonly kind: 'offline' }
    | { readonly kind: 'openai-compatible'; readonly apiKey?: string; readonly baseUrl?: string; readonly model?: string; readonly fallbackModel?: string };
  readonly tts: { readonly kind: 'offline' } | { readonly kind: 'elevenlabs'; readonly apiKey: string; readonly baseUrl?: string; readonly voiceId: string; readonly modelId?: string };
  readonly safety: { readonly kind: 'offline' } | { readonly kind: 'azure'; readonly endpoint: string; readonly key: string };
}

export const OFFLINE_SETTINGS: ProviderSettings = Object.freeze<ProviderSettings>({
  stt: { kind: 'offline' },
  llm: { kind: 'offline' },
  tts: { kind: 'offline' },
  safety: { kind: 'offline' },
});

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the provider variables; an empty value counts as unset. */
export function providerSettingsFromEnv(env: Env): ProviderSettings {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const optional = <K extends string>(key: K, value: string | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, string>));
  const openAiKey = get('OPENAI_API_KEY');
  const openRouterKey = get('OPENROUTER_API_KEY');
  const openRouterUrl = get('OPENROUTER_BASE_URL');
  const elevenKey = get('ELEVENLABS_API_KEY');
  const safetyEndpoint = get('CONTENT_SAFETY_ENDPOINT');
  const safetyKey = get('CONTENT_SAFETY_KEY');
  return {
    stt: openAiKey === undefined ? { kind: 'offline' } : { kind: 'openai', apiKey: openAiKey, ...optional('baseUrl', get('OPENAI_BASE_URL')), ...optional('model', get('POMMAI_STT_MODEL')) },
    // A base URL alone is a keyless OpenAI-compatible server (llama.cpp, Ollama) on the gateway's network.
    llm:
      openRouterKey === undefined && openRouterUrl === undefined
        ? { kind: 'offline' }
        : {
            kind: 'openai-compatible',
            ...optional('apiKey', openRouterKey),
            ...optional('baseUrl', openRouterUrl),
            ...optional('model', get('POMMAI_LLM_MODEL')),
            ...optional('fallbackModel', get('POMMAI_LLM_FALLBACK_MODEL')),
          },
    tts:
      elevenKey === undefined
        ? { kind: 'offline' }
        : { kind: 'elevenlabs', apiKey: elevenKey, voiceId: get('ELEVENLABS_VOICE_ID') ?? ELEVENLABS_TTS_DEFAULTS.voiceId, ...optional('baseUrl', get('ELEVENLABS_BASE_URL')), ...optional('modelId', get('ELEVENLABS_MODEL_ID')) },
    safety: safetyEndpoint !== undefined && safetyKey !== undefined ? { kind: 'azure', endpoint: safetyEndpoint, key: safetyKey } : { kind: 'offline' },
  };
}

/**
 * One line per stage for the start-up log: what serves it, and for an offline stage, what would change that. Never a key.
 * An unset model or URL is named from the adapter's own defaults, so the line says what the adapter will use.
 */
export function describeProviderSettings(settings: ProviderSettings): string[] {
  const host = (url: string | undefined, fallback: string) => {
    try {
      return new URL(url ?? fallback).host;
    } catch {
      return 'an invalid URL';
    }
  };
  return [
    settings.stt.kind === 'openai'
      ? `speech recognition: OpenAI ${settings.stt.model ?? OPENAI_STT_DEFAULTS.model} at ${host(settings.stt.baseUrl, OPENAI_STT_DEFAULTS.baseUrl)}`
      : 'speech recognition: offline (pocketsphinx); set OPENAI_API_KEY for OpenAI Whisper',
    settings.llm.kind === 'openai-compatible'
      ? `language model: ${settings.llm.model ?? OPENAI_COMPATIBLE_LLM_DEFAULTS.model} at ${host(settings.llm.baseUrl, OPENAI_COMPATIBLE_LLM_DEFAULTS.baseUrl)}${settings.llm.fallbackModel ? `, falling back to ${settings.llm.fallbackModel}` : ''}`
      : 'language model: offline companion; set OPENROUTER_API_KEY for OpenRouter (or OPENROUTER_BASE_URL for a local OpenAI-compatible server)',
    settings.tts.kind === 'elevenlabs'
      ? `voice: ElevenLabs ${settings.tts.modelId ?? ELEVENLABS_TTS_DEFAULTS.modelId} at ${host(settings.tts.baseUrl, ELEVENLABS_TTS_DEFAULTS.baseUrl)} (offline espeak-ng for fallbacks)`
      : 'voice: offline (espeak-ng); set ELEVENLABS_API_KEY for ElevenLabs',
    settings.safety.kind === 'azure'
      ? `safety: local filter, then Azure AI Content Safety at ${host(settings.safety.endpoint, '')}`
      : 'safety: local filter only; set CONTENT_SAFETY_ENDPOINT and CONTENT_SAFETY_KEY for Azure AI Content Safety as well',
  ];
}
