import type { Llm } from './llm/llm.js';
import type { SafetyFilter } from './safety/safety-filter.js';
import type { Stt } from './stt/stt.js';
import type { Tts } from './tts/tts.js';

/** One provider per stage of a turn, as the composition root chose them. */
export interface TurnProviders {
  readonly stt: Stt;
  readonly llm: Llm;
  readonly tts: Tts;
  readonly safety: SafetyFilter;
  /** Speaks the kind fallback when `tts` itself is what failed (the offline voice). */
  readonly fallbackTts?: Tts;
}
