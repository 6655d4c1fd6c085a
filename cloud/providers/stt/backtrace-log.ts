/** One word (or silence, noise, null transition) of a decoded utterance, as `-backtrace yes` logs it. */
export interface Segment {
  /** As logged: alternates keep their "(2)", fillers look like "<sil>" or "[NOISE]". */
  readonly word: string;
  /** 10 ms frames, inclusive, counted from the start of the utterance. */
  readonly startFrame: number;
  readonly endFrame: number;
  /** Log acoustic likelihood in pocketsphinx's scaled units; only differences mean anything. */
  readonly acousticScore: number;
}

// Enough for one long utterance of a phone loop (a phone is at least 3 frames).
const MAX_SEGMENTS = 4000;
const MAX_LINE = 2048;
const MAX_UTTERANCES = 16;

const HEADER = /pocketsphinx\.c\(\d+\): (.*) \((-?\d+)\)$/;
const ROW = /^(\S+)\s+(\d+)\s+(\d+)\s+(-?[\d.]+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)$/;

/**
 * Reads pocketsphinx_continuous's log (its stderr) as it streams and keeps only what the
 * recogniser needs: the word backtrace of each utterance and the last error. The configuration dump and progress lines are dropped,
 * and every part is bounded, so a chatty or broken decoder cannot grow memory.
 */
export class BacktraceLog {
  private partial = '';
  private readonly found: Segment[][] = [];
  private current: Segment[] | undefined;
  private segmentCount = 0;
  private error: string | undefined;

  push(text: string): void {
    const pieces = (this.partial + text).split('\n');
    this.partial = (pieces.pop() ?? '').slice(0, MAX_LINE);
    for (const piece of pieces) this.line(piece.slice(0, MAX_LINE));
  }

  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  /** The backtrace of each utterance that produced one, in order. */
  get utterances(): readonly (readonly Segment[])[] {
    return this.found;
  }

  /** The last ERROR or FATAL line, for messages. */
  get lastError(): string | undefined {
    return this.error;
  }

  private line(raw: string): void {
    const line = raw.trimEnd();
    const header = HEADER.exec(line);
    if (header !== null) {
      if (this.found.length >= MAX_UTTERANCES) {
        this.current = undefined;
        return;
      }
      this.current = [];
      this.found.push(this.current);
      return;
    }
    if (this.current !== undefined) {
      const row = ROW.exec(line.trim());
      if (row !== null) {
        if (this.segmentCount < MAX_SEGMENTS) {
          this.segmentCount++;
          this.current.push({
            word: row[1] ?? '',
            startFrame: Number(row[2]),
            endFrame: Number(row[3]),
            acousticScore: Number(row[5]),
          });
        }
        return;
      }
      // The column titles sit between the header and the rows.
      if (/^word\s+start\s+end/.test(line.trim())) return;
      this.current = undefined;
    }
    if (/^(ERROR|FATAL)/.test(line)) this.error = line;
  }
}

/** Real words only: not silence, noise fillers or the null transitions of the grammar. */
export function isWordSegment(segment: Segment): boolean {
  return !/^[<[(]/.test(segment.word);
}
