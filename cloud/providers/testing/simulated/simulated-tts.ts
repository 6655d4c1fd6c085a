import { abortError } from '../../provider-error.js';
import type { ToyVoice } from '../../../toy/toy-profile.js';
import type { Tts } from '../../tts/tts.js';
import { simulatedDelay } from './simulated-delay.js';
import type { LatencyObserver } from './simulated-latencies.js';

export interface SimulatedTtsOptions {
  /** From the request to the first chunk. */
  readonly firstByteMs: number;
  /** Default 24000, the downlink's rate, so the gateway encodes it as it comes. */
  readonly sampleRate?: number;
  /** How long the speech of one word lasts (default 60 ms). */
  readonly msPerWord?: number;
  /** Audio per chunk (default 120 ms: two downlink frames). */
  readonly chunkMs?: number;
  /** How many times faster than real time the chunks after the first come (default 10). */
  readonly speed?: number;
  readonly observe?: LatencyObserver;
}

const AMPLITUDE = 2000;
/** A whole number of samples per period at the usual rates (100 at 24 kHz), so one period is computed once and copied. */
const PITCH_HZ = 240;

/**
 * A voice that answers with a quiet tone as long as the words would take to say: the first chunk
 * `firstByteMs` after the request, the rest faster than real time, as a streaming service
 * sends them. Every chunk is fresh, so a consumer may keep it.
 */
export class SimulatedTts implements Tts {
  readonly name = 'simulated';
  readonly sampleRate: number;
  private readonly firstByteMs: number;
  private readonly msPerWord: number;
  private readonly chunkSamples: number;
  private readonly gapMs: number;
  private readonly observe: LatencyObserver | undefined;
  /** One period of the tone, or a whole chunk's worth when the rate has no whole period. */
  private readonly period: Int16Array;

  constructor(options: SimulatedTtsOptions) {
    this.sampleRate = options.sampleRate ?? 24_000;
    this.firstByteMs = options.firstByteMs;
    this.msPerWord = options.msPerWord ?? 60;
    const chunkMs = options.chunkMs ?? 120;
    this.chunkSamples = Math.max(1, Math.round((chunkMs * this.sampleRate) / 1000));
    this.gapMs = chunkMs / (options.speed ?? 10);
    this.observe = options.observe;
    // The voice's CPU would be the provider's, not the gateway's: the tone costs a copy, not a sine per sample.
    const samples = Number.isInteger(this.sampleRate / PITCH_HZ) ? this.sampleRate / PITCH_HZ : this.chunkSamples;
    this.period = Int16Array.from({ length: samples }, (_, i) => Math.round(AMPLITUDE * Math.sin((2 * Math.PI * PITCH_HZ * i) / this.sampleRate)));
  }

  async *synthesize(text: string, _voice: ToyVoice, signal: AbortSignal): AsyncIterable<Int16Array> {
    if (signal.aborted) throw abortError(signal);
    const words = text.split(/\s+/).filter((word) => word !== '').length;
    const total = Math.round((words * this.msPerWord * this.sampleRate) / 1000);
    for (let at = 0; at < total; at += this.chunkSamples) {
      const waited = await simulatedDelay(at === 0 ? this.firstByteMs : this.gapMs, signal);
      if (at === 0) this.observe?.('ttsFirstByte', this.firstByteMs, waited);
      yield this.tone(at, Math.min(this.chunkSamples, total - at));
    }
  }

  private tone(from: number, length: number): Int16Array {
    const pcm = new Int16Array(length);
    const period = this.period.length;
    let at = 0;
    for (let phase = from % period; at < length; phase = 0) {
      const part = this.period.subarray(phase, Math.min(period, phase + length - at));
      pcm.set(part, at);
      at += part.length;
    }
    return pcm;
  }
}
