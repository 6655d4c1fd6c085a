import type { ToyVoice } from '../../toy/toy-profile.js';

/**
 * Text to speech: streams mono signed 16-bit PCM at `sampleRate` as soon as it
 * has any. The chunks are the consumer's to read, not to change: a voice may
 * hand out the same chunk again (a cache does).
 */
export interface Tts {
  readonly name: string;
  readonly sampleRate: number;
  synthesize(text: string, voice: ToyVoice, signal: AbortSignal): AsyncIterable<Int16Array>;
  /** Whether these words in this voice are ready without any work or network (a cache's hit). */
  has?(text: string, voice: ToyVoice): boolean;
}
