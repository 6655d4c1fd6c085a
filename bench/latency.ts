import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATED_LATENCIES, type SimulatedLatencies } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import { simulatedUplink } from '../cloud/providers/testing/simulated/simulated-uplink.js';
import { normalizePhrase } from '../cloud/providers/stt/normalize-phrase.js';
import { UPLINK_AUDIO } from '../protocol/index.js';
import { BenchGateway } from './bench-gateway.js';
import { criticalPath, type CriticalPath } from './critical-path.js';
import { EventLoopLag, type LagSummary } from './event-loop-lag.js';
import { coresBusy, machineCpuTimes } from './machine-cpu.js';
import { LatencyDevice } from './latency-device.js';
import { PARTS, latencyFigures, type BenchTurn, type LatencyFigures, type Spread } from './latency-figures.js';
import { joinFlagValues } from './join-flag-values.js';

/**
 * bench/latency: voice-to-voice through the real gateway. The gateway runs in a child process
 * with simulated providers at fixed latencies; this process plays N devices over WebSocket,
 * each holding the button for an utterance, letting go and timing the first voice frame. The
 * figures are voice-to-voice and the overhead above the providers' own critical path, with the
 * gateway's metrics showing where that overhead goes.
 */

const HELP = `node dist-bench/bench/latency.js [options]

  --devices N[,N...]        simulated devices at once, one run per count (default 1,100)
  --turns N                 measured turns per device (default 30 with one device, 10 with more)
  --warm-up N               turns per device before measuring, not counted (default 1)
  --runs N                  runs of each device count (default 1)
  --stt-ms MS               STT, from listen stop to transcript (default ${DEFAULT_SIMULATED_LATENCIES.sttMs})
  --safety-ms MS            one safety check, either way (default ${DEFAULT_SIMULATED_LATENCIES.safetyMs})
  --llm-first-token-ms MS   LLM, request to first token (default ${DEFAULT_SIMULATED_LATENCIES.llmFirstTokenMs})
  --llm-token-ms MS         LLM, each later token (default ${DEFAULT_SIMULATED_LATENCIES.llmTokenMs})
  --tts-first-byte-ms MS    TTS, request to first audio (default ${DEFAULT_SIMULATED_LATENCIES.ttsFirstByteMs})
  --pacing-rate R           the gateway's downlink pacing, R times real time (default 50: turns take
                            no playback time; the first frame goes out at once at any rate)
  --gateway-flags "..."     node flags of the gateway process (e.g. "--cpu-prof --cpu-prof-dir=prof")
  --json-only               print only the final JSON line on stdout

Progress goes to stderr; the figures and a final JSON line go to stdout. Exits 1 if a turn failed.`;

const UTTERANCE = 'Can you tell me about carrots?';
const REPLY = 'Hello there, my friend! I love carrots and sunny days. Do you like carrots too?';
/** About a second of holding the button: 17 frames of 60 ms. */
const UTTERANCE_FRAMES = 17;
/** Devices' first turns are spread over about one turn's length, so they overlap without moving in step. */
const SPREAD_MS = 3000;
/** Each device waits 0..THINK_MS between its turns, as children do, so the overlap keeps shifting. */
const THINK_MS = 300;
const TURN_BOUND_MS = 30_000;
const CONNECT_BOUND_MS = 60_000;

interface GatewayStats {
  readonly timerLatenessMs: Readonly<Record<string, { waits: number; p50: number; p95: number; max: number }>>;
  readonly eventLoopLagMs: LagSummary;
  readonly cpuMs: number;
  readonly cpuPercentOfOneCore: number;
}

interface RunResult extends LatencyFigures {
  readonly devices: number;
  readonly turnsPerDevice: number;
  readonly warmUp: number;
  readonly run: number;
  readonly wallS: number;
  readonly gatewayStats: GatewayStats | null;
  readonly clientEventLoopLagMs: LagSummary;
  readonly clientCpuPercentOfOneCore: number;
  /** The whole machine while the turns ran, in cores busy; null off Linux. */
  readonly machineCoresBusy: number | null;
  readonly error?: string;
}

interface RunOptions {
  readonly devices: number;
  readonly turns: number;
  readonly warmUp: number;
  readonly run: number;
  readonly latencies: SimulatedLatencies;
  readonly path: CriticalPath;
  readonly pacingRate: number;
  readonly gatewayFlags: readonly string[];
  readonly uplink: readonly Uint8Array[];
}

/** A small seeded generator, so two runs of the bench space their turns alike. */
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

async function runOnce(o: RunOptions, progress: (line: string) => void): Promise<RunResult> {
  const ids = Array.from({ length: o.devices }, (_, i) => `bench-${String(i + 1).padStart(3, '0')}`);
  const secrets = ids.map(() => randomBytes(18).toString('base64url'));
  const turns: BenchTurn[] = [];
  const clientLag = new EventLoopLag();
  let gateway: BenchGateway | undefined;
  let stats: GatewayStats | null = null;
  let error: string | undefined;
  const devices: LatencyDevice[] = [];
  let clientCpu = process.cpuUsage();
  let machineFrom = machineCpuTimes();
  let machineCores: number | null = null;
  let loopStartedAt = performance.now();
  let loopMs = 0;
  const startedAt = performance.now();
  try {
    gateway = await BenchGateway.start({
      name: 'latency',
      devices: ids.map((id, i) => ({ id, secret: secrets[i] as string })),
      latencies: o.latencies,
      utterance: UTTERANCE,
      reply: REPLY,
      pacingRate: o.pacingRate,
      maxSessions: Math.max(500, o.devices),
      flags: o.gatewayFlags,
      boundMs: CONNECT_BOUND_MS,
    });
    const url = gateway.url;
    // Every device is connected (and its secret checked) before the clock starts.
    devices.push(...(await Promise.all(ids.map((id, i) => LatencyDevice.connect(url, id, secrets[i] as string, CONNECT_BOUND_MS)))));
    const expected = { transcript: normalizePhrase(UTTERANCE), firstChunk: o.path.firstChunk, reply: REPLY };
    const total = o.devices * (o.warmUp + o.turns);
    const rand = random(o.devices * 1000 + o.run);
    /** Turns `from`..`to` of every device, their starts spread so they overlap out of step. */
    const play = (from: number, to: number, warmUp: boolean) =>
      Promise.all(
        devices.map(async (device, k) => {
          await sleep((k * SPREAD_MS) / o.devices);
          for (let turn = from; turn <= to; turn++) {
            if (device.isClosed) {
              const now = performance.now();
              turns.push({ device: k, warmUp, turn, startedAt: now, stoppedAt: now, endedAt: now, voiceHeard: false, error: 'the connection was lost' });
              continue;
            }
            turns.push({ device: k, warmUp, ...(await device.turn(turn, o.uplink, UPLINK_AUDIO.frameMs, expected, TURN_BOUND_MS)) });
            if (turns.length % Math.max(1, Math.round(total / 10)) === 0) progress(`  ${turns.length} of ${total} turns`);
            await sleep(rand() * THINK_MS);
          }
        }),
      );
    // Every device finishes warming up before any turn is measured: first-use costs (loading the
    // codec, JIT compilation) land in no measured turn, and the measured phase starts out of step again.
    await play(1, o.warmUp, true);
    await gateway.reset(CONNECT_BOUND_MS);
    clientLag.reset();
    clientCpu = process.cpuUsage();
    machineFrom = machineCpuTimes();
    loopStartedAt = performance.now();
    await play(o.warmUp + 1, o.warmUp + o.turns, false);
    loopMs = performance.now() - loopStartedAt;
    machineCores = coresBusy(machineFrom, machineCpuTimes());
    clientCpu = process.cpuUsage(clientCpu);
    stats = (await gateway.stats(CONNECT_BOUND_MS)) as unknown as GatewayStats;
  } catch (caught) {
    error = (caught as Error).message;
  } finally {
    for (const device of devices) device.close();
    if (gateway !== undefined) {
      await gateway.stop(10_000);
      await gateway.remove();
    }
    clientLag.stop();
  }
  return {
    devices: o.devices,
    turnsPerDevice: o.turns,
    warmUp: o.warmUp,
    run: o.run,
    ...latencyFigures(turns, o.latencies, o.path),
    wallS: Math.round((performance.now() - startedAt) / 100) / 10,
    gatewayStats: stats === null ? null : { timerLatenessMs: stats.timerLatenessMs, eventLoopLagMs: stats.eventLoopLagMs, cpuMs: stats.cpuMs, cpuPercentOfOneCore: stats.cpuPercentOfOneCore },
    clientEventLoopLagMs: clientLag.summary(),
    clientCpuPercentOfOneCore: loopMs === 0 ? 0 : Math.round(((clientCpu.user + clientCpu.system) / 1000 / loopMs) * 1000) / 10,
    machineCoresBusy: machineCores === null ? null : Math.round(machineCores * 100) / 100,
    ...(error === undefined ? {} : { error }),
  };
}

function printRun(r: RunResult, o: { latencies: SimulatedLatencies; path: CriticalPath; runs: number }, print: (line: string) => void): void {
  const ms = (n: number | null) => (n === null ? 'n/a' : `${n} ms`);
  const l = o.latencies;
  print(`latency: ${r.devices} device${r.devices === 1 ? '' : 's'}, ${r.turnsPerDevice} turns each after ${r.warmUp} warm-up (run ${r.run} of ${o.runs})`);
  print(`providers (simulated): STT ${l.sttMs} ms, safety ${l.safetyMs} ms, LLM first token ${l.llmFirstTokenMs} ms then ${l.llmTokenMs} ms per token, TTS first byte ${l.ttsFirstByteMs} ms`);
  print(`turns completed: ${r.turnsCompleted} of ${r.turnsMeasured}; failed turns: ${r.turnsFailed}${r.turnsFailed > 0 ? ` (${Object.entries(r.errors).map(([k, v]) => `${v} × ${k}`).join('; ')})` : ''}`);
  print(`other devices at each listen stop: in a turn mean ${r.concurrentTurns.mean ?? 'n/a'} (max ${r.concurrentTurns.max ?? 'n/a'}), being answered mean ${r.concurrentAnswers.mean ?? 'n/a'} (max ${r.concurrentAnswers.max ?? 'n/a'})`);
  print(`voice-to-voice: p50 ${ms(r.voiceToVoiceMs.p50)}, p95 ${ms(r.voiceToVoiceMs.p95)}, max ${ms(r.voiceToVoiceMs.max)}`);
  print(`providers' critical path: ${o.path.ms} ms = ${o.path.explained} (first chunk "${o.path.firstChunk}", ${o.path.firstChunkTokens} tokens)`);
  print(`overhead above it: p50 ${ms(r.overheadMs.p50)}, p95 ${ms(r.overheadMs.p95)}, max ${ms(r.overheadMs.max)}; goal under 50 ms at p95: ${r.goalMet ? 'met' : 'NOT met'}`);
  print('');
  print('| where the overhead goes (ms) | p50 | p95 | max |');
  print('|---|---|---|---|');
  for (const [part, label] of PARTS) {
    const s: Spread = r.partsMs[part];
    print(`| ${label} | ${s.p50 ?? 'n/a'} | ${s.p95 ?? 'n/a'} | ${s.max ?? 'n/a'} |`);
  }
  print('');
  if (r.gatewayStats !== null) {
    const late = Object.entries(r.gatewayStats.timerLatenessMs).map(([stage, s]) => `${stage} ${s.p50}/${s.p95}`);
    print(`simulated providers' timers, late by (p50/p95 ms): ${late.join(', ')}`);
    const g = r.gatewayStats.eventLoopLagMs;
    const perTurn = r.turnsMeasured === 0 ? 'n/a' : (r.gatewayStats.cpuMs / r.turnsMeasured).toFixed(1);
    print(`gateway: event loop lag p50 ${g.p50} ms, p99 ${g.p99} ms, max ${g.max} ms; CPU ${r.gatewayStats.cpuPercentOfOneCore}% of one core, ${perTurn} ms per turn`);
  }
  const c = r.clientEventLoopLagMs;
  print(`bench devices' process: event loop lag p50 ${c.p50} ms, p99 ${c.p99} ms, max ${c.max} ms; CPU ${r.clientCpuPercentOfOneCore}% of one core`);
  if (r.machineCoresBusy !== null) {
    const ours = ((r.gatewayStats?.cpuPercentOfOneCore ?? 0) + r.clientCpuPercentOfOneCore) / 100;
    print(`machine: ${r.machineCoresBusy} of ${availableParallelism()} cores busy while the turns ran, ${Math.max(0, r.machineCoresBusy - ours).toFixed(2)} of them not this bench`);
  }
  print(`wall time: ${r.wallS} s`);
  if (r.error !== undefined) print(`error: ${r.error}`);
}

function count(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}, got '${value}'`);
  return n;
}

function millis(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a number of milliseconds, got '${value}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinFlagValues(argv, '--gateway-flags'),
    options: {
      devices: { type: 'string', default: '1,100' },
      turns: { type: 'string' },
      'warm-up': { type: 'string' },
      runs: { type: 'string' },
      'stt-ms': { type: 'string' },
      'safety-ms': { type: 'string' },
      'llm-first-token-ms': { type: 'string' },
      'llm-token-ms': { type: 'string' },
      'tts-first-byte-ms': { type: 'string' },
      'pacing-rate': { type: 'string', default: '50' },
      'gateway-flags': { type: 'string', default: '' },
      'json-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const d = DEFAULT_SIMULATED_LATENCIES;
  const latencies: SimulatedLatencies = {
    sttMs: millis('stt-ms', values['stt-ms'], d.sttMs),
    safetyMs: millis('safety-ms', values['safety-ms'], d.safetyMs),
    llmFirstTokenMs: millis('llm-first-token-ms', values['llm-first-token-ms'], d.llmFirstTokenMs),
    llmTokenMs: millis('llm-token-ms', values['llm-token-ms'], d.llmTokenMs),
    ttsFirstByteMs: millis('tts-first-byte-ms', values['tts-first-byte-ms'], d.ttsFirstByteMs),
  };
  const deviceCounts = values.devices.split(',').map((v) => count('devices', v.trim(), 1));
  const warmUp = count('warm-up', values['warm-up'], 1, 0);
  const runs = count('runs', values.runs, 1);
  const pacingRate = Number(values['pacing-rate']);
  if (!(pacingRate > 0 && pacingRate <= 1000)) throw new Error(`--pacing-rate must be in (0, 1000], got '${values['pacing-rate']}'`);
  const gatewayFlags = values['gateway-flags'].split(/\s+/).filter((f) => f !== '');
  const print = values['json-only'] ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const path = await criticalPath(latencies, REPLY);
  // Encoded once: the devices' CPU goes to the sockets, not to Opus.
  const uplink = simulatedUplink(UTTERANCE_FRAMES);

  const results: RunResult[] = [];
  for (const devices of deviceCounts) {
    const turns = count('turns', values.turns, devices === 1 ? 30 : 10);
    for (let run = 1; run <= runs; run++) {
      progress(`latency: ${devices} device(s), ${warmUp} + ${turns} turns each, run ${run} of ${runs}`);
      const result = await runOnce({ devices, turns, warmUp, run, latencies, path, pacingRate, gatewayFlags, uplink }, progress);
      results.push(result);
      printRun(result, { latencies, path, runs }, print);
      print('');
    }
  }
  process.stdout.write(
    `${JSON.stringify({ type: 'latency', node: process.version, arch: process.arch, latencies, pacingRate, criticalPath: path, goalMs: 50, runs: results })}\n`,
  );
  return results.every((r) => r.error === undefined && r.turnsFailed === 0 && r.turnsCompleted === r.turnsMeasured) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`latency: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
