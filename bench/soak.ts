import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATED_LATENCIES } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import { simulatedUplink } from '../cloud/providers/testing/simulated/simulated-uplink.js';
import { normalizePhrase } from '../cloud/providers/stt/normalize-phrase.js';
import { MAX_TURN_LIMIT, SqliteStore } from '../cloud/store/sqlite-store.js';
import { fallbackPathFor } from '../cloud/store/turn-log.js';
import { MAX_TURN, UPLINK_AUDIO } from '../protocol/index.js';
import { BenchGateway } from './bench-gateway.js';
import { criticalPath } from './critical-path.js';
import { LatencyDevice, type DeviceTurn, type ExpectedTurn } from './latency-device.js';
import { coresBusy, machineCpuTimes } from './machine-cpu.js';
import { percentile } from './percentile.js';
import { MemoryWatch, processMemory } from './process-memory.js';
import { UsageError, intFlag, runBench } from './bench-cli.js';

/**
 * bench/soak: many simulated toys talking to one gateway for a long time (simulated providers at
 * bench/latency's latencies, the downlink paced in real time), each child pressing the button,
 * speaking about a second, listening to the answer and pausing as children do. It prints the
 * turns, the errors, the turns lost (none may be) and the gateway's memory from outside.
 */

const HELP = `node dist-bench/bench/soak.js [options]

  --devices N         simulated toys (default 200)
  --per-address N     toys connecting from each loopback address, 127.0.0.2 and up (default 25)
  --minutes M         how long the toys keep starting turns; may be a fraction (default 10)
  --think-ms A-B      a toy's pause between the end of one answer and its next press, drawn from A..B (default 2000-8000)
  --pacing-rate R     the gateway's downlink pacing, R times real time (default 1: answers take as long as they last)
  --seed N            seeds the pauses (default 1)
  --config-json J     more gateway config overrides, one JSON object (per-address admission limits, say)
  --json              print only the JSON line on stdout
  -h, --help          this text

Progress goes to stderr every 30 s. A turn is lost when its record is not in the gateway's store
(nor its fallback file) once the gateway has stopped, or when its answer never came: no voice frame
of the turn before speak stop, an error, the connection's end or 30 s. Exits 0 when no turn was
lost and none failed, 1 otherwise, 2 on bad usage.`;

const UTTERANCE = 'Can you tell me about carrots?';
const REPLY = 'Hello there, my friend! I love carrots and sunny days. Do you like carrots too?';
const UTTERANCE_FRAMES = 17;
const TURN_BOUND_MS = 30_000;
const BOUND_MS = 60_000;
/** Toys connecting at once from one address: kept under the gateway's pending-per-address limit. */
const CONNECTING_PER_ADDRESS = 4;
const PROGRESS_MS = 30_000;
const FIRST_HOST = 2;

interface SoakTurn extends DeviceTurn {
  readonly device: string;
}

interface SoakFigures {
  readonly type: 'soak';
  readonly node: string;
  readonly devices: number;
  readonly addresses: number;
  readonly minutes: number;
  readonly wallS: number;
  readonly turns: { readonly started: number; readonly played: number; readonly perMinute: number };
  readonly errors: { readonly count: number; readonly byReason: Readonly<Record<string, number>>; readonly reconnects: number };
  readonly lost: { readonly total: number; readonly unrecorded: number; readonly unanswered: number; readonly spilledToFallback: number };
  readonly voiceToVoiceMs: { readonly p50: number | null; readonly p95: number | null; readonly max: number | null };
  readonly gateway: {
    readonly rssStartMb: number | null;
    readonly rssPeakMb: number;
    readonly hwmMb: number | null;
    readonly rssEndMb: number | null;
    readonly aliveThroughout: boolean;
    readonly exit: string;
    readonly logLines: number;
    readonly cpuPercentOfOneCore: number | null;
    readonly eventLoopLagMs: unknown;
  };
  readonly machineCoresBusy: number | null;
  readonly otherCoresBusy: number | null;
  readonly ok: boolean;
}

/** A small seeded generator, so two runs pause alike. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: 'string', default: '200' },
      'per-address': { type: 'string', default: '25' },
      minutes: { type: 'string', default: '10' },
      'think-ms': { type: 'string', default: '2000-8000' },
      'pacing-rate': { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      'config-json': { type: 'string', default: '{}' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const count = intFlag('devices', values.devices, 1, 5000);
  const perAddress = intFlag('per-address', values['per-address'], 1, 1000);
  const addresses = Math.ceil(count / perAddress);
  if (FIRST_HOST + addresses - 1 > 254) throw new UsageError(`${count} devices at ${perAddress} per address need more than 127.0.0.2..254: raise --per-address`);
  const minutes = Number(values.minutes);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new UsageError(`--minutes must be a number of minutes in (0, 1440], got '${values.minutes}'`);
  const think = /^(\d+)-(\d+)$/.exec(values['think-ms']);
  if (think === null || Number(think[1]) > Number(think[2])) throw new UsageError(`--think-ms must be A-B in milliseconds with A <= B, got '${values['think-ms']}'`);
  const [thinkMin, thinkMax] = [Number(think[1]), Number(think[2])];
  const pacingRate = Number(values['pacing-rate']);
  if (!(pacingRate > 0 && pacingRate <= 1000)) throw new UsageError(`--pacing-rate must be in (0, 1000], got '${values['pacing-rate']}'`);
  const seed = intFlag('seed', values.seed, 0, 2 ** 31 - 1);
  let extra: unknown;
  try {
    extra = JSON.parse(values['config-json']);
  } catch {
    extra = undefined;
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new UsageError(`--config-json must be one JSON object, got '${values['config-json']}'`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const latencies = DEFAULT_SIMULATED_LATENCIES;
  const path = await criticalPath(latencies, REPLY);
  const expected: ExpectedTurn = { transcript: normalizePhrase(UTTERANCE), firstChunk: path.firstChunk, reply: REPLY };
  const uplink = simulatedUplink(UTTERANCE_FRAMES);

  const toys = Array.from({ length: count }, (_, i) => ({
    id: `soak-${String(i + 1).padStart(4, '0')}`,
    secret: randomBytes(18).toString('base64url'),
    address: `127.0.0.${FIRST_HOST + Math.floor(i / perAddress)}`,
  }));
  progress(`soak: ${count} toys from ${addresses} addresses for ${minutes} min, pauses ${thinkMin}-${thinkMax} ms, pacing ${pacingRate}x`);
  const gateway = await BenchGateway.start({
    name: 'soak',
    devices: toys,
    latencies,
    utterance: UTTERANCE,
    reply: REPLY,
    pacingRate,
    maxSessions: Math.max(500, count),
    config: extra as Record<string, unknown>,
    boundMs: BOUND_MS,
  });
  let diedAt: number | undefined;
  gateway.child.once('exit', () => (diedAt ??= performance.now()));
  const watch = new MemoryWatch(gateway.pid, 1000);
  const connected = new Map<string, LatencyDevice>();
  let stopping = false;
  try {
    const connect = (toy: (typeof toys)[number]) => LatencyDevice.connect(gateway.url, toy.id, toy.secret, BOUND_MS, toy.address);
    // A few at a time per address, as homes' toys come online: never a crowd of pending sockets from one address.
    const byAddress = new Map<string, (typeof toys)[number][]>();
    for (const toy of toys) byAddress.set(toy.address, [...(byAddress.get(toy.address) ?? []), toy]);
    await Promise.all(
      [...byAddress.values()].map(async (group) => {
        for (let i = 0; i < group.length; i += CONNECTING_PER_ADDRESS) {
          await Promise.all(group.slice(i, i + CONNECTING_PER_ADDRESS).map(async (toy) => connected.set(toy.id, await connect(toy))));
        }
      }),
    );
    progress(`  ${connected.size} toys connected`);
    await gateway.reset(BOUND_MS);
    const rssStart = processMemory(gateway.pid);
    const machineFrom = machineCpuTimes();
    const clientCpu = process.cpuUsage();
    const startedAt = performance.now();
    const endsAt = startedAt + minutes * 60_000;
    const turns: SoakTurn[] = [];
    const started: { device: string; turn: number }[] = [];
    let reconnects = 0;
    const rand = random(seed);
    const pause = () => thinkMin + rand() * (thinkMax - thinkMin);

    const ticker = setInterval(() => {
      const played = turns.filter((t) => t.error === undefined).length;
      const now = processMemory(gateway.pid);
      progress(`  ${((performance.now() - startedAt) / 60_000).toFixed(1)} min: ${started.length} turns started, ${played} played, ${turns.length - played} not as expected; gateway RSS ${now?.rssMb ?? 'gone'} MB`);
    }, PROGRESS_MS).unref();

    await Promise.all(
      toys.map(async (toy) => {
        // The first presses are spread over one pause, so the toys do not move in step.
        await sleep(rand() * thinkMax);
        let next = 1;
        while (performance.now() < endsAt && next <= MAX_TURN) {
          let device = connected.get(toy.id);
          if (device === undefined || device.isClosed) {
            reconnects++;
            try {
              device = await connect(toy);
              connected.set(toy.id, device);
            } catch {
              await sleep(1000);
              continue;
            }
          }
          const turn = next++;
          started.push({ device: toy.id, turn });
          turns.push({ device: toy.id, ...(await device.turn(turn, uplink, UPLINK_AUDIO.frameMs, expected, TURN_BOUND_MS)) });
          await sleep(pause());
        }
      }),
    );
    clearInterval(ticker);
    const wallMs = performance.now() - startedAt;
    const machine = coresBusy(machineFrom, machineCpuTimes());
    const cpu = process.cpuUsage(clientCpu);
    // Read before the stats, whose percentiles take memory of their own.
    const rssEnd = processMemory(gateway.pid);
    const stats = gateway.exited ? null : await gateway.stats(BOUND_MS);
    watch.stop();
    const aliveThroughout = diedAt === undefined;

    for (const device of connected.values()) device.close();
    stopping = true;
    // Stopping flushes the turn log: what is not in the store (or its fallback file) now is lost.
    const exit = await gateway.stop(BOUND_MS);
    const recorded = new Set<string>();
    const store = await SqliteStore.open(gateway.databasePath);
    let overflow = false;
    try {
      for (const toy of toys) {
        const rows = await store.listTurns({ deviceId: toy.id, limit: MAX_TURN_LIMIT });
        if (rows.length === MAX_TURN_LIMIT) overflow = true;
        for (const row of rows) recorded.add(`${row.deviceId}#${row.turn}`);
      }
    } finally {
      await store.close();
    }
    if (overflow) throw new Error(`a toy has ${MAX_TURN_LIMIT} turns or more, past what one listTurns gives: shorten the run or lengthen the pauses`);
    let spilled = 0;
    const fallback = fallbackPathFor(gateway.databasePath);
    if (existsSync(fallback)) {
      for (const line of readFileSync(fallback, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const row = JSON.parse(line) as { deviceId?: string; turn?: number };
        if (!recorded.has(`${row.deviceId}#${row.turn}`)) spilled++;
        recorded.add(`${row.deviceId}#${row.turn}`);
      }
    }
    const key = (t: { device: string; turn: number }) => `${t.device}#${t.turn}`;
    const unrecorded = new Set(started.filter((t) => !recorded.has(key(t))).map(key));
    const unanswered = new Set(turns.filter((t) => !t.voiceHeard).map(key));
    const lost = new Set([...unrecorded, ...unanswered]);
    const byReason: Record<string, number> = {};
    for (const t of turns) if (t.error !== undefined) byReason[t.error] = (byReason[t.error] ?? 0) + 1;
    const errors = turns.filter((t) => t.error !== undefined).length;
    const played = turns.length - errors;
    const v2v = turns.flatMap((t) => (t.voiceToVoiceMs === undefined ? [] : [t.voiceToVoiceMs]));
    const round = (n: number | null) => (n === null ? null : Math.round(n));
    const gatewayCpu = stats === null ? null : (stats.cpuPercentOfOneCore as number);
    const ours = gatewayCpu === null ? null : gatewayCpu / 100 + (cpu.user + cpu.system) / 1000 / wallMs;
    const figures: SoakFigures = {
      type: 'soak',
      node: process.version,
      devices: count,
      addresses,
      minutes,
      wallS: Math.round(wallMs / 100) / 10,
      turns: { started: started.length, played, perMinute: Math.round((turns.length / (wallMs / 60_000)) * 10) / 10 },
      errors: { count: errors, byReason, reconnects },
      lost: { total: lost.size, unrecorded: unrecorded.size, unanswered: unanswered.size, spilledToFallback: spilled },
      voiceToVoiceMs: { p50: round(percentile(v2v, 50)), p95: round(percentile(v2v, 95)), max: v2v.length === 0 ? null : Math.round(Math.max(...v2v)) },
      gateway: {
        rssStartMb: rssStart?.rssMb ?? null,
        rssPeakMb: watch.peakRssMb,
        hwmMb: rssEnd?.hwmMb ?? null,
        rssEndMb: rssEnd?.rssMb ?? null,
        aliveThroughout,
        exit,
        logLines: gateway.lines.stderrLines,
        cpuPercentOfOneCore: gatewayCpu,
        eventLoopLagMs: stats?.eventLoopLagMs ?? null,
      },
      machineCoresBusy: machine === null ? null : Math.round(machine * 100) / 100,
      otherCoresBusy: machine === null || ours === null ? null : Math.round(Math.max(0, machine - ours) * 100) / 100,
      ok: aliveThroughout && exit === '0' && lost.size === 0 && errors === 0 && started.length > 0,
    };
    if (!values.json) print(figures);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return figures.ok ? 0 : 1;
  } finally {
    watch.stop();
    if (!stopping) {
      for (const device of connected.values()) device.close();
      await gateway.stop(BOUND_MS);
    }
    await gateway.remove();
  }
}

function print(f: SoakFigures): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const g = f.gateway;
  const lag = g.eventLoopLagMs as { p50?: number; p99?: number; max?: number } | null;
  out(`soak: ${f.devices} toys from ${f.addresses} loopback addresses, ${f.minutes} min of turns (${f.wallS} s with the last answers)`);
  out(`turns: ${f.turns.started} started, ${f.turns.played} played as expected (${f.turns.perMinute} a minute)`);
  out(`errors: ${f.errors.count}${f.errors.count > 0 ? ` (${Object.entries(f.errors.byReason).map(([k, v]) => `${v} × ${k}`).join('; ')})` : ''}; reconnects: ${f.errors.reconnects}`);
  out(`turns lost: ${f.lost.total} (not in the store after the gateway stopped: ${f.lost.unrecorded}; no voice of the answer: ${f.lost.unanswered}); turns only in the fallback file: ${f.lost.spilledToFallback}`);
  out(`voice-to-voice: p50 ${f.voiceToVoiceMs.p50 ?? 'n/a'} ms, p95 ${f.voiceToVoiceMs.p95 ?? 'n/a'} ms, max ${f.voiceToVoiceMs.max ?? 'n/a'} ms`);
  out(`gateway RSS: start ${g.rssStartMb ?? 'n/a'} MB (toys connected), peak ${g.rssPeakMb} MB sampled each second (VmHWM ${g.hwmMb ?? 'n/a'} MB), end ${g.rssEndMb ?? 'n/a'} MB (after the last turn)`);
  out(`gateway: ${g.aliveThroughout ? 'up throughout' : 'DIED during the run'}, exit ${g.exit} on stop; ${g.logLines} log lines (warn and up); CPU ${g.cpuPercentOfOneCore ?? 'n/a'}% of one core; event loop lag p50 ${lag?.p50 ?? 'n/a'} ms, p99 ${lag?.p99 ?? 'n/a'} ms, max ${lag?.max ?? 'n/a'} ms`);
  if (f.machineCoresBusy !== null) out(`machine: ${f.machineCoresBusy} of ${availableParallelism()} cores busy, ${f.otherCoresBusy ?? 'n/a'} of them not this bench`);
  out(f.ok ? 'result: ok' : 'result: FAILED');
}

runBench('soak', main);
