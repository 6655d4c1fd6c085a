import type { Log } from '../../log/log.js';
import type { ProviderSettings } from './provider-settings.js';
import type { ToyProfile } from '../toy/toy-profile.js';
import type { TurnProviders } from './turn-providers.js';
import { FIXED_LINES } from '../toy/fixed-lines.js';
import { createOfflineProviders } from './offline-providers.js';
import { allRedirects } from './safety/gentle-redirect.js';
import { CachingTts } from './tts/caching-tts.js';
import { CircuitBreaker, DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerOptions } from './circuit-breaker.js';
import { BreakerLlm } from './llm/breaker-llm.js';
import { BreakerSafetyFilter } from './safety/breaker-safety-filter.js';
import { BreakerStt } from './stt/breaker-stt.js';
import { BreakerTts } from './tts/breaker-tts.js';

/**
 * The providers the settings ask for; every stage without a cloud setting is
 * served offline. Cloud adapters are imported only when chosen, so a gateway
 * without keys never loads their SDKs.
 *
 * Each cloud adapter sits behind a circuit breaker of its own, right around the network: a
 * service that is down is not called for every turn, and whatever answers without it still
 * answers (the voice's cache of fixed lines, the local safety filter). The offline providers
 * run on this machine and fail fast by themselves: they have no breaker.
 */
export async function createProviders(settings: ProviderSettings, toy: ToyProfile, log: Log, breaker: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER): Promise<TurnProviders> {
  const offline = createOfflineProviders(toy, log);
  const guard = (provider: { readonly name: string }, stage: string) => new CircuitBreaker(provider.name, stage, log, breaker);
  const cloudStt =
    settings.stt.kind === 'openai'
      ? new (await import('./stt/openai-stt.js')).OpenAiStt({
          apiKey: settings.stt.apiKey,
          ...(settings.stt.baseUrl ? { baseUrl: settings.stt.baseUrl } : {}),
          ...(settings.stt.model ? { model: settings.stt.model } : {}),
          // Names a child may say to the toy, so the recogniser spells them as the toy knows them.
          prompt: `A young child talking to ${toy.name}, a toy.`,
        })
      : undefined;
  const stt = cloudStt === undefined ? offline.stt : new BreakerStt(cloudStt, guard(cloudStt, 'stt'));
  const cloudLlm =
    settings.llm.kind === 'openai-compatible'
      ? new (await import('./llm/openai-compatible-llm.js')).OpenAiCompatibleLlm({
          ...(settings.llm.apiKey ? { apiKey: settings.llm.apiKey } : {}),
          ...(settings.llm.baseUrl ? { baseUrl: settings.llm.baseUrl } : {}),
          ...(settings.llm.model ? { model: settings.llm.model } : {}),
          ...(settings.llm.fallbackModel ? { fallbackModel: settings.llm.fallbackModel } : {}),
          appName: 'Pommai',
        })
      : undefined;
  const cloudTts =
    settings.tts.kind === 'elevenlabs'
      ? new (await import('./tts/elevenlabs-tts.js')).ElevenLabsTts({
          apiKey: settings.tts.apiKey,
          defaultVoiceId: settings.tts.voiceId,
          ...(settings.tts.baseUrl ? { baseUrl: settings.tts.baseUrl } : {}),
          ...(settings.tts.modelId ? { modelId: settings.tts.modelId } : {}),
        })
      : undefined;
  // The breaker sits inside the cache, so the toy's fixed lines made ahead still play while the voice is down.
  const tts = cloudTts === undefined ? offline.tts : new BreakerTts(cloudTts, guard(cloudTts, 'tts'));
  const cloudSafety =
    settings.safety.kind === 'azure' ? new (await import('./safety/azure-content-safety.js')).AzureContentSafety({ endpoint: settings.safety.endpoint, key: settings.safety.key }) : undefined;
  // Only the cloud layer is guarded: the local filter's blocks are no news of the cloud's health, and a
  // refused cloud check still fails the check (closed), as a failed one does.
  const safety =
    cloudSafety === undefined
      ? offline.safety
      : new (await import('./safety/layered-safety-filter.js')).LayeredSafetyFilter(offline.safety, new BreakerSafetyFilter(cloudSafety, guard(cloudSafety, 'safety')));
  // A cloud recogniser replaces pocketsphinx entirely; a cloud voice keeps espeak-ng for the fallback line.
  const voice = new CachingTts(tts, { maxBytes: 32 * 1024 * 1024, maxEntryBytes: 2 * 1024 * 1024 });
  // The toy's fixed lines, made ahead in its cloud voice: they play at once, and even while the voice's service
  // is down. espeak-ng is local and quick, so the offline voice makes them when first needed.
  if (tts !== offline.tts) void voice
    .pregenerate([...FIXED_LINES, ...allRedirects(toy)], toy.voice, AbortSignal.timeout(120_000))
    .then(({ ready, failed, firstError }) => log(failed === 0 ? 'info' : 'warn', 'fixed lines made ahead', { voice: voice.name, ready, failed, ...(firstError ? { error: firstError.message } : {}) }));
  if (stt !== offline.stt) await (offline.stt as { close?: () => Promise<void> | void }).close?.();
  if (cloudLlm !== undefined) {
    void cloudLlm.warm().catch((error: unknown) => log('warn', 'could not load the language model client', { error: (error as Error).message }));
  }
  const llm = cloudLlm === undefined ? offline.llm : new BreakerLlm(cloudLlm, guard(cloudLlm, 'llm'));
  return { stt, llm, tts: voice, safety, ...(tts !== offline.tts ? { fallbackTts: offline.tts } : {}) };
}
