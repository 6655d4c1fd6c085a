/**
 * What OpenAiCompatibleLlm uses when not told otherwise: OpenRouter and an open
 * model. A file of its own so that the gateway's start-up line
 * (provider-settings.ts) can name them without loading the adapter, which
 * createProviders imports only when it is chosen.
 */
export const OPENAI_COMPATIBLE_LLM_DEFAULTS = Object.freeze({
  baseUrl: 'https://openrouter.ai/api/v1',
  model: 'openai/gpt-oss-120b',
});
