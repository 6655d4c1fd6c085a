import { speakWithEspeak } from '../../../../audio/espeak-speech.js';
import { VAD_SAMPLE_RATE } from '../../vad.js';
import { trimSilence } from './speech-spans.js';

export interface PhraseVoice {
  /** espeak-ng voice: en-us, en-gb+f2, ... */
  readonly voice: string;
  /** 0-99; children's voices sit high. */
  readonly pitch: number;
  /** Words per minute. */
  readonly speed: number;
}

export const DEFAULT_VOICE: PhraseVoice = { voice: 'en-us', pitch: 60, speed: 150 };

/**
 * `text` spoken by espeak-ng as 16 kHz PCM with espeak's own leading and trailing silence cut
 * off, so the first and last samples are the edges of the speech: scenes place it at known
 * positions. (cli/synthesize-utterance.ts does the same for the simulated child, with padding
 * and one voice; the gateway's tests may not import cli/, and need several voices.)
 */
export async function speakPhrase(text: string, voice: PhraseVoice = DEFAULT_VOICE): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  const signal = new AbortController().signal;
  for await (const pcm of speakWithEspeak(text, { ...voice, sampleRate: VAD_SAMPLE_RATE }, signal)) parts.push(pcm);
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return trimSilence(all);
}
