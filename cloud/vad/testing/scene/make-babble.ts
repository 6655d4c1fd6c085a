import { VAD_SAMPLE_RATE } from '../../vad.js';
import { normalise, seededUniform } from './make-noise.js';

/**
 * Babble: `talkers` voices, each saying the phrases back to back in a shuffled order with short
 * breaths between, summed. With a few talkers it is the hardest steady noise there is for a voice
 * detector: it is speech. RMS 1.
 */
export function makeBabble(phrases: readonly Int16Array[], samples: number, talkers: number, seed = 1): Float32Array {
  if (phrases.length === 0) throw new RangeError('babble needs phrases');
  const random = seededUniform(seed);
  const out = new Float32Array(samples);
  for (let talker = 0; talker < talkers; talker++) {
    let at = -Math.floor(random() * VAD_SAMPLE_RATE * 2);
    while (at < samples) {
      const phrase = phrases[Math.floor(random() * phrases.length)] as Int16Array;
      for (let i = 0; i < phrase.length; i++) {
        const j = at + i;
        if (j >= 0 && j < samples) out[j] = (out[j] as number) + (phrase[i] as number) / 32768;
      }
      at += phrase.length + Math.floor(random() * VAD_SAMPLE_RATE * 0.25);
    }
  }
  return normalise(out);
}
