import { ProviderError } from '../../providers/provider-error.js';
import { hashDeviceSecret, newDeviceSecret, verifyDeviceSecret } from '../device-secret.js';
import { searchTerms } from '../search-terms.js';
import {
  checkConversation,
  knowledgeLimit,
  mergeSettings,
  normalizeKnowledge,
  settingsProblem,
  type Conversation,
  type DeviceRecord,
  type KnowledgeFact,
  type KnowledgeFactInput,
  type ParentSettings,
  type Store,
  type StoredConversation,
  type TurnRecord,
  INTERRUPTED_ERROR,
  TURN_PROGRESS,
  turnStage,
} from '../store.js';

interface StoredTurn {
  readonly turn: TurnRecord;
  readonly startedMs: number;
  /** Insertion order, to break ties between turns that started in the same millisecond. */
  readonly seq: number;
}

interface IndexedFact {
  readonly fact: KnowledgeFact;
  readonly keywordStems: ReadonlySet<string>;
  readonly textStems: ReadonlySet<string>;
}

/**
 * A Store that lives in memory: the fake for tests of the gateway and dashboard, which need the
 * contract but not a native module or a file. It keeps everything until closed, so it is not for production.
 */
export class MemoryStore implements Store {
  readonly #turns = new Map<string, StoredTurn>();
  readonly #devices = new Map<string, { hash: string; createdAt: string; settings: ParentSettings }>();
  /** Keyed by device id, then toy id, so a parent's delete drops a device's memory in one go. */
  readonly #conversations = new Map<string, Map<string, StoredConversation>>();
  readonly #knowledge = new Map<string, readonly IndexedFact[]>();
  #seq = 0;
  #closed = false;

  async saveTurn(turn: TurnRecord): Promise<void> {
    this.#open();
    const startedMs = Date.parse(turn.startedAt);
    if (Number.isNaN(startedMs)) throw new ProviderError('invalid_turn', `turn ${turn.id} has an unreadable startedAt`);
    const stored = this.#turns.get(turn.id);
    if (stored !== undefined && turnStage(turn.outcome) < turnStage(stored.turn.outcome)) return;
    const seq = stored?.seq ?? ++this.#seq;
    // A copy, so a caller changing its object later cannot change the log.
    this.#turns.set(turn.id, { turn: structuredClone(turn), startedMs, seq });
  }

  async interruptUnfinishedTurns(): Promise<number> {
    this.#open();
    let marked = 0;
    for (const [id, stored] of this.#turns) {
      if (!TURN_PROGRESS.includes(stored.turn.outcome)) continue;
      this.#turns.set(id, { ...stored, turn: { ...stored.turn, outcome: 'interrupted', error: { ...INTERRUPTED_ERROR } } });
      marked++;
    }
    return marked;
  }

  async listTurns(query: { deviceId?: string; limit?: number }): Promise<TurnRecord[]> {
    this.#open();
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new ProviderError('invalid_query', `limit must be a whole number of at least 0, not ${limit}`);
    }
    return [...this.#turns.values()]
      .filter((stored) => query.deviceId === undefined || stored.turn.deviceId === query.deviceId)
      .sort((a, b) => b.startedMs - a.startedMs || b.seq - a.seq)
      .slice(0, Math.min(limit, 1000))
      .map((stored) => structuredClone(stored.turn));
  }

  async deleteTurns(deviceId: string): Promise<number> {
    this.#open();
    let deleted = 0;
    for (const [id, stored] of this.#turns) {
      if (stored.turn.deviceId === deviceId && this.#turns.delete(id)) deleted++;
    }
    this.#conversations.delete(deviceId);
    return deleted;
  }

  async conversation(deviceId: string, toyId: string): Promise<StoredConversation | undefined> {
    this.#open();
    const stored = this.#conversations.get(deviceId)?.get(toyId);
    return stored === undefined ? undefined : structuredClone(stored);
  }

  async saveConversation(deviceId: string, toyId: string, conversation: Conversation): Promise<void> {
    this.#open();
    checkConversation(deviceId, toyId, conversation);
    const messages = conversation.messages.map(({ role, content }) => ({ role, content }));
    let toys = this.#conversations.get(deviceId);
    if (toys === undefined) this.#conversations.set(deviceId, (toys = new Map()));
    toys.set(toyId, { summary: conversation.summary, messages, updatedAt: new Date().toISOString() });
  }

  async putKnowledge(toyId: string, facts: readonly KnowledgeFactInput[]): Promise<void> {
    this.#open();
    const indexed = normalizeKnowledge(toyId, facts).map((fact) => ({
      fact,
      keywordStems: new Set(fact.keywords.flatMap(searchTerms).map(stem)),
      textStems: new Set(searchTerms(fact.text).map(stem)),
    }));
    if (indexed.length === 0) this.#knowledge.delete(toyId);
    else this.#knowledge.set(toyId, indexed);
  }

  /**
   * Term overlap: a query word among a fact's keywords scores 2, in its text 1 (as SQLite weighs
   * the two columns); ties go to the fact with fewer words, then to the earlier fact.
   */
  async searchKnowledge(toyId: string, query: string, limit: number): Promise<KnowledgeFact[]> {
    this.#open();
    const max = knowledgeLimit(limit);
    const terms = new Set(searchTerms(query).map(stem));
    if (terms.size === 0 || max === 0) return [];
    const scored = (this.#knowledge.get(toyId) ?? []).map((indexed, position) => {
      let score = 0;
      for (const term of terms) score += indexed.keywordStems.has(term) ? 2 : indexed.textStems.has(term) ? 1 : 0;
      return { indexed, position, score, size: indexed.textStems.size + indexed.keywordStems.size };
    });
    return scored
      .filter((entry) => entry.score > 0)
      .sort((a, b) => b.score - a.score || a.size - b.size || a.position - b.position)
      .slice(0, max)
      .map((entry) => structuredClone(entry.indexed.fact));
  }

  async addDevice(deviceId: string): Promise<string> {
    const secret = newDeviceSecret();
    await this.addDeviceWithSecret(deviceId, secret);
    return secret;
  }

  async addDeviceWithSecret(deviceId: string, secret: string): Promise<void> {
    this.#open();
    if (deviceId.length === 0 || deviceId.length > 128) {
      throw new ProviderError('invalid_device_id', 'a device id must be 1 to 128 characters');
    }
    const hash = await hashDeviceSecret(secret);
    const existing = this.#devices.get(deviceId);
    this.#devices.set(deviceId, { hash, createdAt: existing?.createdAt ?? new Date().toISOString(), settings: existing?.settings ?? {} });
  }

  async verifyDevice(deviceId: string, secret: string): Promise<boolean> {
    this.#open();
    return verifyDeviceSecret(this.#devices.get(deviceId)?.hash, secret);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    this.#open();
    return [...this.#devices].map(([id, device]) => ({ id, createdAt: device.createdAt, settings: { ...device.settings } }));
  }

  async deviceSettings(deviceId: string): Promise<ParentSettings> {
    this.#open();
    return { ...this.#devices.get(deviceId)?.settings };
  }

  async updateDeviceSettings(deviceId: string, change: Record<string, unknown>): Promise<ParentSettings> {
    this.#open();
    const problem = settingsProblem(change);
    if (problem !== undefined) throw new ProviderError('invalid_settings', problem);
    const device = this.#devices.get(deviceId);
    if (device === undefined) throw new ProviderError('unknown_device', `no device '${deviceId}'`);
    device.settings = mergeSettings(device.settings, change);
    return { ...device.settings };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new ProviderError('store_unavailable', 'the memory store is closed');
  }
}

/** Enough stemming that "carrots" finds "carrot" and "bunnies" finds "bunny", as Porter does in SQLite. */
function stem(term: string): string {
  if (term.length > 4 && term.endsWith('ies')) return `${term.slice(0, -3)}y`;
  if (term.length > 3 && term.endsWith('s') && !term.endsWith('ss')) return term.slice(0, -1);
  return term;
}
