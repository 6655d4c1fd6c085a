import { VAD_SAMPLE_RATE } from '../../vad.js';

/**
 * Sounds a toy's microphone meets that are not a child talking. Steady: white (hiss), pink (a
 * fan, rain), brown (a car, a washing machine: mostly rumble), mains hum with its harmonics.
 * Not steady: a melody (a music box: harmonic notes, the thing an energy detector cannot tell
 * from a voice) and knocks (blocks banged on a table, a few a second).
 */
export type NoiseKind = 'white' | 'pink' | 'brown' | 'hum' | 'melody' | 'knocks';

export const STEADY_NOISES: readonly NoiseKind[] = ['white', 'pink', 'brown', 'hum'];

/** `samples` of noise at 16 kHz with an RMS of 1, the same for the same seed. */
export function makeNoise(kind: NoiseKind, samples: number, seed = 1): Float32Array {
  const random = gaussian(seed);
  const out = new Float32Array(samples);
  switch (kind) {
    case 'white':
      for (let i = 0; i < samples; i++) out[i] = random();
      break;
    case 'pink': {
      // Paul Kellet's economy filter: within 0.5 dB of -3 dB/octave across the audio band.
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      for (let i = 0; i < samples; i++) {
        const w = random();
        b0 = 0.99765 * b0 + w * 0.099046;
        b1 = 0.963 * b1 + w * 0.2965164;
        b2 = 0.57 * b2 + w * 1.0526913;
        out[i] = b0 + b1 + b2 + w * 0.1848;
      }
      break;
    }
    case 'brown': {
      // Leaky integration keeps it from wandering off to a DC offset.
      let y = 0;
      for (let i = 0; i < samples; i++) {
        y = 0.995 * y + random() * 0.1;
        out[i] = y;
      }
      break;
    }
    case 'hum': {
      const phase = (seed % 97) / 97;
      for (let i = 0; i < samples; i++) {
        const t = i / VAD_SAMPLE_RATE + phase;
        let v = 0;
        for (let h = 1; h <= 6; h++) v += Math.sin(2 * Math.PI * 50 * h * t) / h;
        out[i] = v + 0.05 * random();
      }
      break;
    }
    case 'melody':
      melody(out, seed);
      break;
    case 'knocks':
      knocks(out, seed);
      break;
  }
  return normalise(out);
}

/** Notes of a pentatonic scale, 150-450 ms each, four harmonics, a quick attack and a ringing decay. */
function melody(out: Float32Array, seed: number): void {
  const uniform = seededUniform(seed);
  const scale = [523.25, 587.33, 659.25, 783.99, 880, 1046.5];
  for (let at = 0; at < out.length; ) {
    const length = Math.round((0.15 + 0.3 * uniform()) * VAD_SAMPLE_RATE);
    const f = scale[Math.floor(uniform() * scale.length)] as number;
    for (let i = 0; i < length && at + i < out.length; i++) {
      const t = i / VAD_SAMPLE_RATE;
      const envelope = Math.min(1, t / 0.01) * Math.exp(-t / 0.25);
      let v = 0;
      for (let h = 1; h <= 4; h++) v += Math.sin(2 * Math.PI * f * h * t) / (h * h);
      out[at + i] = (out[at + i] as number) + v * envelope;
    }
    at += length;
  }
}

/** Broadband knocks decaying in 5-15 ms, 1-4 a second, on a faint hiss. */
function knocks(out: Float32Array, seed: number): void {
  const uniform = seededUniform(seed);
  const random = gaussian(seed + 1);
  for (let i = 0; i < out.length; i++) out[i] = 0.003 * random();
  for (let at = Math.floor(uniform() * VAD_SAMPLE_RATE); at < out.length; at += Math.floor((0.25 + 0.75 * uniform()) * VAD_SAMPLE_RATE)) {
    const decay = (0.005 + 0.01 * uniform()) * VAD_SAMPLE_RATE;
    let thud = 0;
    for (let i = 0; i < 6 * decay && at + i < out.length; i++) {
      thud = 0.9 * thud + 0.1 * random();
      out[at + i] = (out[at + i] as number) + (0.5 * random() + 4 * thud) * Math.exp(-i / decay);
    }
  }
}

/** Scales `signal` in place to an RMS of 1 (all zeros stay zeros). */
export function normalise(signal: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < signal.length; i++) sum += (signal[i] as number) ** 2;
  const rms = Math.sqrt(sum / Math.max(1, signal.length));
  if (rms > 0) for (let i = 0; i < signal.length; i++) signal[i] = (signal[i] as number) / rms;
  return signal;
}

/** A seeded standard normal generator (mulberry32 and Box-Muller): test sets must not change between runs. */
export function gaussian(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
