import { abortError } from '../provider-error.js';
import type { ToyVoice } from '../../toy/toy-profile.js';
import type { Tts } from './tts.js';

export interface CachingTtsOptions {
  /** All cached audio together, in bytes of PCM; the least recently used goes first. */
  readonly maxBytes: number;
  /** One sentence's audio at most; longer ones pass through uncached. */
  readonly maxEntryBytes: number;
}

interface Entry {
  readonly chunks: readonly Int16Array[];
  readonly bytes: number;
}

/**
 * A voice that remembers what it said. The same words in the same voice come
 * back at once and without a network call: the toy's fixed lines (its
 * fallbacks and redirects, made ahead by `pregenerate`) and the sentences
 * children ask for again and again. Only audio that was synthesized whole is
 * kept, and the cache is bounded in bytes.
 */
export class CachingTts implements Tts {
  readonly name: string;
  readonly sampleRate: number;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private accepting = true;
  /** Ends a pregeneration still running when the voice is closed. */
  private readonly lifetime = new AbortController();
  readonly stats = { hits: 0, misses: 0, evictions: 0 };

  constructor(
    private readonly inner: Tts,
    private readonly options: CachingTtsOptions,
  ) {
    this.name = inner.name;
    this.sampleRate = inner.sampleRate;
  }

  get cachedBytes(): number {
    return this.bytes;
  }

  /** Whether these words in this voice would come from the cache. */
  has(text: string, voice: ToyVoice): boolean {
    return this.entries.has(cacheKey(text, voice));
  }

  async *synthesize(text: string, voice: ToyVoice, signal: AbortSignal): AsyncIterable<Int16Array> {
    const key = cacheKey(text, voice);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.stats.hits++;
      // Most recently used goes to the back of the map's order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      for (const chunk of hit.chunks) {
        if (signal.aborted) throw abortError(signal);
        yield chunk;
      }
      return;
    }
    this.stats.misses++;
    let chunks: Int16Array[] = [];
    let bytes = 0;
    for await (const pcm of this.inner.synthesize(text, voice, signal)) {
      bytes += pcm.byteLength;
      // A copy: the inner voice may reuse its buffer. Too long to keep: let go of what was kept so far.
      if (bytes <= this.options.maxEntryBytes) chunks.push(pcm.slice());
      else chunks = [];
      yield pcm;
    }
    if (this.accepting && bytes > 0 && bytes <= this.options.maxEntryBytes) this.store(key, { chunks, bytes });
  }

  /** Synthesizes each text not yet cached, one after another; says how many are ready. */
  async pregenerate(texts: Iterable<string>, voice: ToyVoice, signal: AbortSignal): Promise<{ ready: number; failed: number; firstError?: Error }> {
    let ready = 0;
    let failed = 0;
    let firstError: Error | undefined;
    const stop = AbortSignal.any([signal, this.lifetime.signal]);
    for (const text of new Set(texts)) {
      if (stop.aborted) break;
      if (this.has(text, voice)) {
        ready++;
        continue;
      }
      try {
        for await (const _ of this.synthesize(text, voice, stop)) {
          // Drained only to fill the cache.
        }
        if (this.has(text, voice)) ready++;
      } catch (error) {
        if (stop.aborted) break;
        failed++;
        firstError ??= error as Error;
      }
    }
    return { ready, failed, ...(firstError === undefined ? {} : { firstError }) };
  }

  /** Under memory pressure: forget everything (setAccepting(false) also keeps nothing new). */
  shed(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  setAccepting(accepting: boolean): void {
    this.accepting = accepting;
  }

  async close(): Promise<void> {
    this.lifetime.abort(new Error('voice closed'));
    this.shed();
    await (this.inner as { close?: () => Promise<void> | void }).close?.();
  }

  private store(key: string, entry: Entry): void {
    // Two syntheses of the same words at once (pregeneration racing a turn) both end here.
    const replaced = this.entries.get(key);
    if (replaced !== undefined) {
      this.entries.delete(key);
      this.bytes -= replaced.bytes;
    }
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.bytes;
      this.stats.evictions++;
    }
  }
}

/** The same words in the same voice, whatever the spacing and capitals. */
function cacheKey(text: string, voice: ToyVoice): string {
  const words = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
  return `${voice.elevenLabsVoiceId ?? ''}|${voice.espeakVoice}|${voice.pitch}|${voice.speed}|${words}`;
}
