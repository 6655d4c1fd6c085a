import { appendFileSync, createReadStream, existsSync, renameSync, unlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ProviderError } from '../providers/provider-error.js';
import type { Store, TurnRecord } from './store.js';
import type { Log } from '../../log/log.js';

export interface ReplayResult {
  /** Turns now in the store. */
  readonly saved: number;
  /** Turns the store still refused for now; they are back in the fallback file for next time. */
  readonly returned: number;
  /** Lines that are not turns, or turns the store will never take; moved to `<fallback>.rejected`. */
  readonly rejected: number;
  /**
   * Why the replay could not finish (the disk refused a line it had to set aside or put back): the
   * file it worked on stays as it is, and the next start replays it again, harmlessly.
   */
  readonly unfinished?: string;
}

/**
 * Moves turns that TurnLog wrote to the fallback file into the store; run it at start-up. The
 * file is renamed first, so turns spilled meanwhile go to a fresh file, and a replay cut short
 * by a crash is resumed next time. Saves replace by id, so replaying a turn twice is harmless.
 */
export async function replayFallback(store: Store, fallbackPath: string, log: Log): Promise<ReplayResult> {
  const working = `${fallbackPath}.replaying`;
  const total: { saved: number; returned: number; rejected: number; unfinished?: string } = { saved: 0, returned: 0, rejected: 0 };
  // A gateway on a full disk must still start: whatever the disk refuses here is logged, never thrown.
  try {
    // A leftover from an interrupted replay goes first; then the current file, once.
    for (let round = 0; round < 2; round++) {
      const leftover = existsSync(working);
      if (!leftover && !claim(fallbackPath, working)) break;
      const result = await replayFile(store, working, fallbackPath);
      total.saved += result.saved;
      total.returned += result.returned;
      total.rejected += result.rejected;
      if (result.unfinished !== undefined) {
        total.unfinished = result.unfinished;
        break;
      }
      unlinkSync(working);
      if (!leftover || result.returned > 0) break;
    }
  } catch (err) {
    total.unfinished = diskProblem(err);
  }
  if (total.saved + total.returned + total.rejected > 0 || total.unfinished !== undefined) {
    const failed = total.returned + total.rejected > 0 || total.unfinished !== undefined;
    log(failed ? 'error' : 'info', 'replayed the fallback file into the store', { ...total, fallbackPath });
  }
  return total;
}

function claim(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return false;
    throw err;
  }
}

function diskProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/** Appends a line; what the disk said when it refused (ENOSPC, EIO...), or undefined once written. */
function append(path: string, line: string): string | undefined {
  try {
    appendFileSync(path, `${line}\n`, { mode: 0o600 });
    return undefined;
  } catch (err) {
    return diskProblem(err);
  }
}

async function replayFile(store: Store, path: string, fallbackPath: string): Promise<ReplayResult> {
  let saved = 0;
  let returned = 0;
  let rejected = 0;
  // Lines set aside or put back so far are on disk twice if the replay stops: once more is harmless.
  const stop = (problem: string) => ({ saved, returned, rejected, unfinished: problem });
  let problem: string | undefined;
  // After one "try again later" the store is taken to be down: the rest go straight back.
  let storeDown = false;
  const input = createReadStream(path, 'utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    return await replayLines();
  } finally {
    lines.close();
    input.destroy();
  }

  async function replayLines(): Promise<ReplayResult> {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const turn = parseTurn(line);
      if (turn === undefined) {
        if ((problem = append(`${fallbackPath}.rejected`, line)) !== undefined) return stop(problem);
        rejected++;
        continue;
      }
      if (!storeDown) {
        try {
          await store.saveTurn(turn);
          saved++;
          continue;
        } catch (err) {
          if (!(err instanceof ProviderError && err.retryable)) {
            if ((problem = append(`${fallbackPath}.rejected`, line)) !== undefined) return stop(problem);
            rejected++;
            continue;
          }
          storeDown = true;
        }
      }
      if ((problem = append(fallbackPath, line)) !== undefined) return stop(problem);
      returned++;
    }
    return { saved, returned, rejected };
  }
}

function parseTurn(line: string): TurnRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const turn = value as Record<string, unknown>;
  const strings = ['id', 'deviceId', 'sessionId', 'startedAt', 'transcript', 'reply', 'outcome'];
  const ok =
    strings.every((key) => typeof turn[key] === 'string') &&
    typeof turn.turn === 'number' &&
    Array.isArray(turn.safety) &&
    typeof turn.timings === 'object' &&
    turn.timings !== null;
  return ok ? (value as TurnRecord) : undefined;
}
