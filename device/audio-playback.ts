import { createOpusDecoder } from '../audio/opus-codec.js';
import { Resampler } from '../audio/resampler.js';
import type { Speaker } from '../hardware/speaker.js';
import type { AudioFrame, AudioParams } from '../protocol/index.js';
import { ClickGuard } from './click-guard.js';
import type { Log } from '../log/log.js';
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
  /** Times the speaker was about to run dry mid-turn: the sound faded out instead of clicking. */
  readonly underruns: number;
}

/** Runs `fn` after `ms`; returns a cancel function. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

/** How long before the speaker would run dry the held samples go out faded. */
const UNDERRUN_LEAD_MS = 20;

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
  private stats = { played: 0, staleDropped: 0, overflowDropped: 0, badPackets: 0, underruns: 0 };
  private readonly clickGuard: ClickGuard;
  /** When the speaker will have played everything written so far, estimated from the samples written. */
  private playedUntil = 0;
  private cancelUnderrun: (() => void) | undefined;
  private readonly now: () => number;
  private readonly schedule: Schedule;

  constructor(
    private readonly speaker: Speaker,
    private readonly params: AudioParams,
    private readonly options: { maxQueuedFrames: number; prebufferFrames: number; volume: VolumeControl; log: Log; now?: () => number; schedule?: Schedule },
  ) {
    this.resampler = speaker.sampleRate === params.sampleRate ? undefined : new Resampler(params.sampleRate, speaker.sampleRate);
    this.clickGuard = new ClickGuard(Math.max(1, Math.round(speaker.sampleRate / 200)));
    this.now = options.now ?? performance.now.bind(performance);
    this.schedule = options.schedule ?? realSchedule;
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
    this.cancelUnderrun?.();
    const tail = this.clickGuard.runOut(this.resampler?.flush());
    if (tail.length > 0) await this.write(tail);
    await this.speaker.drain();
  }

  /** Cuts playback at once and forgets the turn, so its late frames are dropped. */
  stop(): void {
    this.generation++;
    this.queue = [];
    this.turn = undefined;
    this.cancelUnderrun?.();
    this.clickGuard.drop();
    this.playedUntil = 0;
    this.speaker.stop();
  }

  /** Plays the queue in order; `runningDry` first fades out what is held, as the speaker is about to run out. */
  private async pump(generation: number, runningDry = false): Promise<void> {
    this.pumpFor = generation;
    this.cancelUnderrun?.();
    try {
      if (runningDry) await this.write(this.clickGuard.runOut());
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
        await this.write(this.clickGuard.next(pcm));
        if (generation === this.generation) this.stats.played++;
      }
      if (generation === this.generation && this.clickGuard.holding) this.watchForUnderrun(generation);
    } catch (error) {
      this.options.log('error', 'playback failed', { error: (error as Error).message });
    } finally {
      if (this.pumpFor === generation) this.pumpFor = undefined;
    }
  }

  /**
   * The queue is empty but the turn goes on. Shortly before the speaker would
   * run dry, play whatever has arrived (even short of the cushion) or, with
   * nothing, let the held samples fade out so the gap is silence, not a click.
   */
  private watchForUnderrun(generation: number): void {
    this.cancelUnderrun?.();
    const delay = Math.max(0, this.playedUntil - this.now() - UNDERRUN_LEAD_MS);
    this.cancelUnderrun = this.schedule(() => {
      this.cancelUnderrun = undefined;
      if (generation !== this.generation || this.pumpFor === generation) return;
      if (this.queue.length === 0) this.stats.underruns++;
      this.pumping = this.pump(generation, this.queue.length === 0);
    }, delay);
  }

  /** The only way to the speaker: the volume and its maximums apply to every sample. */
  private async write(pcm: Int16Array): Promise<void> {
    if (pcm.length === 0) return;
    const now = this.now();
    if (this.firstWriteAt === undefined) this.firstWriteAt = now;
    this.playedUntil = Math.max(now, this.playedUntil) + (pcm.length / this.speaker.sampleRate) * 1000;
    await this.speaker.write(this.options.volume.apply(pcm));
  }
}
