import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type { MemorySample } from './device-memory-device.js';
import { DEVICE_SECRET_VARIABLE } from '../device/device-config-file.js';
import { DEVICE_ENV, DEVICE_V8_FLAGS } from '../device/v8-flags.js';
import { joinFlagValues } from './join-flag-values.js';
import { percentile } from './percentile.js';

/**
 * bench/device-memory: runs N scripted turns of the device process (compiled
 * JavaScript, simulated hardware, its own child process) against a gateway in
 * another process, and prints the device's memory over the run: peak RSS,
 * RSS after warm-up and at the end, growth per 100 turns, and the median
 * voice-to-voice latency. Each set of V8 flags is one run with a fresh gateway.
 */

const PRODUCTION_FLAGS = DEVICE_V8_FLAGS.join(' ');

const HELP = `node dist-bench/bench/device-memory.js [options]   (after npm run build and npm run build:bench)

  --turns N          scripted turns per run (default 1000)
  --quick            50 turns, sampled every 5, warm-up 10, one run with the production
                     V8 flags (unless --flags says otherwise): a check in well under a minute
  --speed S          simulated microphone, speaker and gateway pacing S times real time (default 20)
  --flags "..."      V8 flags of the device process for one run (repeatable; "" is none).
                     Default: two runs, none and "${PRODUCTION_FLAGS}"
  --sample-every N   memory sample every N turns (default 50, or turns/10 below 500 turns)
  --warm-up N        turns before growth is measured (default min(50, 2 x sample-every))
  --json-only        print only the final JSON line on stdout

Progress goes to stderr; the figures and a final JSON line go to stdout.`;

const DEVICE_ID = 'bench-toy';
/** A child that says nothing for this long is stuck: every turn reports well within it. */
const SILENCE_LIMIT_MS = 90_000;

// The gateway is the product build's (dist/, from the repository's root two folders up), not
// the copy of its modules this bench's own build holds; the device helper is this bench's.
const mainJs = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const deviceJs = fileURLToPath(new URL('./device-memory-device.js', import.meta.url));

interface RunOptions {
  readonly flags: string;
  readonly turns: number;
  readonly speed: number;
  readonly sampleEvery: number;
  readonly warmUp: number;
}

interface TurnLine {
  readonly type: 'turn';
  readonly turn: number;
  readonly end: string;
  readonly voiceToVoiceMs?: number;
}

interface RunFigures {
  readonly flags: string;
  readonly turns: number;
  readonly speed: number;
  readonly turnsCompleted: number;
  readonly failedTurns: number;
  readonly ends: Record<string, number>;
  readonly peakRssMb: number | null;
  readonly rssBeforeFirstTurnMb: number | null;
  readonly warmUpTurn: number | null;
  readonly rssAfterWarmUpMb: number | null;
  readonly endTurn: number | null;
  readonly rssAtEndMb: number | null;
  readonly rssGrowthPer100TurnsMb: number | null;
  readonly heapUsedGrowthPer100TurnsMb: number | null;
  readonly externalGrowthPer100TurnsMb: number | null;
  readonly heapUsedAtEndMb: number | null;
  readonly samplesAfterWarmUp: number;
  readonly totalTimeS: number;
  readonly loopTimeS: number | null;
  readonly medianVoiceToVoiceMs: number | null;
  readonly p95VoiceToVoiceMs: number | null;
  readonly afterGc: boolean;
  readonly exitCode: number | null;
  readonly error?: string;
  readonly samples: ReadonlyArray<{ turn: number; rssMb: number; hwmMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number; activeResources: number }>;
}

const mb = (kb: number): number => round(kb / 1024, 1);
const bytesMb = (bytes: number): number => round(bytes / 1024 / 1024, 2);

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A percentile to one decimal, as this bench prints its figures. */
function rounded(value: number | null): number | null {
  return value === null ? null : round(value, 1);
}

/** Least-squares slope of y over x; null below two distinct x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

function onLines(child: ChildProcess, onLine: (line: string) => void): void {
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
}

/** Keeps the last lines a child wrote on stderr, to show when something went wrong. */
function tail(child: ChildProcess, keep = 20): { lines: string[]; count: () => number } {
  const lines: string[] = [];
  let count = 0;
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      count++;
      lines.push(line);
      if (lines.length > keep) lines.shift();
    });
  }
  return { lines, count: () => count };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

async function registerDevice(db: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [mainJs, 'devices', 'add', DEVICE_ID, '--db', db]);
  const secret = stdout.trim().split('\n').pop()?.trim();
  if (!secret) throw new Error('pommai devices add printed no secret');
  return secret;
}

async function startGateway(db: string, speed: number): Promise<{ url: string; process: ChildProcess; stderr: ReturnType<typeof tail> }> {
  const gateway = spawn(process.execPath, [mainJs, 'gateway', '--port', '0', '--db', db, '--pacing-rate', String(speed), '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = tail(gateway);
  const url = await new Promise<string>((resolve, reject) => {
    onLines(gateway, (line) => {
      try {
        const message = JSON.parse(line) as { type?: string; url?: string };
        if (message.type === 'listening' && message.url) resolve(message.url);
      } catch {
        // The gateway prints only JSON on stdout; anything else is not ours.
      }
    });
    gateway.once('exit', (code) => reject(new Error(`the gateway exited with code ${code} before listening:\n${stderr.lines.join('\n')}`)));
    gateway.once('error', reject);
  });
  return { url, process: gateway, stderr };
}

async function runOnce(options: RunOptions, progress: (line: string) => void): Promise<RunFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'pommai-bench-'));
  const db = join(dir, 'gateway.db');
  const startedAt = performance.now();
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  const turnLines: TurnLine[] = [];
  const samples: MemorySample[] = [];
  let loopMs: number | undefined;
  let error: string | undefined;
  let exitCode: number | null = null;
  try {
    const secret = await registerDevice(db);
    gateway = await startGateway(db, options.speed);
    const flags = options.flags.split(/\s+/).filter((f) => f !== '');
    const device = spawn(
      process.execPath,
      [...flags, deviceJs, '--url', gateway.url, '--device-id', DEVICE_ID, '--turns', String(options.turns), '--speed', String(options.speed), '--sample-every', String(options.sampleEvery)],
      // The device's production environment (malloc arenas) applies to every run, as it does under systemd.
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...DEVICE_ENV, [DEVICE_SECRET_VARIABLE]: secret } },
    );
    const deviceErr = tail(device);
    const watchdog = setTimeout(() => {
      error ??= `the device said nothing for ${SILENCE_LIMIT_MS / 1000} s: stopped it`;
      device.kill('SIGKILL');
    }, SILENCE_LIMIT_MS);
    onLines(device, (line) => {
      watchdog.refresh();
      let message: { type?: string } & Record<string, unknown>;
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (message.type === 'turn') turnLines.push(message as unknown as TurnLine);
      else if (message.type === 'sample') {
        const s = message as unknown as MemorySample;
        samples.push(s);
        progress(`  turn ${s.turn}/${options.turns}: RSS ${mb(s.vmRssKb)} MB, VmHWM ${mb(s.vmHwmKb)} MB, heap used ${bytesMb(s.heapUsed)} MB`);
      } else if (message.type === 'done') loopMs = message['loopMs'] as number;
      else if (message.type === 'fatal') error ??= String(message['message']);
    });
    exitCode = await exited(device);
    clearTimeout(watchdog);
    if (exitCode !== 0 || error !== undefined) {
      error ??= `the device exited with code ${exitCode}`;
      if (deviceErr.lines.length > 0) progress(`  last lines of the device's stderr:\n    ${deviceErr.lines.join('\n    ')}`);
    }
  } catch (caught) {
    error ??= (caught as Error).message;
  } finally {
    if (gateway) {
      gateway.process.kill('SIGTERM');
      await exited(gateway.process);
    }
    await rm(dir, { recursive: true, force: true });
  }
  return figures(options, turnLines, samples, loopMs, performance.now() - startedAt, exitCode, error);
}

function figures(
  options: RunOptions,
  turnLines: readonly TurnLine[],
  samples: readonly MemorySample[],
  loopMs: number | undefined,
  totalMs: number,
  exitCode: number | null,
  error: string | undefined,
): RunFigures {
  const ends: Record<string, number> = {};
  for (const t of turnLines) ends[t.end] = (ends[t.end] ?? 0) + 1;
  const v2v = turnLines.flatMap((t) => (t.end === 'played' && t.voiceToVoiceMs !== undefined ? [t.voiceToVoiceMs] : []));
  const first = samples.find((s) => s.turn === 0);
  const warm = samples.find((s) => s.turn >= options.warmUp && s.turn > 0);
  const last = samples[samples.length - 1];
  const steady = samples.filter((s) => warm !== undefined && s.turn >= warm.turn);
  const per100 = (pick: (s: MemorySample) => number): number | null => {
    const k = slope(steady.map((s) => [s.turn, pick(s)] as const));
    return k === null ? null : round(k * 100, 3);
  };
  return {
    flags: options.flags,
    turns: options.turns,
    speed: options.speed,
    turnsCompleted: turnLines.length,
    failedTurns: turnLines.filter((t) => t.end !== 'played').length + Math.max(0, options.turns - turnLines.length),
    ends,
    peakRssMb: samples.length > 0 ? mb(Math.max(...samples.map((s) => s.vmHwmKb))) : null,
    rssBeforeFirstTurnMb: first ? mb(first.vmRssKb) : null,
    warmUpTurn: warm?.turn ?? null,
    rssAfterWarmUpMb: warm ? mb(warm.vmRssKb) : null,
    endTurn: last?.turn ?? null,
    rssAtEndMb: last ? mb(last.vmRssKb) : null,
    rssGrowthPer100TurnsMb: per100((s) => s.vmRssKb / 1024),
    heapUsedGrowthPer100TurnsMb: per100((s) => s.heapUsed / 1024 / 1024),
    externalGrowthPer100TurnsMb: per100((s) => s.external / 1024 / 1024),
    heapUsedAtEndMb: last ? bytesMb(last.heapUsed) : null,
    samplesAfterWarmUp: steady.length,
    totalTimeS: round(totalMs / 1000, 1),
    loopTimeS: loopMs === undefined ? null : round(loopMs / 1000, 1),
    medianVoiceToVoiceMs: rounded(percentile(v2v, 50)),
    p95VoiceToVoiceMs: rounded(percentile(v2v, 95)),
    afterGc: samples.some((s) => s.afterGc),
    exitCode,
    ...(error === undefined ? {} : { error }),
    samples: samples.map((s) => ({
      turn: s.turn,
      rssMb: mb(s.vmRssKb),
      hwmMb: mb(s.vmHwmKb),
      heapUsedMb: bytesMb(s.heapUsed),
      heapTotalMb: bytesMb(s.heapTotal),
      externalMb: bytesMb(s.external),
      arrayBuffersMb: bytesMb(s.arrayBuffers),
      activeResources: s.activeResources,
    })),
  };
}

function printRun(f: RunFigures, print: (line: string) => void): void {
  const show = (n: number | null, unit: string): string => (n === null ? 'n/a' : `${n} ${unit}`);
  const signed = (n: number | null, unit: string): string => (n === null ? 'n/a' : `${n >= 0 ? '+' : ''}${n} ${unit}`);
  print(`device memory: ${f.turns} turns at speed ${f.speed}, V8 flags: ${f.flags === '' ? '(none)' : f.flags}, env: ${Object.entries(DEVICE_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}${f.afterGc ? ' (samples taken after a forced GC)' : ''}`);
  print(`turns completed: ${f.turnsCompleted} of ${f.turns}`);
  print(`failed turns: ${f.failedTurns}${Object.keys(f.ends).length > 1 ? ` (${Object.entries(f.ends).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`);
  print(`peak RSS (VmHWM): ${show(f.peakRssMb, 'MB')}`);
  print(`RSS before the first turn: ${show(f.rssBeforeFirstTurnMb, 'MB')}`);
  print(`RSS after warm-up (turn ${f.warmUpTurn ?? 'n/a'}): ${show(f.rssAfterWarmUpMb, 'MB')}`);
  print(`RSS at the end (turn ${f.endTurn ?? 'n/a'}): ${show(f.rssAtEndMb, 'MB')}`);
  print(`RSS growth per 100 turns: ${signed(f.rssGrowthPer100TurnsMb, 'MB')} (least squares over ${f.samplesAfterWarmUp} samples from turn ${f.warmUpTurn ?? 'n/a'})`);
  print(`V8 heap used growth per 100 turns: ${signed(f.heapUsedGrowthPer100TurnsMb, 'MB')}; external: ${signed(f.externalGrowthPer100TurnsMb, 'MB')}`);
  print(`total time: ${f.totalTimeS} s (turn loop ${show(f.loopTimeS, 's')})`);
  print(`median voice-to-voice: ${show(f.medianVoiceToVoiceMs, 'ms')} (p95 ${show(f.p95VoiceToVoiceMs, 'ms')})`);
  if (f.error !== undefined) print(`error: ${f.error}`);
}

function positive(name: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinFlagValues(argv, '--flags'),
    options: {
      turns: { type: 'string' },
      quick: { type: 'boolean', default: false },
      speed: { type: 'string', default: '20' },
      flags: { type: 'string', multiple: true },
      'sample-every': { type: 'string' },
      'warm-up': { type: 'string' },
      'json-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: build the product first (npm run build)`);
  const turns = values.turns !== undefined ? positive('turns', values.turns, true) : values.quick ? 50 : 1000;
  const speed = positive('speed', values.speed, false);
  const sampleEvery =
    values['sample-every'] !== undefined ? positive('sample-every', values['sample-every'], true) : turns >= 500 ? 50 : Math.max(1, Math.floor(turns / 10));
  const warmUp = values['warm-up'] !== undefined ? positive('warm-up', values['warm-up'], true) : Math.min(50, 2 * sampleEvery);
  const flagSets = values.flags ?? (values.quick ? [PRODUCTION_FLAGS] : ['', PRODUCTION_FLAGS]);
  const print = values['json-only'] ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);

  const runs: RunFigures[] = [];
  for (const flags of flagSets) {
    progress(`running ${turns} turns, V8 flags: ${flags === '' ? '(none)' : flags}`);
    const run = await runOnce({ flags, turns, speed, sampleEvery, warmUp }, progress);
    runs.push(run);
    printRun(run, print);
    print('');
  }
  process.stdout.write(`${JSON.stringify({ type: 'device-memory', node: process.version, arch: process.arch, turns, speed, sampleEvery, warmUp, runs })}\n`);
  return runs.every((r) => r.error === undefined && r.failedTurns === 0) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`device-memory: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
