import type { FuzzOutcome } from './fuzz-client.js';
import { runFuzzScript } from './fuzz-client.js';
import { fuzzScripts, type FuzzEnding } from './fuzz-script.js';

export interface FuzzRunOptions {
  readonly url: string;
  readonly seed: number;
  /** Stop starting connections once this many frames have been sent... */
  readonly frames: number;
  /** ...or once this time (performance.now()) has come, whichever is first. */
  readonly until?: number;
  /** Connections at once; each worker has its own registered device and its own loopback addresses. */
  readonly devices: readonly { readonly id: string; readonly secret: string }[];
  readonly opus: readonly Uint8Array[];
  readonly floodFrames: number;
  readonly barrierEvery?: number;
  readonly boundMs?: number;
  readonly maxFramesPerConnection?: number;
  readonly progress?: (framesSent: number) => void;
}

export interface FuzzSummary {
  readonly framesSent: number;
  readonly connections: number;
  readonly authenticated: number;
  readonly welcomed: number;
  readonly received: number;
  readonly endings: Readonly<Record<string, number>>;
  /** Close codes the clients saw, with how many of each. */
  readonly closeCodes: Readonly<Record<string, number>>;
  /** Upgrades refused, by HTTP status. */
  readonly refused: Readonly<Record<string, number>>;
  readonly problemCount: number;
  /** The first problems, each with its connection's ending. */
  readonly problems: readonly string[];
  /** The most connections that came from one address at once. */
  readonly maxPerAddress: number;
}

/** Loopback addresses per worker: worker w's connections cycle over ADDRESSES_PER_WORKER addresses of its own. */
const ADDRESSES_PER_WORKER = 16;
const FIRST_HOST = 2;

/** The address of worker w's n-th connection: 127.0.0.2 and up, never shared between workers, so one address holds at most one fuzzing socket at a time. */
export function fuzzAddress(worker: number, n: number, workers: number): string {
  const host = FIRST_HOST + worker + workers * (n % ADDRESSES_PER_WORKER);
  if (host > 254) throw new Error(`${workers} workers need more than 127.0.0.0/24: use at most ${Math.floor(253 / ADDRESSES_PER_WORKER)}`);
  return `127.0.0.${host}`;
}

/** The highest loopback host fuzzAddress gives, so a legitimate device can stand apart from the fuzzers. */
export function lastFuzzHost(workers: number): number {
  return FIRST_HOST + workers * ADDRESSES_PER_WORKER - 1;
}

/**
 * Plays the seeded stream of fuzzing connections against a gateway, one worker per device, until
 * enough frames have been sent: what every client saw, added up.
 */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzSummary> {
  const scripts = fuzzScripts({ seed: o.seed, opus: o.opus, ...(o.maxFramesPerConnection === undefined ? {} : { maxFrames: o.maxFramesPerConnection }) });
  let framesSent = 0;
  let connections = 0;
  let authenticated = 0;
  let welcomed = 0;
  let received = 0;
  let problemCount = 0;
  const problems: string[] = [];
  const endings: Record<string, number> = {};
  const closeCodes: Record<string, number> = {};
  const refused: Record<string, number> = {};
  const open = new Map<string, number>();
  let maxPerAddress = 0;
  const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
  const more = () => framesSent < o.frames && (o.until === undefined || performance.now() < o.until);
  const workers = o.devices.length;
  await Promise.all(
    o.devices.map(async (device, worker) => {
      for (let n = 0; more(); n++) {
        const next = scripts.next();
        if (next.done) return;
        const script = next.value;
        const localAddress = fuzzAddress(worker, n, workers);
        open.set(localAddress, (open.get(localAddress) ?? 0) + 1);
        maxPerAddress = Math.max(maxPerAddress, open.get(localAddress)!);
        const outcome: FuzzOutcome = await runFuzzScript(script, {
          url: o.url,
          localAddress,
          deviceId: device.id,
          secret: device.secret,
          floodFrames: o.floodFrames,
          barrierEvery: o.barrierEvery ?? 100,
          boundMs: o.boundMs ?? 15_000,
        });
        open.set(localAddress, open.get(localAddress)! - 1);
        connections++;
        if (script.authenticated) authenticated++;
        if (outcome.welcomed) welcomed++;
        framesSent += outcome.framesSent;
        received += outcome.received;
        bump(endings, script.ending as FuzzEnding);
        if (outcome.closeCode !== undefined) bump(closeCodes, String(outcome.closeCode));
        if (outcome.refusedStatus !== undefined) bump(refused, String(outcome.refusedStatus));
        problemCount += outcome.problems.length;
        for (const problem of outcome.problems) if (problems.length < 20) problems.push(`${script.authenticated ? 'authenticated' : 'unauthenticated'} '${script.ending}' from ${localAddress}: ${problem}`);
        o.progress?.(framesSent);
      }
    }),
  );
  return { framesSent, connections, authenticated, welcomed, received, endings, closeCodes, refused, problemCount, problems, maxPerAddress };
}
