import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReportWaiter } from '../cli/report-waiter.js';
import { synthesizeUtterance } from '../cli/synthesize-utterance.js';
import { deviceConfig } from '../device/device-config.js';
import { DEVICE_SECRET_VARIABLE, secretFromEnv } from '../device/device-config-file.js';
import { startDevice } from '../device/device-main.js';
import type { DeviceReport } from '../device/device-report.js';
import type { Log } from '../log/log.js';
import { createHardware } from '../hardware/hardware-factory.js';

/**
 * The device side of bench/device-memory: the device process with simulated
 * hardware, driven through scripted turns in a loop. The utterances are
 * synthesised once and reused, so what is measured is the device, not espeak-ng.
 *
 * It prints one JSON object per line on stdout, each with a "type":
 *   ready   connected to the gateway, before the first turn
 *   turn    one per turn: how it ended and voice-to-voice ms
 *   sample  memory of this process after a turn (and before the first one)
 *   done    the loop is over
 *   fatal   the loop could not go on
 * The secret comes from POMMAI_DEVICE_SECRET (read as the device reads it), never from the command line.
 */

/** Short phrases the offline companion understands, said in turn. */
const PHRASES = ['hello', 'what does a cow say', 'tell me a joke'] as const;
const TURN_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 30_000;

export interface MemorySample {
  readonly type: 'sample';
  /** Turns completed when the sample was taken (0: before the first). */
  readonly turn: number;
  readonly vmRssKb: number;
  readonly vmHwmKb: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Handles and requests keeping the event loop alive (timers, sockets, ...): a leak shows here too. */
  readonly activeResources: number;
  /** True when a garbage collection was forced just before (node --expose-gc). */
  readonly afterGc: boolean;
}

const write = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

function statusKb(field: string, status: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function sample(turn: number): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // Not Linux: fall back to what Node knows.
  }
  const usage = process.memoryUsage();
  return {
    type: 'sample',
    turn,
    vmRssKb: statusKb('VmRSS', status) ?? Math.round(usage.rss / 1024),
    vmHwmKb: statusKb('VmHWM', status) ?? process.resourceUsage().maxRSS,
    heapTotal: usage.heapTotal,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    activeResources: process.getActiveResourcesInfo().length,
    afterGc: gc !== undefined,
  };
}

function positiveNumber(name: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'device-id': { type: 'string', default: 'bench-toy' },
      turns: { type: 'string', default: '1000' },
      speed: { type: 'string', default: '16' },
      'sample-every': { type: 'string', default: '50' },
    },
  });
  if (!values.url) throw new Error('--url is required');
  const secret = secretFromEnv(process.env);
  if (!secret) throw new Error(`${DEVICE_SECRET_VARIABLE} is not set`);
  const turns = positiveNumber('turns', values.turns, true);
  const speed = positiveNumber('speed', values.speed, false);
  const sampleEvery = positiveNumber('sample-every', values['sample-every'], true);

  const utterances: Int16Array[] = [];
  for (const phrase of PHRASES) utterances.push(await synthesizeUtterance(phrase));

  const hardware = await createHardware({ button: 'scripted', leds: 'recording', microphone: 'wav', speaker: 'sim', speed, soundCard: 'off' });
  const waiter = new ReportWaiter();
  let state: string = 'offline';
  const observe = (report: DeviceReport): void => {
    if (report.type === 'state') state = report.state;
    if (report.type === 'error' && report.turn === undefined && !report.retryable) write({ type: 'fatal', message: `${report.code}: ${report.message}` });
    waiter.observe(report);
  };
  const log: Log = (level, message, fields) => {
    if (level === 'warn' || level === 'error') process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
  };
  const config = deviceConfig({ gatewayUrl: values.url, deviceId: values['device-id'], secret });
  const connected = waiter.next((r) => r.type === 'link' && r.up, CONNECT_TIMEOUT_MS, 'the gateway');
  const runner = startDevice(config, hardware, log, observe);
  let code = 0;
  try {
    await connected;
    write({ type: 'ready', phrases: PHRASES, utteranceMs: utterances.map((u) => Math.round((u.length / hardware.microphone.sampleRate) * 1000)) });
    write(sample(0));
    const started = performance.now();
    const untilIdle = async (): Promise<void> => {
      if (state !== 'idle') await waiter.next((r) => r.type === 'state' && r.state === 'idle', TURN_TIMEOUT_MS, 'the toy to be idle');
    };
    for (let i = 1; i <= turns; i++) {
      await untilIdle();
      const mic = hardware.microphone;
      mic.load(utterances[(i - 1) % utterances.length] as Int16Array);
      let stopListening = (): void => {};
      const spoken = new Promise<void>((resolve) => {
        stopListening = mic.onUtteranceEnd(resolve);
      });
      const ended = waiter.next((r): r is Extract<DeviceReport, { type: 'turn' }> => r.type === 'turn', TURN_TIMEOUT_MS, 'the end of the turn');
      ended.catch(() => {});
      hardware.button.press();
      // The turn can end before the utterance does (the link dropped, the gateway cut it short).
      await Promise.race([spoken, ended]).finally(stopListening);
      hardware.button.release();
      try {
        const report = await ended;
        write({ type: 'turn', turn: i, end: report.end, ...(report.voiceToVoiceMs === undefined ? {} : { voiceToVoiceMs: report.voiceToVoiceMs }) });
      } catch (error) {
        write({ type: 'turn', turn: i, end: 'no_report', message: (error as Error).message });
      }
      if (i % sampleEvery === 0 || i === turns) {
        await untilIdle();
        write(sample(i));
      }
    }
    write({ type: 'done', turns, loopMs: Math.round(performance.now() - started) });
  } catch (error) {
    write({ type: 'fatal', message: (error as Error).message });
    code = 1;
  } finally {
    await runner.stop();
    await hardware.close();
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    write({ type: 'fatal', message: (error as Error).message ?? String(error) });
    process.exitCode = 1;
  },
);
