import { createOpusEncoder } from '../../../../audio/opus-codec.js';
import { UPLINK_AUDIO, frameSamples } from '../../../../protocol/index.js';
import { simulatedSpeech } from './simulated-speech.js';

/**
 * `frames` uplink frames of simulated speech as a device sends them (Opus, 16 kHz, 60 ms, the
 * device's 16 kbit/s voice setting), encoded once so that many simulated devices can share them.
 */
export function simulatedUplink(frames: number): Uint8Array[] {
  const encoder = createOpusEncoder({ sampleRate: UPLINK_AUDIO.sampleRate, frameMs: UPLINK_AUDIO.frameMs, bitrate: 16_000, application: 'voip' });
  const samples = frameSamples(UPLINK_AUDIO);
  const speech = simulatedSpeech((frames * samples) / UPLINK_AUDIO.sampleRate, UPLINK_AUDIO.sampleRate);
  return Array.from({ length: frames }, (_, i) => encoder.encode(speech.subarray(i * samples, (i + 1) * samples)));
}
