import { createOpusDecoder } from '../audio/opus-codec.js';
import { Resampler } from '../audio/resampler.js';
import type { Speaker } from '../hardware/speaker.js';
import type { AudioFrame, AudioParams } from '../protocol/index.js';
import type { Log } from './log.js';
import type { VolumeControl } from './volume-control.js';

export interface PlaybackStats {
  /** Frames of the current turn handed to the speaker. */
  readonly played: number;
  /** Frames of a turn other than the one playing (an aborted turn's tail): never played. */
  readonly staleDropped: number;
  /** Frames dropped because the queue was full (the gateway sent faster than real time). */
  readonly overflowDropped: number;
  /** Packets that did not decode: skipped. */
  readonly badPackets: number;
}

/**
 * Plays the toy's voice for one turn at a time: Opus packets are queued
 * (bounded), decoded and written to the speaker in order. `finish()` resolves
 * when the last sample has been played.
 */
export class AudioPlayback {
  private turn: number | undefined;
  private queue: Uint8Array[] = [];
  private pumping: Promise<void> = Promise.resolve();
  /** The generation the running pump serves; a stopped turn's pump finishes on its own. */
  private pumpFor: number | undefined;
  private generation = 0;
  private decoder: ReturnType<typeof createOpusDecoder> | undefined;
  private readonly resampler: Resampler | undefined;
  private firstWriteAt: number | undefined;
  private stats = { played: 0, staleDropped: 0, overflowDropped: 0, badPackets: 0 };

  constructor(
    private readonly speaker: Speaker,
    private readonly params: AudioParams,
    private readonly options: { maxQueuedFrames: number; prebufferFrames: number; volume: VolumeControl; log: Log; now?: () => number },
  ) {
    this.resampler = speaker.sampleRate === params.sampleRate ? undefined : new Resampler(params.sampleRate, speaker.sampleRate);
  }

  get counters(): PlaybackStats {
    return { ...this.stats };
  }

  /** When the turn's first samples reached the speaker (performance.now() time), if they have. */
  get firstAudibleAt(): number | undefined {
    return this.firstWriteAt;
  }

  /** Accept audio for `turn` from now on; audio of any other turn is dropped. */
  begin(turn: number): void {
    this.stop();
    this.turn = turn;
    this.firstWriteAt = undefined;
    this.stats.played = 0;
    // One decoder for the process: a new one per turn left native memory waiting for V8's collector,
    // and Opus state settles within a frame of a new voice anyway.
  }

  push(frame: AudioFrame): void {
    if (frame.turn !== this.turn) {
      this.stats.staleDropped++;
      return;
    }
    if (this.queue.length >= this.options.maxQueuedFrames) {
      this.stats.overflowDropped++;
      if (this.stats.overflowDropped === 1) this.options.log('warn', 'playback queue full, dropping audio', { max: this.options.maxQueuedFrames });
      return;
    }
    // The payload is a view into the socket's buffer; keep our own copy.
    this.queue.push(frame.payload.slice());
    // A small jitter cushion: start (or restart after running dry) only with a few frames in hand,
    // so one late packet does not cut the voice into pieces.
    if (this.pumpFor !== this.generation && this.queue.length >= this.options.prebufferFrames) this.pumping = this.pump(this.generation);
  }

  /** Resolves once everything accepted for this turn has been played (or playback was stopped). */
  async finish(): Promise<void> {
    const generation = this.generation;
    // No more frames will come: play whatever is held back by the cushion.
    if (this.pumpFor !== generation && this.queue.length > 0) this.pumping = this.pump(generation);
    await this.pumping;
    if (generation !== this.generation) return;
    const tail = this.resampler?.flush();
    if (tail && tail.length > 0) await this.speaker.write(this.options.volume.apply(tail));
    await this.speaker.drain();
  }

  /** Cuts playback at once and forgets the turn, so its late frames are dropped. */
  stop(): void {
    this.generation++;
    this.queue = [];
    this.turn = undefined;
    this.speaker.stop();
  }

  private async pump(generation: number): Promise<void> {
    this.pumpFor = generation;
    try {
      while (this.queue.length > 0 && generation === this.generation) {
        const packet = this.queue.shift() as Uint8Array;
        this.decoder ??= createOpusDecoder(this.params.sampleRate);
        let pcm: Int16Array;
        try {
          pcm = this.decoder.decode(packet);
        } catch {
          // One damaged packet costs 60 ms of sound, not the rest of the reply.
          this.stats.badPackets++;
          continue;
        }
        if (this.resampler) pcm = this.resampler.push(pcm);
        // The only way to the speaker: the volume and its maximums apply to every sample.
        pcm = this.options.volume.apply(pcm);
        if (this.firstWriteAt === undefined) this.firstWriteAt = (this.options.now ?? performance.now.bind(performance))();
        await this.speaker.write(pcm);
        if (generation === this.generation) this.stats.played++;
      }
    } catch (error) {
      this.options.log('error', 'playback failed', { error: (error as Error).message });
    } finally {
      if (this.pumpFor === generation) this.pumpFor = undefined;
    }
  }
}
