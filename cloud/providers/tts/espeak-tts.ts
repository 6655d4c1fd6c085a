import { speakWithEspeak } from '../../../audio/espeak-speech.js';
import { DOWNLINK_AUDIO } from '../../../protocol/index.js';
import { abortError, ProviderError } from '../provider-error.js';
import type { ToyVoice } from '../../toy/toy-profile.js';
import type { Tts } from './tts.js';

export interface EspeakTtsOptions {
  /** The rate of the PCM it streams; default the downlink's (24000), so the gateway encodes it as it comes. */
  readonly sampleRate?: number;
  /** The espeak-ng program; default espeak-ng on the PATH. */
  readonly command?: string;
}

/** Offline text to speech with espeak-ng: robotic but instant, and it never needs the network. */
export class EspeakTts implements Tts {
  readonly name = 'espeak';
  readonly sampleRate: number;
  private readonly command: string | undefined;

  constructor(options: EspeakTtsOptions = {}) {
    this.sampleRate = options.sampleRate ?? DOWNLINK_AUDIO.sampleRate;
    this.command = options.command;
  }

  async *synthesize(text: string, voice: ToyVoice, signal: AbortSignal): AsyncIterable<Int16Array> {
    if (signal.aborted) throw abortError(signal);
    // Nothing to say is no sound, not an espeak-ng run that writes no WAV header.
    if (text.trim() === '') return;
    const options = {
      voice: voice.espeakVoice,
      pitch: voice.pitch,
      speed: voice.speed,
      sampleRate: this.sampleRate,
      ...(this.command === undefined ? {} : { command: this.command }),
    };
    try {
      yield* speakWithEspeak(text, options, signal);
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      const { code, retryable } = error as { code?: unknown; retryable?: unknown };
      const message = error instanceof Error ? error.message : String(error);
      if (code === 'tts_unavailable') throw new ProviderError('tts_unavailable', message, { retryable: false, cause: error });
      throw new ProviderError('tts_failed', message, { retryable: retryable === true, cause: error });
    }
  }
}
