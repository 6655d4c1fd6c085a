import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimulatedLatencies } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import { SqliteStore } from '../cloud/store/sqlite-store.js';
import { ChildLines } from './child-lines.js';

const gatewayJs = fileURLToPath(new URL('./latency-gateway.js', import.meta.url));

export interface BenchGatewayOptions {
  /** Registered before the gateway starts: secrets never travel on a command line. */
  readonly devices: readonly { readonly id: string; readonly secret: string }[];
  readonly latencies: SimulatedLatencies;
  readonly utterance: string;
  readonly reply: string;
  readonly pacingRate: number;
  readonly maxSessions: number;
  /** More gateway config overrides (GatewayConfig keys). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Node flags of the gateway process. */
  readonly flags?: readonly string[];
  /** Name of the temporary directory the database lives in. */
  readonly name: string;
  readonly boundMs: number;
}

/**
 * bench/latency's gateway (latency-gateway.js: the real gateway with the simulated providers) in a
 * child process of its own, on a fresh database in a temporary directory: its pid for measuring
 * it from outside, its JSON lines, its health check, and a stop that lets it flush.
 */
export class BenchGateway {
  private constructor(
    readonly child: ChildProcess,
    readonly lines: ChildLines,
    readonly url: string,
    readonly databasePath: string,
    private readonly dir: string,
  ) {}

  static async start(o: BenchGatewayOptions): Promise<BenchGateway> {
    const dir = await mkdtemp(join(tmpdir(), `pommai-${o.name}-`));
    const db = join(dir, 'gateway.db');
    try {
      const store = await SqliteStore.open(db);
      for (const d of o.devices) await store.addDeviceWithSecret(d.id, d.secret);
      await store.close();
      const l = o.latencies;
      const child = spawn(
        process.execPath,
        [
          ...(o.flags ?? []),
          gatewayJs,
          ...['--db', db, '--utterance', o.utterance, '--reply', o.reply, '--pacing-rate', String(o.pacingRate), '--max-sessions', String(o.maxSessions)],
          ...['--stt-ms', String(l.sttMs), '--safety-ms', String(l.safetyMs), '--llm-first-token-ms', String(l.llmFirstTokenMs), '--llm-token-ms', String(l.llmTokenMs), '--tts-first-byte-ms', String(l.ttsFirstByteMs)],
          ...['--config-json', JSON.stringify(o.config ?? {})],
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      // A gateway that died must not take this process with it through a write to its stdin.
      child.stdin!.on('error', () => {});
      const lines = new ChildLines(child);
      const { url } = (await lines.next('listening', o.boundMs)) as { url: string };
      return new BenchGateway(child, lines, url, db, dir);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Whether the process has ended (crashed, if nobody asked it to stop). */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sessions the gateway holds now, from its health check; null when it does not answer. */
  async sessions(): Promise<number | null> {
    try {
      const response = await fetch(this.url.replace(/^ws/, 'http').replace(/\/v1\/device$/, '/healthz'), { signal: AbortSignal.timeout(5000) });
      return ((await response.json()) as { sessions: number }).sessions;
    } catch {
      return null;
    }
  }

  /** The gateway's stats line (CPU, event loop lag, providers' timers) since the last reset. */
  async stats(boundMs: number): Promise<Record<string, unknown>> {
    this.child.stdin!.write('stats\n');
    return this.lines.next('stats', boundMs);
  }

  reset(boundMs: number): Promise<Record<string, unknown>> {
    this.child.stdin!.write('reset\n');
    return this.lines.next('reset', boundMs);
  }

  /** Ends the gateway the way its operator would (it closes its sessions and flushes the turn log), killing it after `boundMs`: its exit code, or the signal. */
  async stop(boundMs: number): Promise<string> {
    if (!this.exited) {
      const exit = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.stdin!.end();
      const killer = setTimeout(() => this.child.kill('SIGKILL'), boundMs);
      await exit;
      clearTimeout(killer);
    }
    return this.child.signalCode ?? String(this.child.exitCode);
  }

  /** Removes the database and its directory. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
