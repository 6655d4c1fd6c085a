import type { EndpointEvent } from '../../turn-endpointer.js';
import type { SampleSpan } from './speech-spans.js';

export interface FoundTurn {
  readonly startSample: number;
  readonly speechStartSample: number;
  readonly speechEndSample: number;
  readonly endSample: number;
  readonly reason: string;
}

export interface TurnScore {
  readonly utterances: number;
  /** Utterances that exactly one turn overlaps, and that turn no other utterance: the ones a child would call "heard right". */
  readonly clean: number;
  /** Utterances no turn overlaps. */
  readonly missed: number;
  /** Utterances overlapped by more than one turn: a pause inside was taken for the end. */
  readonly split: number;
  /** Turns overlapping more than one utterance: the pause between them was not heard, or noise bridged it. */
  readonly merged: number;
  /** Turns overlapping no utterance: noise taken for a child. */
  readonly falseTurns: number;
  /** For clean utterances, in samples: the turn's speech end minus the true end of speech (positive is late). */
  readonly endErrors: readonly number[];
  /** For clean utterances, in samples: from the true end of speech to where the turn was ended (the `turn-end` event). */
  readonly endLatencies: readonly number[];
  /** For clean utterances: the turn's speech start minus the true start. */
  readonly startErrors: readonly number[];
  /** Clean utterances whose audio (from the pre-roll on) began at or before the true start. */
  readonly preRollCovered: number;
}

/** The turns in an event stream, in order (a turn still open at the end is left out). */
export function turnsOf(events: readonly EndpointEvent[]): FoundTurn[] {
  const turns: FoundTurn[] = [];
  let open: { startSample: number; speechStartSample: number } | undefined;
  for (const event of events) {
    if (event.type === 'speech-start') open = { startSample: event.startSample, speechStartSample: event.speechStartSample };
    else if (event.type === 'turn-end' && open !== undefined) {
      turns.push({ ...open, speechEndSample: event.speechEndSample, endSample: event.endSample, reason: event.reason });
      open = undefined;
    }
  }
  return turns;
}

/** Matches turns to the true utterances by overlap of their speech. */
export function scoreTurns(turns: readonly FoundTurn[], utterances: readonly SampleSpan[]): TurnScore {
  const overlaps = (turn: FoundTurn, u: SampleSpan): boolean => turn.speechStartSample < u.end && turn.speechEndSample > u.start;
  const turnsPerUtterance = utterances.map((u) => turns.filter((turn) => overlaps(turn, u)));
  const utterancesPerTurn = turns.map((turn) => utterances.filter((u) => overlaps(turn, u)).length);
  const endErrors: number[] = [];
  const endLatencies: number[] = [];
  const startErrors: number[] = [];
  let clean = 0;
  let preRollCovered = 0;
  utterances.forEach((u, i) => {
    const matched = turnsPerUtterance[i] as FoundTurn[];
    const turn = matched[0];
    if (matched.length !== 1 || turn === undefined || utterancesPerTurn[turns.indexOf(turn)] !== 1) return;
    clean++;
    endErrors.push(turn.speechEndSample - u.end);
    endLatencies.push(turn.endSample - u.end);
    startErrors.push(turn.speechStartSample - u.start);
    if (turn.startSample <= u.start) preRollCovered++;
  });
  return {
    utterances: utterances.length,
    clean,
    missed: turnsPerUtterance.filter((m) => m.length === 0).length,
    split: turnsPerUtterance.filter((m) => m.length > 1).length,
    merged: utterancesPerTurn.filter((n) => n > 1).length,
    falseTurns: utterancesPerTurn.filter((n) => n === 0).length,
    endErrors,
    endLatencies,
    startErrors,
    preRollCovered,
  };
}
