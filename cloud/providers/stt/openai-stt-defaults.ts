/**
 * What OpenAiStt uses when not told otherwise. A file of its own so that the
 * gateway's start-up line (provider-settings.ts) can name them without loading
 * the adapter, which createProviders imports only when it is chosen.
 */
export const OPENAI_STT_DEFAULTS = Object.freeze({
  baseUrl: 'https://api.openai.com/v1',
  /** The cheapest and best-known; gpt-4o-transcribe and gpt-4o-mini-transcribe stream their answer. */
  model: 'whisper-1',
});
