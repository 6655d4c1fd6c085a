/** How one direction's audio is encoded. Every binary frame carries one Opus packet of `frameMs`. */
export interface AudioParams {
  readonly codec: 'opus';
  readonly sampleRate: 8000 | 12000 | 16000 | 24000 | 48000;
  readonly channels: 1;
  readonly frameMs: 20 | 40 | 60;
}

/** Device to gateway: the child's voice. 16 kHz is what speech recognisers want. */
export const UPLINK_AUDIO: AudioParams = Object.freeze({ codec: 'opus', sampleRate: 16000, channels: 1, frameMs: 60 });

/** Gateway to device: the toy's voice. 24 kHz keeps synthesized voices crisp at a low bitrate. */
export const DOWNLINK_AUDIO: AudioParams = Object.freeze({ codec: 'opus', sampleRate: 24000, channels: 1, frameMs: 60 });

export const AUDIO_SAMPLE_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];
export const AUDIO_FRAME_MS: readonly number[] = [20, 40, 60];

/** Samples in one frame of these parameters. */
export function frameSamples(params: AudioParams): number {
  return (params.sampleRate * params.frameMs) / 1000;
}
