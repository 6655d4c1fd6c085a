import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATED_LATENCIES } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import { simulatedUplink } from '../cloud/providers/testing/simulated/simulated-uplink.js';
import { lastFuzzHost, runFuzz, type FuzzSummary } from '../cloud/session/testing/fuzz-run.js';
import { LegitDevice, type LegitTurn } from '../cloud/session/testing/legit-device.js';
import { BenchGateway } from './bench-gateway.js';
import { coresBusy, machineCpuTimes } from './machine-cpu.js';
import { MemoryWatch, processMemory } from './process-memory.js';
import { UsageError, intFlag, runBench } from './bench-cli.js';

/**
 * bench/fuzz: the seeded fuzzing stream of test/gateway-fuzz.test.ts, longer, against the real
 * gateway in a child process (simulated providers), so its memory is read from outside: frames
 * sent, the gateway's RSS before, at its peak and after, and whether a legitimate toy's turns
 * played meanwhile.
 */

const HELP = `node dist-bench/bench/fuzz.js [options]

  --frames N         stop starting fuzzing connections after N frames (default 1000000)
  --seconds S        ... or after S seconds, whichever comes first (default 180)
  --seed N           the fuzzing stream's seed (default 20261204, as the test's)
  --workers N        fuzzing connections at once, each from loopback addresses of its own (default 12, at most 15)
  --rate N           the gateway's per-device allowance of frames and of messages a second (default 1000),
                     raised so fuzzing frames are read, not dropped at the door; floods send 4.5 x N
  --config-json J    more gateway config overrides, one JSON object (per-address admission limits, say)
  --json             print only the JSON line on stdout
  -h, --help         this text

Progress goes to stderr. Exits 0 when the gateway stayed up, answered only in the protocol, closed
with the documented codes, let every session go and the toy's turns all played; 1 otherwise; 2 on bad usage.`;

const SEED = 20261204;
const UTTERANCE = 'Can you tell me about the moon?';
const REPLY = 'The moon is a big round rock in the sky. It shines because the sun lights it up.';
const BOUND_MS = 30_000;
const SETTLE_MS = 2000;

interface FuzzFigures {
  readonly type: 'fuzz';
  readonly node: string;
  readonly seed: number;
  readonly workers: number;
  readonly rate: number;
  readonly stoppedBy: 'frames' | 'seconds';
  readonly seconds: number;
  readonly framesPerSecond: number;
  readonly fuzz: FuzzSummary;
  readonly gateway: {
    readonly aliveThroughout: boolean;
    readonly exit: string;
    readonly rssBeforeMb: number | null;
    readonly rssPeakMb: number;
    readonly hwmMb: number | null;
    readonly rssAfterMb: number | null;
    readonly sessionsAfter: number | null;
    readonly logLines: number;
    readonly cpuPercentOfOneCore: number | null;
  };
  readonly toy: { readonly turns: number; readonly played: number; readonly failures: Readonly<Record<string, number>>; readonly playedAfter: boolean };
  readonly machineCoresBusy: number | null;
  readonly otherCoresBusy: number | null;
  readonly ok: boolean;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      frames: { type: 'string', default: '1000000' },
      seconds: { type: 'string', default: '180' },
      seed: { type: 'string', default: String(SEED) },
      workers: { type: 'string', default: '12' },
      rate: { type: 'string', default: '1000' },
      'config-json': { type: 'string', default: '{}' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const frames = intFlag('frames', values.frames, 1, 1_000_000_000);
  const seconds = intFlag('seconds', values.seconds, 1, 86_400);
  const seed = intFlag('seed', values.seed, 0, 2 ** 31 - 1);
  const workers = intFlag('workers', values.workers, 1, 15);
  const rate = intFlag('rate', values.rate, 20, 100_000);
  let extra: Record<string, unknown>;
  try {
    extra = JSON.parse(values['config-json']) as Record<string, unknown>;
  } catch {
    throw new UsageError(`--config-json must be one JSON object, got '${values['config-json']}'`);
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new UsageError('--config-json must be one JSON object');
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const devices = Array.from({ length: workers }, (_, i) => ({ id: `fuzz-${i + 1}`, secret: randomBytes(18).toString('base64url') }));
  const toy = { id: 'legit-toy', secret: randomBytes(18).toString('base64url') };
  const opus = simulatedUplink(17);

  progress(`fuzz: starting the gateway (simulated providers, per-device allowance ${rate}/s)`);
  const gateway = await BenchGateway.start({
    name: 'fuzz',
    devices: [...devices, toy],
    latencies: DEFAULT_SIMULATED_LATENCIES,
    utterance: UTTERANCE,
    reply: REPLY,
    pacingRate: 50,
    maxSessions: 500,
    config: { maxMessagesPerSecond: rate, maxFramesPerSecond: rate, helloTimeoutMs: 1000, ...extra },
    boundMs: BOUND_MS,
  });
  let crashedAt: number | undefined;
  gateway.child.once('exit', () => (crashedAt ??= performance.now()));
  let stopping = false;
  const watch = new MemoryWatch(gateway.pid);
  let legit: LegitDevice | undefined;
  const meanwhile: LegitTurn[] = [];
  try {
    legit = await LegitDevice.connect(gateway.url, { deviceId: toy.id, secret: toy.secret, localAddress: `127.0.0.${lastFuzzHost(workers) + 1}`, boundMs: BOUND_MS });
    const warmUp = await legit.turn(opus, BOUND_MS);
    if (warmUp.error !== undefined) throw new Error(`the toy's first turn, before any fuzzing, failed: ${warmUp.error}`);
    await sleep(SETTLE_MS);
    const before = processMemory(gateway.pid);
    await gateway.reset(BOUND_MS);
    const machineFrom = machineCpuTimes();
    const clientCpu = process.cpuUsage();

    let fuzzing = true;
    const toyTurns = (async () => {
      while (fuzzing) {
        meanwhile.push(await legit!.turn(opus, BOUND_MS));
        await sleep(500);
      }
    })();
    const startedAt = performance.now();
    let reported = 0;
    const summary = await runFuzz({
      url: gateway.url,
      seed,
      frames,
      until: startedAt + seconds * 1000,
      devices,
      opus,
      floodFrames: Math.ceil(3 * rate * 1.5),
      progress: (sent) => {
        if (sent - reported < frames / 20) return;
        reported = sent;
        const now = processMemory(gateway.pid);
        progress(`  ${sent} frames, ${((performance.now() - startedAt) / 1000).toFixed(0)} s, gateway RSS ${now?.rssMb ?? 'gone'} MB`);
      },
    });
    const fuzzMs = performance.now() - startedAt;
    fuzzing = false;
    await toyTurns;
    const stats = gateway.exited ? null : await gateway.stats(BOUND_MS);
    const cpu = process.cpuUsage(clientCpu);
    const machine = coresBusy(machineFrom, machineCpuTimes());
    const after = await legit.turn(opus, BOUND_MS);
    await legit.close();
    let sessions = await gateway.sessions();
    const drained = performance.now() + BOUND_MS;
    while (sessions !== null && sessions > 0 && performance.now() < drained) {
      await sleep(100);
      sessions = await gateway.sessions();
    }
    await sleep(SETTLE_MS);
    const afterMemory = processMemory(gateway.pid);
    watch.stop();
    const aliveThroughout = crashedAt === undefined;
    stopping = true;
    const exit = await gateway.stop(BOUND_MS);
    const failures: Record<string, number> = {};
    for (const turn of meanwhile) if (turn.error !== undefined) failures[turn.error] = (failures[turn.error] ?? 0) + 1;
    const played = meanwhile.filter((turn) => turn.error === undefined).length;
    const gatewayCpu = stats === null ? null : (stats.cpuPercentOfOneCore as number);
    const ours = gatewayCpu === null ? null : gatewayCpu / 100 + (cpu.user + cpu.system) / 1000 / fuzzMs;
    const figures: FuzzFigures = {
      type: 'fuzz',
      node: process.version,
      seed,
      workers,
      rate,
      stoppedBy: summary.framesSent >= frames ? 'frames' : 'seconds',
      seconds: Math.round(fuzzMs / 100) / 10,
      framesPerSecond: Math.round(summary.framesSent / (fuzzMs / 1000)),
      fuzz: summary,
      gateway: {
        aliveThroughout,
        exit,
        rssBeforeMb: before?.rssMb ?? null,
        rssPeakMb: watch.peakRssMb,
        hwmMb: afterMemory?.hwmMb ?? null,
        rssAfterMb: afterMemory?.rssMb ?? null,
        sessionsAfter: sessions,
        logLines: gateway.lines.stderrLines,
        cpuPercentOfOneCore: gatewayCpu,
      },
      toy: { turns: meanwhile.length, played, failures, playedAfter: after.error === undefined },
      machineCoresBusy: machine === null ? null : Math.round(machine * 100) / 100,
      otherCoresBusy: machine === null || ours === null ? null : Math.round(Math.max(0, machine - ours) * 100) / 100,
      ok:
        aliveThroughout &&
        exit === '0' &&
        summary.problemCount === 0 &&
        Object.keys(summary.refused).length === 0 &&
        sessions === 0 &&
        played === meanwhile.length &&
        played > 0 &&
        after.error === undefined,
    };
    if (!values.json) print(figures, gateway.lines.stderr);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return figures.ok ? 0 : 1;
  } finally {
    watch.stop();
    if (!stopping) {
      await legit?.close().catch(() => {});
      await gateway.stop(BOUND_MS);
    }
    await gateway.remove();
  }
}

function print(f: FuzzFigures, lastLog: readonly string[]): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const s = f.fuzz;
  const g = f.gateway;
  out(`fuzz: seed ${f.seed}, ${f.workers} connections at once, per-device allowance ${f.rate}/s; stopped by ${f.stoppedBy} after ${f.seconds} s`);
  out(`frames sent: ${s.framesSent} (${f.framesPerSecond} a second) on ${s.connections} connections, ${s.authenticated} of them authenticated (${s.welcomed} welcomed); ${s.received} messages back`);
  out(`endings: ${Object.entries(s.endings).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`close codes seen: ${Object.entries(s.closeCodes).map(([k, v]) => `${k} × ${v}`).join(', ')}; upgrades refused: ${Object.keys(s.refused).length === 0 ? 'none' : JSON.stringify(s.refused)}`);
  out(`answers outside the protocol or closes not documented: ${s.problemCount}${s.problems.length > 0 ? `\n  ${s.problems.join('\n  ')}` : ''}`);
  out(`gateway RSS: before ${g.rssBeforeMb ?? 'n/a'} MB, peak ${g.rssPeakMb} MB sampled (VmHWM ${g.hwmMb ?? 'n/a'} MB, start-up included), after ${g.rssAfterMb ?? 'n/a'} MB (${SETTLE_MS / 1000} s after the last session went)`);
  out(`gateway: ${g.aliveThroughout ? 'up throughout' : 'DIED during the run'}, exit ${g.exit} on stop; sessions after: ${g.sessionsAfter ?? 'no answer'}; ${g.logLines} log lines (warn and up); CPU ${g.cpuPercentOfOneCore ?? 'n/a'}% of one core`);
  const failed = Object.entries(f.toy.failures).map(([k, v]) => `${v} × ${k}`).join('; ');
  out(`legitimate toy: ${f.toy.played} of ${f.toy.turns} turns played during the fuzz${failed ? ` (${failed})` : ''}; a turn after it: ${f.toy.playedAfter ? 'played' : 'FAILED'}`);
  if (f.machineCoresBusy !== null) out(`machine: ${f.machineCoresBusy} of ${availableParallelism()} cores busy during the fuzz, ${f.otherCoresBusy ?? 'n/a'} of them not this bench`);
  out(f.ok ? 'result: ok' : 'result: FAILED');
  if (!f.ok && lastLog.length > 0) out(`gateway's last log lines:\n  ${lastLog.join('\n  ')}`);
}

runBench('fuzz', main);
