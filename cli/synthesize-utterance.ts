import { speakWithEspeak } from '../audio/espeak-speech.js';
import { MICROPHONE_SAMPLE_RATE } from '../hardware/microphone.js';

/** A child's phrase as 16 kHz microphone samples, spoken by espeak-ng, with a little silence around it. */
export async function synthesizeUtterance(text: string, signal: AbortSignal = new AbortController().signal): Promise<Int16Array> {
  const chunks: Int16Array[] = [];
  for await (const pcm of speakWithEspeak(text, { voice: 'en-us', pitch: 60, speed: 150, sampleRate: MICROPHONE_SAMPLE_RATE }, signal)) chunks.push(pcm);
  const pad = MICROPHONE_SAMPLE_RATE / 5;
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Int16Array(pad + total + pad);
  let offset = pad;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
