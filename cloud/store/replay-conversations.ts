import { appendFileSync, existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import type { Log } from '../../log/log.js';
import { ProviderError } from '../providers/provider-error.js';
import type { UnsavedConversation } from './conversation-log.js';
import type { Store } from './store.js';

export interface ConversationReplayResult {
  /** Memories now in the store. */
  readonly saved: number;
  /** Memories the store had a newer save of: left as the store has them. */
  readonly stale: number;
  /** Memories the store still refused for now: back in the fallback file for next time. */
  readonly returned: number;
  /** Lines that are not memories, or memories the store will never take: moved to `<fallback>.rejected`. */
  readonly rejected: number;
  /** Why the replay could not finish (the disk refused a line); the file it worked on stays for next time. */
  readonly unfinished?: string;
}

/**
 * Moves the memories ConversationLog wrote to its fallback file into the store; run it at
 * start-up. Only the newest line of each device and toy counts, and only when it is newer than
 * what the store has. The file is renamed first (as replayFallback does), so a replay cut short is
 * resumed next time; the file is bounded by its writer's cap, so reading it whole is too.
 */
export async function replayConversations(store: Pick<Store, 'conversation' | 'saveConversation'>, fallbackPath: string, log: Log): Promise<ConversationReplayResult> {
  const working = `${fallbackPath}.replaying`;
  const result = { saved: 0, stale: 0, returned: 0, rejected: 0 } as { saved: number; stale: number; returned: number; rejected: number; unfinished?: string };
  try {
    if (!existsSync(working)) {
      try {
        renameSync(fallbackPath, working);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOENT') return result;
        throw err;
      }
    }
    const newest = new Map<string, UnsavedConversation>();
    for (const line of readFileSync(working, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const entry = parseEntry(line);
      if (entry === undefined) {
        appendFileSync(`${fallbackPath}.rejected`, `${line}\n`, { mode: 0o600 });
        result.rejected++;
        continue;
      }
      const id = `${entry.deviceId}\u0000${entry.toyId}`;
      const seen = newest.get(id);
      if (seen === undefined || Date.parse(seen.at) <= Date.parse(entry.at)) newest.set(id, entry);
    }
    let storeDown = false;
    for (const entry of newest.values()) {
      if (!storeDown) {
        try {
          const stored = await store.conversation(entry.deviceId, entry.toyId);
          if (stored !== undefined && Date.parse(stored.updatedAt) >= Date.parse(entry.at)) {
            result.stale++;
            continue;
          }
          await store.saveConversation(entry.deviceId, entry.toyId, entry);
          result.saved++;
          continue;
        } catch (err) {
          if (!(err instanceof ProviderError && err.retryable)) {
            appendFileSync(`${fallbackPath}.rejected`, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
            result.rejected++;
            continue;
          }
          storeDown = true;
        }
      }
      appendFileSync(fallbackPath, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
      result.returned++;
    }
    unlinkSync(working);
  } catch (err) {
    // A gateway on a full disk must still start: the working file stays, and the next start replays it.
    const code = (err as { code?: unknown }).code;
    result.unfinished = typeof code === 'string' ? code : (err as Error).message;
  }
  if (result.saved + result.returned + result.rejected + result.stale > 0 || result.unfinished !== undefined) {
    const failed = result.returned + result.rejected > 0 || result.unfinished !== undefined;
    log(failed ? 'error' : 'info', 'replayed the conversation fallback file into the store', { ...result, fallbackPath });
  }
  return result;
}

function parseEntry(line: string): UnsavedConversation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Record<string, unknown>;
  const ok =
    ['deviceId', 'toyId', 'summary', 'at'].every((field) => typeof entry[field] === 'string') &&
    !Number.isNaN(Date.parse(entry['at'] as string)) &&
    Array.isArray(entry['messages']);
  return ok ? (value as UnsavedConversation) : undefined;
}
