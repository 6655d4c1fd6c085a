import type { Log } from '../../log/log.js';
import type { ToyProfile } from '../toy/toy-profile.js';
import type { TurnProviders } from './turn-providers.js';
import { companionPhrases } from './llm/companion-phrases.js';
import { OfflineCompanion } from './llm/offline-companion.js';
import { LocalSafetyFilter } from './safety/local-safety-filter.js';
import { PocketsphinxStt } from './stt/pocketsphinx-stt.js';
import { EspeakTts } from './tts/espeak-tts.js';
import { DOWNLINK_AUDIO } from '../../protocol/index.js';

/** The providers that need no key and no network: the embedded default. */
export function createOfflineProviders(toy: ToyProfile, log: Log): TurnProviders {
  return {
    stt: new PocketsphinxStt({ phrases: companionPhrases(toy), warn: (message: string) => log('warn', message, { provider: 'pocketsphinx' }) }),
    llm: new OfflineCompanion(),
    tts: new EspeakTts({ sampleRate: DOWNLINK_AUDIO.sampleRate }),
    safety: new LocalSafetyFilter(),
  };
}
