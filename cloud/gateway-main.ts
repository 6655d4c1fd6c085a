import type { GatewayConfig } from './session/gateway-config.js';
import { GatewayServer } from './session/gateway-server.js';
import type { Log } from '../log/log.js';
import { pregenerateReplies, type PregenerateResult } from './turn/pregenerate-replies.js';
import { ReplyCache } from './turn/reply-cache.js';
import { EnergyVad } from './vad/energy-vad.js';
import { ConversationMemories } from './memory/conversation-memories.js';
import { knowledgeFacts } from './memory/knowledge-prompt.js';
import { llmSummarizer } from './memory/summary-prompt.js';
import { SqliteStore } from './store/sqlite-store.js';
import { OFFLINE_SETTINGS, describeProviderSettings, type ProviderSettings } from './providers/provider-settings.js';
import { replayFallback } from './store/replay-fallback.js';
import { TurnLog, fallbackPathFor } from './store/turn-log.js';
import { ConversationLog, conversationFallbackPathFor } from './store/conversation-log.js';
import { replayConversations } from './store/replay-conversations.js';
import type { Store } from './store/store.js';
import { DEFAULT_TOY, type ToyProfile } from './toy/toy-profile.js';
import type { TurnProviders } from './providers/turn-providers.js';

/** One pre-made reply (model, checks and voice) may take this long; a stalled provider does not hold the rest up for ever. */
const PREGENERATE_STEP_MS = 30_000;

/** What /healthz says beyond the session count: 'degraded', with what the gateway cannot save, or 'ok'. */
export interface GatewayHealth {
  readonly status: 'ok' | 'degraded';
  /** One sentence each; ids and counts, never what a child said. */
  readonly problems: readonly string[];
}

export interface RunningGateway {
  readonly server: GatewayServer;
  readonly store: Store;
  readonly url: string;
  health(): GatewayHealth;
  /** Settles once the first replies have been made ahead (undefined: there is no reply cache). Never rejects. */
  readonly firstReplies: Promise<PregenerateResult | undefined>;
  stop(): Promise<void>;
}

/**
 * The gateway's composition root: it alone chooses the store and the
 * providers; everything below receives interfaces.
 */
export async function startGateway(
  config: GatewayConfig,
  log: Log,
  options: { toy?: ToyProfile; providers?: TurnProviders; providerSettings?: ProviderSettings; store?: Store; replies?: ReplyCache } = {},
): Promise<RunningGateway> {
  const toy = options.toy ?? DEFAULT_TOY;
  const opened = options.store === undefined ? await SqliteStore.open(config.databasePath) : undefined;
  const store = options.store ?? (opened as SqliteStore);
  // On a full disk the store opens degraded: the gateway still answers children, and says what it cannot do once here.
  if (opened?.degraded !== undefined) log('error', 'store degraded: records wait in memory or the fallback files until the disk has room', { problem: opened.degraded });
  // Providers load only when chosen: an adapter nobody uses costs no memory.
  const settings = options.providerSettings ?? OFFLINE_SETTINGS;
  if (options.providers === undefined) for (const line of describeProviderSettings(settings)) log('info', line);
  const providers = options.providers ?? (await (await import('./providers/create-providers.js')).createProviders(settings, toy, log));
  const fallbackPath = fallbackPathFor(config.databasePath);
  // Turns that could only be written to the fallback file last time go into the store first.
  await replayFallback(store, fallbackPath, log);
  // After the replay, which may bring rows of turns under way: a turn still under way now was cut off by the last stop.
  await markInterrupted(store, log);
  const turnLog = new TurnLog({ store, fallbackPath, log });
  const memoryFallbackPath = conversationFallbackPathFor(config.databasePath);
  await replayConversations(store, memoryFallbackPath, log);
  const conversations = new ConversationLog({ store, fallbackPath: memoryFallbackPath, log });
  // A cloud model's first token is the slowest step of a turn; the offline companion answers at once and
  // varies its words, so caching it would only make the toy repeat itself.
  const replies = options.replies ?? (options.providers === undefined && settings.llm.kind !== 'offline' ? new ReplyCache() : undefined);
  const vad = () => new EnergyVad();
  // The toy's knowledge goes to the store, which finds the facts a turn needs (SQLite full-text search, or Convex's).
  try {
    await store.putKnowledge(toy.id, knowledgeFacts(toy));
  } catch (error) {
    // A full disk keeps the facts of the last start: the toy still knows what it knew.
    log('warn', "could not store the toy's knowledge; searching what is stored", { toy: toy.id, error: (error as Error).message });
  }
  const memories = new ConversationMemories({
    store: conversations,
    toyId: toy.id,
    // A cloud model writes the running summary; the offline companion cannot, so the plain one stands in.
    ...(settings.llm.kind !== 'offline' ? { summarize: llmSummarizer(providers.llm, toy) } : {}),
    onError: (error, action) => log('warn', 'conversation memory', { action, code: error.code, error: error.message }),
  });
  const health = (): GatewayHealth => {
    const problems: string[] = [];
    if (opened?.degraded !== undefined) problems.push(`store: ${opened.degraded}`);
    const records = [
      { what: 'turns', waiting: turnLog.waiting, lost: turnLog.lost, spillProblem: turnLog.spillProblem },
      { what: 'conversation memories', waiting: conversations.pending, lost: conversations.lost, spillProblem: conversations.spillProblem },
    ];
    for (const { what, waiting, lost, spillProblem } of records) {
      if (waiting > 0) problems.push(`${waiting} ${what} waiting for the store`);
      if (spillProblem !== undefined) problems.push(`${what} fallback file refuses records (${spillProblem})`);
      if (lost > 0) problems.push(`${lost} ${what} lost since start`);
    }
    return { status: problems.length === 0 ? 'ok' : 'degraded', problems };
  };
  const server = await GatewayServer.start({ config, providers, store, turnLog, toy, log, vad, memories, health, ...(replies ? { replies } : {}) });
  log('info', 'gateway listening', { url: server.url, stt: providers.stt.name, llm: providers.llm.name, tts: providers.tts.name, safety: providers.safety.name });
  // Made ahead only once the gateway is up: a gateway that failed to start leaves nothing calling the providers.
  const stopping = new AbortController();
  const firstReplies =
    replies === undefined
      ? Promise.resolve(undefined)
      : pregenerateReplies({ llm: providers.llm, safety: providers.safety, tts: providers.tts, replies, toy, stepTimeoutMs: PREGENERATE_STEP_MS }, stopping.signal).then(
          (result) => {
            log(result.failed === 0 ? 'info' : 'warn', 'first replies made ahead', { ready: result.ready, failed: result.failed, ...(result.firstError ? { error: result.firstError.message } : {}) });
            return result;
          },
          (error: unknown) => {
            if (!stopping.signal.aborted) log('warn', 'could not make the first replies ahead', { error: (error as Error).message });
            return undefined;
          },
        );
  return {
    server,
    store,
    url: server.url,
    health,
    firstReplies,
    async stop() {
      stopping.abort(new Error('gateway stopping'));
      await firstReplies;
      await server.stop();
      // The sessions just closed hand their memories back: the last saves land before the store closes.
      await memories.settled();
      // What the store still refuses goes to the fallback file, which the next start replays.
      await conversations.flush();
      await store.close();
      await closeProviders(providers);
    },
  };
}

async function markInterrupted(store: Store, log: Log): Promise<void> {
  try {
    const interrupted = await store.interruptUnfinishedTurns();
    if (interrupted > 0) log('warn', 'turns cut off when the gateway last stopped are marked interrupted', { interrupted });
  } catch (error) {
    // A store that cannot be written now still answers the child; the rows wait for the next start.
    log('warn', 'could not mark the turns cut off by the last stop', { error: (error as Error).message });
  }
}

async function closeProviders(providers: TurnProviders): Promise<void> {
  for (const provider of Object.values(providers)) {
    const close = (provider as { close?: () => Promise<void> | void }).close;
    if (typeof close === 'function') await close.call(provider);
  }
}
