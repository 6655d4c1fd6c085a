import type { ToyVoice } from '../../toy-profile.js';

/** Text to speech: streams mono signed 16-bit PCM at `sampleRate` as soon as it has any. */
export interface Tts {
  readonly name: string;
  readonly sampleRate: number;
  synthesize(text: string, voice: ToyVoice, signal: AbortSignal): AsyncIterable<Int16Array>;
}
