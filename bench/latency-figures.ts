import type { SimulatedLatencies } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import type { CriticalPath } from './critical-path.js';
import type { DeviceTurn } from './latency-device.js';
import { percentile } from './percentile.js';

/** A turn of one device in one run; warm-up turns count for failures only. */
export interface BenchTurn extends DeviceTurn {
  readonly device: number;
  readonly warmUp: boolean;
}

export interface Spread {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly max: number | null;
}

/** Where the overhead goes: each part of the gateway's own timeline, less the provider's time in it. */
export const PARTS = [
  ['stt', 'listen stop to transcript, less STT'],
  ['safetyIn', 'transcript to input verdict, less safety'],
  ['llmFirstToken', 'input verdict to first token, less first token'],
  ['firstChunk', 'first token to first chunk, less the tokens between'],
  ['safetyOutTts', 'first chunk to first voice audio, less safety and TTS first byte'],
  ['firstFrame', 'first voice audio to first frame sent (Opus, pacing, send)'],
  ['gateway', 'the gateway in all (its firstAudio less the critical path)'],
  ['wire', 'wire and queues (voice-to-voice less the gateway firstAudio)'],
] as const;

export type Part = (typeof PARTS)[number][0];

export interface LatencyFigures {
  readonly turnsMeasured: number;
  readonly turnsCompleted: number;
  /** Warm-up turns included: every turn that went wrong. */
  readonly turnsFailed: number;
  readonly errors: Readonly<Record<string, number>>;
  /**
   * At each measured turn's listen stop, how many other devices were in a turn (from their listen
   * start to its end) and how many of those were being answered (past their listen stop).
   */
  readonly concurrentTurns: { readonly mean: number | null; readonly max: number | null };
  readonly concurrentAnswers: { readonly mean: number | null; readonly max: number | null };
  readonly voiceToVoiceMs: Spread;
  readonly overheadMs: Spread;
  readonly goalMet: boolean;
  readonly partsMs: Readonly<Record<Part, Spread>>;
}

const GOAL_MS = 50;

export function latencyFigures(turns: readonly BenchTurn[], latencies: SimulatedLatencies, path: CriticalPath): LatencyFigures {
  const measured = turns.filter((t) => !t.warmUp);
  const good = measured.filter((t) => t.voiceToVoiceMs !== undefined);
  const errors: Record<string, number> = {};
  for (const t of turns) if (t.error !== undefined) errors[t.error] = (errors[t.error] ?? 0) + 1;
  const v2v = good.map((t) => t.voiceToVoiceMs as number);
  const overhead = v2v.map((ms) => ms - path.ms);
  const parts = {} as Record<Part, Spread>;
  for (const [part] of PARTS) parts[part] = spread(good.flatMap((t) => finite(partOf(part, t, latencies, path))));
  const others = (t: BenchTurn, from: (o: BenchTurn) => number) =>
    turns.filter((o) => o.device !== t.device && from(o) <= t.stoppedAt && o.endedAt >= t.stoppedAt).length;
  const concurrent = measured.map((t) => others(t, (o) => o.startedAt));
  const answering = measured.map((t) => others(t, (o) => o.stoppedAt));
  const overheadSpread = spread(overhead);
  return {
    turnsMeasured: measured.length,
    turnsCompleted: good.length,
    turnsFailed: turns.filter((t) => t.error !== undefined).length,
    errors,
    concurrentTurns: meanMax(concurrent),
    concurrentAnswers: meanMax(answering),
    voiceToVoiceMs: spread(v2v),
    overheadMs: overheadSpread,
    goalMet: overheadSpread.p95 !== null && overheadSpread.p95 < GOAL_MS,
    partsMs: parts,
  };
}

/** One part of one turn, from the gateway's metrics (ms from its listen stop) and the device's clock. */
function partOf(part: Part, turn: BenchTurn, l: SimulatedLatencies, path: CriticalPath): number {
  const g = turn.gateway ?? {};
  const at = (name: string) => g[name] ?? Number.NaN;
  switch (part) {
    case 'stt':
      return at('stt') - l.sttMs;
    case 'safetyIn':
      return at('safetyIn') - at('stt') - l.safetyMs;
    case 'llmFirstToken':
      return at('llmFirstToken') - at('safetyIn') - l.llmFirstTokenMs;
    case 'firstChunk':
      return at('firstSentence') - at('llmFirstToken') - (path.firstChunkTokens - 1) * l.llmTokenMs;
    case 'safetyOutTts':
      return at('ttsFirstByte') - at('firstSentence') - l.safetyMs - l.ttsFirstByteMs;
    case 'firstFrame':
      return at('firstAudio') - at('ttsFirstByte');
    case 'gateway':
      return at('firstAudio') - path.ms;
    case 'wire':
      return (turn.voiceToVoiceMs ?? Number.NaN) - at('firstAudio');
  }
}

function meanMax(counts: readonly number[]): { mean: number | null; max: number | null } {
  if (counts.length === 0) return { mean: null, max: null };
  return { mean: round(counts.reduce((a, b) => a + b, 0) / counts.length), max: counts.reduce((a, b) => Math.max(a, b), 0) };
}

function finite(n: number): number[] {
  return Number.isFinite(n) ? [n] : [];
}

function spread(values: readonly number[]): Spread {
  const p = (q: number) => {
    const v = percentile(values, q);
    return v === null ? null : round(v);
  };
  return { p50: p(50), p95: p(95), max: values.length === 0 ? null : round(values.reduce((a, b) => Math.max(a, b), -Infinity)) };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
