import type { GatewayConfig } from './gateway-config.js';
import { GatewayServer } from './gateway-server.js';
import type { Log } from './log.js';
import { SqliteStore } from './store/sqlite-store.js';
import { OFFLINE_SETTINGS, describeProviderSettings, type ProviderSettings } from './provider-settings.js';
import { replayFallback } from './store/replay-fallback.js';
import { TurnLog, fallbackPathFor } from './store/turn-log.js';
import type { Store } from './store/store.js';
import { DEFAULT_TOY, type ToyProfile } from './toy-profile.js';
import type { TurnProviders } from './turn-pipeline.js';

export interface RunningGateway {
  readonly server: GatewayServer;
  readonly store: Store;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The gateway's composition root: it alone chooses the store and the
 * providers; everything below receives interfaces.
 */
export async function startGateway(
  config: GatewayConfig,
  log: Log,
  options: { toy?: ToyProfile; providers?: TurnProviders; providerSettings?: ProviderSettings; store?: Store } = {},
): Promise<RunningGateway> {
  const toy = options.toy ?? DEFAULT_TOY;
  const store = options.store ?? (await SqliteStore.open(config.databasePath));
  // Providers load only when chosen: an adapter nobody uses costs no memory.
  const settings = options.providerSettings ?? OFFLINE_SETTINGS;
  if (options.providers === undefined) for (const line of describeProviderSettings(settings)) log('info', line);
  const providers = options.providers ?? (await (await import('./providers/create-providers.js')).createProviders(settings, toy, log));
  const fallbackPath = fallbackPathFor(config.databasePath);
  // Turns that could only be written to the fallback file last time go into the store first.
  await replayFallback(store, fallbackPath, log);
  const turnLog = new TurnLog({ store, fallbackPath, log });
  const server = await GatewayServer.start({ config, providers, store, turnLog, toy, log });
  log('info', 'gateway listening', { url: server.url, stt: providers.stt.name, llm: providers.llm.name, tts: providers.tts.name, safety: providers.safety.name });
  return {
    server,
    store,
    url: server.url,
    async stop() {
      await server.stop();
      await store.close();
      await closeProviders(providers);
    },
  };
}

async function closeProviders(providers: TurnProviders): Promise<void> {
  for (const provider of Object.values(providers)) {
    const close = (provider as { close?: () => Promise<void> | void }).close;
    if (typeof close === 'function') await close.call(provider);
  }
}
