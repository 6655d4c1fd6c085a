/** Root mean square of the samples, in sample units (0..32768); 0 for no samples. */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s = pcm[i] ?? 0;
    sum += s * s;
  }
  return Math.sqrt(sum / pcm.length);
}

/** Largest absolute sample (0..32768); 0 for no samples. */
export function peak(pcm: Int16Array): number {
  let max = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s = Math.abs(pcm[i] ?? 0);
    if (s > max) max = s;
  }
  return max;
}
