import { createOpusEncoder } from '../audio/opus-codec.js';
import { FrameChunker } from '../audio/frame-chunker.js';
import type { Microphone } from '../hardware/microphone.js';
import { frameSamples, type AudioParams } from '../protocol/index.js';
import { LevelNormalizer } from './level-normalizer.js';

/**
 * Turns the microphone's PCM into Opus packets of exactly one protocol frame
 * each. The last partial frame is padded with silence so no word is cut.
 */
export class AudioCapture {
  private encoder: ReturnType<typeof createOpusEncoder> | undefined;
  private readonly level = new LevelNormalizer();

  constructor(
    private readonly microphone: Microphone,
    private readonly params: AudioParams,
    private readonly bitrate: number,
  ) {
    if (microphone.sampleRate !== params.sampleRate) {
      throw new Error(`microphone delivers ${microphone.sampleRate} Hz but the uplink wants ${params.sampleRate} Hz`);
    }
  }

  /** Opus packets until `signal` aborts and the microphone has handed over what it had. */
  async *packets(signal: AbortSignal): AsyncIterable<Uint8Array> {
    // One encoder for the process: Opus state carries across frames, and the
    // start of a new utterance costs at most one frame of adaptation.
    this.encoder ??= createOpusEncoder({
      sampleRate: this.params.sampleRate,
      frameMs: this.params.frameMs,
      bitrate: this.bitrate,
      application: 'voip',
      // Discontinuous transmission: the pauses around a child's words cost a byte a frame, not a hundred.
      dtx: true,
    });
    const chunker = new FrameChunker(frameSamples(this.params));
    // Each utterance starts from unity gain: the last child's distance says nothing about this one.
    this.level.reset();
    for await (const pcm of this.microphone.capture(signal)) {
      for (const frame of chunker.push(this.level.process(pcm))) yield this.encoder.encode(frame);
    }
    const last = chunker.flush();
    if (last) yield this.encoder.encode(last);
  }
}
