import { normalizePhrase } from '../providers/stt/normalize-phrase.js';
import type { SafetyRecord } from '../store/store.js';
import type { ToyProfile } from '../toy/toy-profile.js';

type ToyName = Pick<ToyProfile, 'id' | 'name'>;

/** A whole reply the toy gave, sentence by sentence, with every safety verdict it passed. */
export interface CachedReply {
  readonly sentences: readonly string[];
  /** The input check of the child's words, then one output check per sentence. */
  readonly safety: readonly SafetyRecord[];
}

export interface ReplyCacheOptions {
  /** Prompts remembered (all toys together); past it the least recently used is forgotten. */
  readonly maxPrompts: number;
  /**
   * Different replies a prompt must have before the cache answers it, and the most it keeps:
   * a child who says "hello" every morning should not hear the very same words every morning.
   */
  readonly variants: number;
  /** How long a reply may be served; older ones are asked for again, so the toy's words stay fresh. */
  readonly ttlMs: number;
  /** Prompts longer than this are not remembered: long questions rarely come again word for word. */
  readonly maxWords: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export const DEFAULT_REPLY_CACHE: ReplyCacheOptions = Object.freeze({ maxPrompts: 256, variants: 2, ttlMs: 6 * 60 * 60 * 1000, maxWords: 8 });

/** Sounds a child makes while finding their words; they do not change the question. */
const FILLERS = new Set(['um', 'umm', 'uh', 'uhh', 'erm', 'er', 'hmm', 'ah', 'oh']);

interface Entry {
  readonly variants: { readonly reply: CachedReply; readonly madeAt: number }[];
  /** Round robin over the variants, so two in a row are never the same. */
  next: number;
}

/**
 * Replies to the prompts children open a conversation with ("hello", "what's
 * your name"), keyed by the toy and the normalised words. A hit skips the
 * language model and both safety checks: the same words got the same verdicts
 * when the reply was made, and the voice cache usually holds its audio too. Only
 * conversation starts are served and learned: later, a reply depends on what
 * was said before.
 */
export class ReplyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(readonly options: ReplyCacheOptions = DEFAULT_REPLY_CACHE) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A reply to serve, once the prompt has enough fresh variants. */
  lookup(toy: ToyName, transcript: string): CachedReply | undefined {
    const key = promptKey(toy, transcript)?.key;
    if (key === undefined) return undefined;
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.dropStale(entry);
    if (entry.variants.length < this.options.variants) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    const variant = entry.variants[entry.next % entry.variants.length];
    entry.next++;
    return variant?.reply;
  }

  /** Remembers a reply the toy gave to a conversation's first words; a reply it already has is not added twice. */
  learn(toy: ToyName, transcript: string, reply: CachedReply): void {
    const prompt = promptKey(toy, transcript);
    if (prompt === undefined || prompt.words > this.options.maxWords || reply.sentences.length === 0) return;
    const key = prompt.key;
    if (!reply.safety.every((record) => record.allowed)) return;
    const entry = this.entries.get(key) ?? { variants: [], next: Math.floor(this.random() * this.options.variants) };
    this.dropStale(entry);
    const text = reply.sentences.join(' ');
    if (entry.variants.some((v) => v.reply.sentences.join(' ') === text)) return;
    entry.variants.push({ reply: { sentences: [...reply.sentences], safety: [...reply.safety] }, madeAt: this.now() });
    if (entry.variants.length > this.options.variants) entry.variants.shift();
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxPrompts) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** How many fresh variants a prompt has (for pre-generation to know what is still missing). */
  variantsOf(toy: ToyName, transcript: string): number {
    const key = promptKey(toy, transcript)?.key;
    const entry = key === undefined ? undefined : this.entries.get(key);
    if (entry === undefined) return 0;
    this.dropStale(entry);
    return entry.variants.length;
  }

  /** Forgets everything (memory pressure, or a change of the toy's character). */
  clear(): void {
    this.entries.clear();
  }

  private dropStale(entry: Entry): void {
    const oldest = this.now() - this.options.ttlMs;
    while (entry.variants.length > 0 && (entry.variants[0]?.madeAt ?? 0) < oldest) entry.variants.shift();
  }
}

/** The key of a prompt: the toy, then the words without fillers or the toy's own name ("um hello pommai" is "hello"). */
function promptKey(toy: ToyName, transcript: string): { key: string; words: number } | undefined {
  const name = new Set(normalizePhrase(toy.name).split(' '));
  const words = normalizePhrase(transcript)
    .split(' ')
    .filter((word) => word !== '' && !FILLERS.has(word) && !name.has(word));
  return words.length === 0 ? undefined : { key: `${toy.id}\u0000${words.join(' ')}`, words: words.length };
}
