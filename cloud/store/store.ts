import { VOLUME_RANGE } from '../../protocol/index.js';
import { ProviderError } from '../providers/provider-error.js';
import type { SafetyVerdict } from '../providers/safety/safety-filter.js';

/** How a turn ended. */
export type TurnOutcome = 'answered' | 'not_understood' | 'blocked' | 'aborted' | 'failed';

/**
 * What a turn's record says: how it ended, or how far it got while still under way. A turn is
 * recorded once the child's first audio arrives ('started'), again once its words are known
 * ('heard'), and again when it ends. A row still under way when the gateway starts belongs to a
 * gateway that stopped mid-turn: it becomes 'interrupted'.
 */
export type TurnStatus = TurnOutcome | 'started' | 'heard' | 'interrupted';

/** Statuses of a turn still under way, in the order a turn goes through them. */
export const TURN_PROGRESS: readonly TurnStatus[] = ['started', 'heard'];

/**
 * How far along a status is: a save never replaces a record with one that is less far along, so
 * a late retry or a replayed 'started' cannot undo a turn's end.
 */
export function turnStage(status: string): number {
  const index = TURN_PROGRESS.indexOf(status as TurnStatus);
  return index === -1 ? TURN_PROGRESS.length : index;
}

/** What an interrupted turn's record carries as its error. */
export const INTERRUPTED_ERROR = { code: 'gateway_stopped', message: 'the gateway stopped before this turn ended' } as const;

export interface SafetyRecord extends SafetyVerdict {
  readonly direction: 'input' | 'output';
  readonly text: string;
}

/** One turn of a conversation, as the parent dashboard will see it. */
export interface TurnRecord {
  readonly id: string;
  readonly deviceId: string;
  readonly sessionId: string;
  /** The device's turn number within its session. */
  readonly turn: number;
  /** ISO 8601, when the child started speaking. */
  readonly startedAt: string;
  readonly transcript: string;
  readonly reply: string;
  readonly outcome: TurnStatus;
  readonly safety: readonly SafetyRecord[];
  /** Milliseconds per stage, measured from listen stop (stt, safetyIn, llmFirstToken, ttsFirstByte, firstAudio, total...). */
  readonly timings: Readonly<Record<string, number>>;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * What a parent set for one toy. An absent field means "the gateway's default",
 * so changing a default reaches every toy whose parent has not chosen.
 */
export interface ParentSettings {
  /** In protocol's VOLUME_RANGE. */
  readonly volume?: number;
  /** In protocol's VOLUME_RANGE: the toy never plays louder. */
  readonly maxVolume?: number;
  readonly locked?: boolean;
}

export interface DeviceRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly settings: ParentSettings;
}

/** One message of a conversation the toy remembers: the child's words or the toy's answer. */
export interface ConversationMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/**
 * What a toy remembers of its talks with one child: a running summary of older talk and the most
 * recent messages, oldest first. The caller keeps it within its prompt budget; the store only
 * refuses what is past its own limits (MAX_CONVERSATION_MESSAGES, MAX_CONVERSATION_CHARS).
 */
export interface Conversation {
  readonly summary: string;
  readonly messages: readonly ConversationMessage[];
}

export interface StoredConversation extends Conversation {
  /** ISO 8601, when the store last saved it. */
  readonly updatedAt: string;
}

/** A fact as given to putKnowledge; without an id it gets one from its position ("1", "2", ...). */
export interface KnowledgeFactInput {
  readonly id?: string;
  readonly text: string;
  /** Words that should find this fact even when its text does not contain them. */
  readonly keywords?: readonly string[];
}

export interface KnowledgeFact {
  readonly id: string;
  readonly text: string;
  readonly keywords: readonly string[];
}

/**
 * Far above any prompt budget a toy should use (100,000 characters is about 25,000 tokens), so
 * only a caller that forgot to trim meets them. They also keep a record inside Convex's 1 MiB
 * document and 8,192-element array limits.
 */
export const MAX_CONVERSATION_MESSAGES = 500;
export const MAX_CONVERSATION_CHARS = 100_000;
export const MAX_KNOWLEDGE_FACTS = 1000;
export const MAX_FACT_CHARS = 2000;
export const MAX_FACT_KEYWORDS = 50;
export const MAX_KNOWLEDGE_RESULTS = 50;
const MAX_ID_LENGTH = 128;

/**
 * Where the gateway keeps devices and conversations: SQLite by default, Convex later.
 *
 * How Convex maps the conversation memory and the knowledge (for the Convex store issue):
 * - `conversations` table {deviceId, toyId, summary, messages: array of {role, content}, updatedAt},
 *   index by_device_toy ["deviceId", "toyId"]; saveConversation is one upsert mutation, and
 *   deleteTurns's mutation also deletes the device's conversations through that index.
 * - `knowledge` table {toyId, factId, position, text, keywords, searchText}, where searchText is
 *   text plus keywords; `searchIndex("search", { searchField: "searchText", filterFields: ["toyId"] })`.
 *   putKnowledge deletes the toy's rows and inserts the new ones in one mutation (checked first
 *   with normalizeKnowledge). searchKnowledge: the gateway-side store sends `searchTerms(query)`
 *   (at most 16, Convex's limit; [] means answer [] without asking) to a query function running
 *   `withSearchIndex("search", q => q.search("searchText", terms.join(" ")).eq("toyId", toyId)).take(limit)`,
 *   Convex's relevance order being "best first".
 *   A vector index over embeddings could serve searchKnowledge later without changing this interface,
 *   which takes the child's plain words and never a query syntax.
 */
export interface Store {
  /**
   * Saving an id that exists replaces that turn, so a retried save never duplicates it; but a
   * record less far along (turnStage) than the stored one changes nothing.
   */
  saveTurn(turn: TurnRecord): Promise<void>;
  /**
   * Marks every turn still under way ('started', 'heard') as 'interrupted', with INTERRUPTED_ERROR.
   * For start-up, when no turn of this store can still be running. Returns how many it marked.
   */
  interruptUnfinishedTurns(): Promise<number>;
  /** Newest first. */
  listTurns(query: { deviceId?: string; limit?: number }): Promise<TurnRecord[]>;
  /**
   * A parent's "delete my child's data": removes every turn of a device and the conversation
   * memory of every toy on it. Returns how many turns went.
   */
  deleteTurns(deviceId: string): Promise<number>;
  /** What the toy remembers of this device's child, or undefined before the first save. */
  conversation(deviceId: string, toyId: string): Promise<StoredConversation | undefined>;
  /**
   * Replaces what the toy remembers of this device's child. Refuses, with `conversation_too_large`
   * and nothing saved, a conversation past the store's limits; `invalid_conversation` for a bad shape.
   */
  saveConversation(deviceId: string, toyId: string, conversation: Conversation): Promise<void>;
  /**
   * Replaces the whole of a toy's knowledge, so putting the same facts at every start is harmless.
   * An empty list forgets it all. Bad input is refused with `invalid_knowledge` and nothing changes.
   */
  putKnowledge(toyId: string, facts: readonly KnowledgeFactInput[]): Promise<void>;
  /**
   * The toy's facts that best match a child's words, best first, at most `limit` (capped at
   * MAX_KNOWLEDGE_RESULTS). The query is plain words: any punctuation or search syntax in it is
   * only text, never an error. No matching word, or only stop words, gives [].
   */
  searchKnowledge(toyId: string, query: string, limit: number): Promise<KnowledgeFact[]>;
  /** Registers a device (or replaces its secret) and returns the new secret, shown once. */
  addDevice(deviceId: string): Promise<string>;
  /** Registers a device with a secret chosen by the caller (the simulator's own pairing). */
  addDeviceWithSecret(deviceId: string, secret: string): Promise<void>;
  /** True when the device exists and the secret matches; constant time in the secret. */
  verifyDevice(deviceId: string, secret: string): Promise<boolean>;
  listDevices(): Promise<DeviceRecord[]>;
  /** The parent's settings of a device; {} for a device with none or unknown. */
  deviceSettings(deviceId: string): Promise<ParentSettings>;
  /**
   * Merges `change` into a device's settings (`null` clears a field back to the default) and
   * returns the result. An unknown device is an error: settings never create one.
   */
  updateDeviceSettings(deviceId: string, change: { readonly [K in keyof ParentSettings]?: ParentSettings[K] | null }): Promise<ParentSettings>;
  close(): Promise<void>;
}

/** Checks a settings change; returns a problem naming the field, or undefined. */
export function settingsProblem(change: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(change)) {
    if (value === null) continue;
    if (key === 'volume' || key === 'maxVolume') {
      const { min, max } = VOLUME_RANGE;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) return `${key} must be a whole number from ${min} to ${max}`;
    } else if (key === 'locked') {
      if (typeof value !== 'boolean') return 'locked must be true or false';
    } else return `unknown setting '${key}'`;
  }
  return undefined;
}

/** `settings` with `change` applied: null removes a field. */
export function mergeSettings(settings: ParentSettings, change: Record<string, unknown>): ParentSettings {
  const merged: Record<string, unknown> = { ...settings };
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged as ParentSettings;
}

/** Checks a conversation before saving; throws the ProviderError every store refuses it with. */
export function checkConversation(deviceId: string, toyId: string, conversation: Conversation): void {
  checkId('device', deviceId);
  checkId('toy', toyId);
  const invalid = (message: string) => new ProviderError('invalid_conversation', message);
  if (typeof conversation?.summary !== 'string' || !Array.isArray(conversation.messages)) {
    throw invalid('a conversation needs a summary string and a messages array');
  }
  if (conversation.messages.length > MAX_CONVERSATION_MESSAGES) {
    throw new ProviderError('conversation_too_large', `a conversation keeps at most ${MAX_CONVERSATION_MESSAGES} messages, not ${conversation.messages.length}; trim it first`);
  }
  let chars = conversation.summary.length;
  for (const message of conversation.messages) {
    if ((message?.role !== 'user' && message?.role !== 'assistant') || typeof message.content !== 'string') {
      throw invalid("each message needs the role 'user' or 'assistant' and a content string");
    }
    chars += message.content.length;
  }
  if (chars > MAX_CONVERSATION_CHARS) {
    throw new ProviderError('conversation_too_large', `a conversation keeps at most ${MAX_CONVERSATION_CHARS} characters, not ${chars}; trim it first`);
  }
}

/** Checks a toy's facts and gives each its id and keywords: what every store keeps. */
export function normalizeKnowledge(toyId: string, facts: readonly KnowledgeFactInput[]): KnowledgeFact[] {
  checkId('toy', toyId);
  const invalid = (message: string) => new ProviderError('invalid_knowledge', message);
  if (!Array.isArray(facts)) throw invalid('facts must be an array');
  if (facts.length > MAX_KNOWLEDGE_FACTS) throw invalid(`a toy knows at most ${MAX_KNOWLEDGE_FACTS} facts, not ${facts.length}`);
  const ids = new Set<string>();
  return facts.map((fact, index) => {
    const id = fact?.id ?? String(index + 1);
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) throw invalid(`fact ${index + 1}: an id must be 1 to ${MAX_ID_LENGTH} characters`);
    if (ids.has(id)) throw invalid(`fact ${index + 1}: the id '${id}' is used twice`);
    ids.add(id);
    if (typeof fact.text !== 'string' || fact.text.trim() === '' || fact.text.length > MAX_FACT_CHARS) {
      throw invalid(`fact '${id}': the text must be 1 to ${MAX_FACT_CHARS} characters`);
    }
    const keywords = fact.keywords ?? [];
    if (!Array.isArray(keywords) || keywords.length > MAX_FACT_KEYWORDS || keywords.some((k) => typeof k !== 'string' || k.length > MAX_ID_LENGTH)) {
      throw invalid(`fact '${id}': keywords must be at most ${MAX_FACT_KEYWORDS} strings of up to ${MAX_ID_LENGTH} characters`);
    }
    return { id, text: fact.text, keywords: [...keywords] };
  });
}

/** The limit of a knowledge search, capped; a bad one is `invalid_query`. */
export function knowledgeLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ProviderError('invalid_query', `limit must be a whole number of at least 0, not ${limit}`);
  }
  return Math.min(limit, MAX_KNOWLEDGE_RESULTS);
}

function checkId(what: 'device' | 'toy', id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new ProviderError(`invalid_${what}_id`, `a ${what} id must be 1 to ${MAX_ID_LENGTH} characters`);
  }
}
