import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { startGateway, type RunningGateway } from '../cloud/gateway-main.js';
import { silentLog } from '../log/log.js';
import type { ProviderSettings } from '../cloud/providers/provider-settings.js';
import { synthesizeUtterance } from '../cli/synthesize-utterance.js';
import type { DeviceReport } from '../device/device-report.js';
import type { ScriptedButton } from '../hardware/sim/scripted-button.js';
import type { WavMicrophone } from '../hardware/sim/wav-microphone.js';

export const DEVICE_ID = 'toy-under-test';
export const DEVICE_SECRET = 'a-long-enough-test-secret';
/** Playback, pacing and the simulated microphone all run this much faster than real time. */
export const SPEED = 8;

/** A gateway on a free loopback port, its database in `dir`: the offline providers unless `providerSettings` say otherwise. */
export async function gatewayFor(dir: string, port = 0, providerSettings?: ProviderSettings, config: Parameters<typeof gatewayConfig>[0] = {}): Promise<RunningGateway> {
  const gateway = await startGateway(
    gatewayConfig({ port, databasePath: join(dir, 'gateway.db'), pacing: { rate: SPEED }, turnBudgetMs: 30_000, heartbeat: { intervalMs: 2000, timeoutMs: 2000 }, ...config }),
    silentLog,
    providerSettings === undefined ? {} : { providerSettings },
  );
  await gateway.store.addDeviceWithSecret(DEVICE_ID, DEVICE_SECRET);
  return gateway;
}

/** A port that was free a moment ago, for tests that start a gateway after the device. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

/** Collects a device's reports and lets a test wait for one, with a bound. */
export class Reports {
  readonly all: DeviceReport[] = [];
  private waiters: { match: (r: DeviceReport) => boolean; resolve: (r: DeviceReport) => void }[] = [];

  readonly observe = (report: DeviceReport): void => {
    this.all.push(report);
    this.waiters = this.waiters.filter((w) => (w.match(report) ? (w.resolve(report), false) : true));
  };

  /** The first report (already seen, or still to come) that matches. */
  wait(match: (r: DeviceReport) => boolean, what: string, timeoutMs = 30_000, since = 0): Promise<DeviceReport> {
    const seen = this.all.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  states(): string[] {
    return this.all.flatMap((r) => (r.type === 'state' ? [r.state] : []));
  }
}

/** The child says `text` into a simulated toy: the button is held while the words play, then let go. Resolves with the turn's report. */
export async function sayToToy(hardware: { button: ScriptedButton; microphone: WavMicrophone }, reports: Reports, text: string): Promise<DeviceReport> {
  hardware.microphone.load(await synthesizeUtterance(text));
  const spoken = new Promise<void>((resolve) => hardware.microphone.onUtteranceEnd(resolve));
  const since = reports.all.length;
  hardware.button.press();
  await spoken;
  hardware.button.release();
  return reports.wait((r) => r.type === 'turn', 'the end of the turn', 60_000, since);
}
