import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { startGateway } from '../cloud/gateway-main.js';
import { SimulatedLlm } from '../cloud/providers/testing/simulated/simulated-llm.js';
import type { LatencyObserver, SimulatedStage } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import { SimulatedSafety } from '../cloud/providers/testing/simulated/simulated-safety.js';
import { SimulatedStt } from '../cloud/providers/testing/simulated/simulated-stt.js';
import { SimulatedTts } from '../cloud/providers/testing/simulated/simulated-tts.js';
import { createLog } from '../cli/create-log.js';
import { EventLoopLag } from './event-loop-lag.js';
import { percentile } from './percentile.js';

/**
 * The gateway of bench/latency, in a process of its own so the simulated devices' work does not
 * share its event loop: the real gateway (startGateway) with the simulated providers, on a
 * database the bench has already filled with its devices. It prints JSON lines on stdout:
 * {"type":"listening","url"} once it accepts devices, then answers lines on stdin: "reset"
 * (start measuring now) with {"type":"reset"}, "stats" with {"type":"stats",...}: how late the
 * providers' timers fired, the event loop's delay and the CPU it used since the reset. It stops
 * when stdin closes.
 */

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    'stt-ms': { type: 'string' },
    'safety-ms': { type: 'string' },
    'llm-first-token-ms': { type: 'string' },
    'llm-token-ms': { type: 'string' },
    'tts-first-byte-ms': { type: 'string' },
    utterance: { type: 'string' },
    reply: { type: 'string' },
    'pacing-rate': { type: 'string' },
    'max-sessions': { type: 'string' },
    /** More gateway config overrides as one JSON object (bench/fuzz raises the per-device allowances with it). */
    'config-json': { type: 'string', default: '{}' },
  },
});
const need = (name: keyof typeof values): string => {
  const value = values[name];
  if (typeof value !== 'string') throw new Error(`latency-gateway needs --${name}`);
  return value;
};
const ms = (name: keyof typeof values): number => {
  const n = Number(need(name));
  if (!(n >= 0)) throw new Error(`--${name} must be a number of milliseconds, got '${need(name)}'`);
  return n;
};

/**
 * How much later than planned each simulated wait ended, by stage: every wait up to KEPT_WAITS,
 * then a uniform sample of that many (reservoir sampling), so a soak of hours does not grow the
 * gateway's memory with its own instrument.
 */
const KEPT_WAITS = 50_000;
const lateness = new Map<SimulatedStage, { kept: number[]; seen: number; max: number }>();
const observe: LatencyObserver = (stage, plannedMs, actualMs) => {
  let waits = lateness.get(stage);
  if (waits === undefined) lateness.set(stage, (waits = { kept: [], seen: 0, max: -Infinity }));
  waits.seen++;
  waits.max = Math.max(waits.max, actualMs - plannedMs);
  if (waits.kept.length < KEPT_WAITS) waits.kept.push(actualMs - plannedMs);
  else {
    const slot = Math.floor(Math.random() * waits.seen);
    if (slot < KEPT_WAITS) waits.kept[slot] = actualMs - plannedMs;
  }
};
const providers = {
  stt: new SimulatedStt({ text: need('utterance'), latencyMs: ms('stt-ms'), observe }),
  safety: new SimulatedSafety({ latencyMs: ms('safety-ms'), observe }),
  llm: new SimulatedLlm({ reply: need('reply'), firstTokenMs: ms('llm-first-token-ms'), tokenMs: ms('llm-token-ms'), observe }),
  tts: new SimulatedTts({ firstByteMs: ms('tts-first-byte-ms'), observe }),
};
const config = gatewayConfig({
  port: 0,
  databasePath: need('db'),
  pacing: { rate: Number(need('pacing-rate')) },
  maxSessions: Number(need('max-sessions')),
  // Every bench device connects from 127.0.0.1 at once: the per-address limits are not what is measured.
  maxPendingConnections: Number(need('max-sessions')),
  maxPendingPerAddress: Number(need('max-sessions')),
  maxConnectionsPerAddress: Number(need('max-sessions')),
  // The bench's devices do not ping: nothing in the measurement may depend on the heartbeat.
  heartbeat: { intervalMs: 600_000, timeoutMs: 600_000 },
  ...(JSON.parse(values['config-json'] ?? '{}') as object),
});
const gateway = await startGateway(config, createLog('warn', { service: 'latency-gateway' }), { providers });

const loop = new EventLoopLag();
let cpuFrom = process.cpuUsage();
let wallFrom = performance.now();
const print = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

print({ type: 'listening', url: gateway.url });
for await (const line of createInterface({ input: process.stdin, terminal: false })) {
  if (line === 'reset') {
    lateness.clear();
    loop.reset();
    cpuFrom = process.cpuUsage();
    wallFrom = performance.now();
    print({ type: 'reset' });
  } else if (line === 'stats') {
    const cpu = process.cpuUsage(cpuFrom);
    const stages: Record<string, object> = {};
    for (const [stage, { kept, seen, max }] of lateness) stages[stage] = { waits: seen, p50: round(percentile(kept, 50)), p95: round(percentile(kept, 95)), max: round(max) };
    print({
      type: 'stats',
      timerLatenessMs: stages,
      eventLoopLagMs: loop.summary(),
      cpuMs: round((cpu.user + cpu.system) / 1000),
      cpuPercentOfOneCore: round(((cpu.user + cpu.system) / 1000 / (performance.now() - wallFrom)) * 100),
    });
  }
}
loop.stop();
await gateway.stop();
