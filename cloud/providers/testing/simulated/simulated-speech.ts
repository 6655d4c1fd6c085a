/**
 * A sound that passes for speech with the speech gate (and so with SimulatedStt): a voiced buzz
 * broken into syllables, four a second, with quiet gaps between them. Speech is told from steady
 * noise by how much its loudness swings, and this swings from loud to nearly nothing.
 */
export function simulatedSpeech(seconds: number, sampleRate = 16_000, amplitude = 8000): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * sampleRate));
  const syllable = sampleRate / 4;
  const voiced = syllable * 0.7;
  for (let i = 0; i < pcm.length; i++) {
    const within = i % syllable;
    if (within >= voiced) continue;
    const envelope = Math.sin((Math.PI * within) / voiced);
    const t = i / sampleRate;
    // A 140 Hz voice with two harmonics, so the codec sees something like a vowel, not a pure tone.
    const buzz = Math.sin(2 * Math.PI * 140 * t) + 0.5 * Math.sin(2 * Math.PI * 280 * t) + 0.25 * Math.sin(2 * Math.PI * 420 * t);
    pcm[i] = Math.round((amplitude * envelope * buzz) / 1.75);
  }
  return pcm;
}
