import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { DEFAULT_SIMULATED_LATENCIES } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import { simulatedUplink } from '../cloud/providers/testing/simulated/simulated-uplink.js';
import { LegitDevice } from '../cloud/session/testing/legit-device.js';
import { PROTOCOL_VERSION, UPLINK_AUDIO } from '../protocol/index.js';
import { BenchGateway } from './bench-gateway.js';
import { coresBusy, machineCpuTimes } from './machine-cpu.js';
import { percentile } from './percentile.js';
import { MemoryWatch, processMemory } from './process-memory.js';
import { UsageError, runBench } from './bench-cli.js';

/**
 * bench/attack: the attacks of issue 10's findings, each against the real gateway in a child
 * process with its default limits (simulated providers), with its RSS read from outside and a
 * registered toy trying to get in and play turns meanwhile:
 *   never-reading  a registered device sends a million nine-byte bad frames and reads nothing
 *   before-hello   four sockets send one-byte text frames without a hello
 *   lock-out       one address opens silent sockets as fast as it may and reopens each as it closes
 *   wrong-hellos   300 sockets from 60 addresses send wrong secrets over and over
 *   none           nobody attacks: what the toy's own connections and turns cost, the control
 */

const HELP = `node dist-bench/bench/attack.js [options]

  --seconds S        how long each attack lasts (default 5)
  --only NAME        one attack: never-reading, before-hello, lock-out, wrong-hellos or none, the
                     control where only the toy connects and plays (default all)
  --json             print only the JSON line on stdout
  -h, --help         this text

Exits 0 when the gateway stayed up and the toy got in and played through every attack; 1 otherwise; 2 on bad usage.`;

const ATTACKS = ['none', 'never-reading', 'before-hello', 'lock-out', 'wrong-hellos'] as const;
type Attack = (typeof ATTACKS)[number];
const BOUND_MS = 30_000;
const SETTLE_MS = 3000;
const TOY_ADDRESS = '127.0.0.1';

interface AttackFigures {
  readonly attack: Attack;
  /** What the attacker sent: frames, or sockets opened, or hellos. */
  readonly sent: number;
  readonly unit: string;
  readonly rssBeforeMb: number | null;
  readonly rssPeakMb: number;
  readonly rssAfterMb: number | null;
  readonly toyTries: number;
  readonly toyGotIn: number;
  readonly toyTurns: number;
  readonly toyPlayed: number;
  /** listen stop to speak stop of the toy's turns during the attack, and before it, median ms. */
  readonly toyTurnMsMedian: number | null;
  readonly toyTurnMsQuietMedian: number | null;
  readonly closeCodes: Readonly<Record<string, number>>;
}

const hello = (deviceId: string, secret: string) => JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId, secret, firmware: 'attack', audio: UPLINK_AUDIO, capabilities: [] });

function count(codes: Record<string, number>, code: number | string): void {
  codes[String(code)] = (codes[String(code)] ?? 0) + 1;
}

/** Opens a socket from `from`; its close code, or the HTTP status that refused it. */
function open(url: string, from: string): Promise<WebSocket | number> {
  const socket = new WebSocket(url, { perMessageDeflate: false, localAddress: from });
  return new Promise((resolve) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', () => resolve(0));
  });
}

/** Whether the registered toy gets from its upgrade to its welcome now. */
async function toyGetsIn(url: string, toy: { id: string; secret: string }): Promise<boolean> {
  try {
    const device = await LegitDevice.connect(url, { deviceId: toy.id, secret: toy.secret, localAddress: TOY_ADDRESS, boundMs: 5000 });
    await device.close();
    return true;
  } catch {
    return false;
  }
}

async function neverReading(url: string, device: { id: string; secret: string }, until: number, codes: Record<string, number>): Promise<number> {
  const socket = await open(url, '127.0.0.30');
  if (typeof socket === 'number') throw new Error(`the never-reading device was refused (${socket})`);
  socket.send(hello(device.id, device.secret));
  await once(socket, 'message');
  // It reads nothing more: whatever the gateway answers piles up on its side, or is not sent.
  socket.pause();
  socket.on('close', (code) => count(codes, code));
  let sent = 0;
  const tcp = (socket as unknown as { _socket: import('node:net').Socket })._socket;
  while (performance.now() < until && sent < 1_000_000 && socket.readyState === WebSocket.OPEN) {
    for (let i = 0; i < 1000; i++) socket.send('{not json');
    sent += 1000;
    // Its own buffer is the attacker's memory, not the gateway's: wait for it to drain.
    if (tcp.writableLength > 1 << 20) await once(tcp, 'drain').catch(() => undefined);
    await sleep(0);
  }
  socket.terminate();
  return sent;
}

async function beforeHello(url: string, until: number, codes: Record<string, number>): Promise<number> {
  let sent = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, i) => {
      while (performance.now() < until) {
        const socket = await open(url, `127.0.0.${40 + i}`);
        if (typeof socket === 'number') {
          count(codes, `http ${socket}`);
          await sleep(50);
          continue;
        }
        socket.pause();
        const closed = once(socket, 'close').then(([code]) => count(codes, code as number));
        while (performance.now() < until && socket.readyState === WebSocket.OPEN) {
          for (let k = 0; k < 1000; k++) socket.send('x');
          sent += 1000;
          await sleep(0);
        }
        socket.terminate();
        await closed;
      }
    }),
  );
  return sent;
}

async function lockOut(url: string, until: number, codes: Record<string, number>): Promise<number> {
  let opened = 0;
  // A hundred opens a second from one address, each socket held silent until the gateway lets it go.
  const holders = Array.from({ length: 100 }, async () => {
    while (performance.now() < until) {
      const socket = await open(url, '127.0.0.50');
      opened++;
      if (typeof socket === 'number') {
        count(codes, `http ${socket}`);
        await sleep(1000);
        continue;
      }
      const [code] = (await once(socket, 'close')) as [number];
      count(codes, code);
    }
  });
  await Promise.all(holders);
  return opened;
}

async function wrongHellos(url: string, until: number, codes: Record<string, number>): Promise<number> {
  let sent = 0;
  const addresses = Array.from({ length: 60 }, (_, i) => `127.0.1.${i + 2}`);
  await Promise.all(
    addresses.flatMap((address) =>
      Array.from({ length: 5 }, async () => {
        while (performance.now() < until) {
          const socket = await open(url, address);
          if (typeof socket === 'number') {
            count(codes, `http ${socket}`);
            await sleep(200);
            continue;
          }
          socket.send(hello('legit-toy', randomBytes(18).toString('base64url')));
          sent++;
          const [code] = (await once(socket, 'close')) as [number];
          count(codes, code);
        }
      }),
    ),
  );
  return sent;
}

async function run(attack: Attack, seconds: number, opus: readonly Uint8Array[]): Promise<AttackFigures & { ok: boolean; exit: string }> {
  const toy = { id: 'legit-toy', secret: randomBytes(18).toString('base64url') };
  const attacker = { id: 'attacker', secret: randomBytes(18).toString('base64url') };
  const gateway = await BenchGateway.start({
    name: `attack-${attack}`,
    devices: [toy, attacker],
    latencies: DEFAULT_SIMULATED_LATENCIES,
    utterance: 'Can you tell me about the moon?',
    reply: 'The moon is a big round rock in the sky.',
    pacingRate: 20,
    maxSessions: 500,
    // The gateway's own limits, as shipped: only the bench gateway's other defaults differ.
    config: { maxPendingConnections: 64, maxPendingPerAddress: 8, maxConnectionsPerAddress: 100 },
    boundMs: BOUND_MS,
  });
  let crashed = false;
  let stopping = false;
  gateway.child.once('exit', () => (crashed = !stopping));
  try {
    const quiet: number[] = [];
    const legit = await LegitDevice.connect(gateway.url, { deviceId: toy.id, secret: toy.secret, localAddress: TOY_ADDRESS, boundMs: BOUND_MS });
    for (let i = 0; i < 5; i++) {
      const from = performance.now();
      if ((await legit.turn(opus, BOUND_MS)).error === undefined) quiet.push(performance.now() - from);
    }
    await legit.close();
    await sleep(SETTLE_MS);
    const before = processMemory(gateway.pid);
    const watch = new MemoryWatch(gateway.pid, 100);
    const codes: Record<string, number> = {};
    const until = performance.now() + seconds * 1000;
    const attacking = (async () => {
      switch (attack) {
        case 'never-reading':
          return neverReading(gateway.url, attacker, until, codes);
        case 'before-hello':
          return beforeHello(gateway.url, until, codes);
        case 'lock-out':
          return lockOut(gateway.url, until, codes);
        case 'wrong-hellos':
          return wrongHellos(gateway.url, until, codes);
        case 'none':
          return 0;
      }
    })();
    // Meanwhile the toy connects again and again, and plays a turn each time it gets in.
    let tries = 0;
    let gotIn = 0;
    let turns = 0;
    const during: number[] = [];
    while (performance.now() < until) {
      tries++;
      const device = await LegitDevice.connect(gateway.url, { deviceId: toy.id, secret: toy.secret, localAddress: TOY_ADDRESS, boundMs: 5000 }).catch(() => undefined);
      if (device !== undefined) {
        gotIn++;
        turns++;
        const from = performance.now();
        if ((await device.turn(opus, BOUND_MS)).error === undefined) during.push(performance.now() - from);
        await device.close();
      }
      await sleep(250);
    }
    const sent = await attacking;
    const gotInAfter = await toyGetsIn(gateway.url, toy);
    await sleep(SETTLE_MS);
    const after = processMemory(gateway.pid);
    watch.stop();
    stopping = true;
    const exit = await gateway.stop(BOUND_MS);
    const round = (n: number | null) => (n === null ? null : Math.round(n));
    return {
      attack,
      sent,
      unit: attack === 'lock-out' ? 'sockets opened' : attack === 'wrong-hellos' ? 'wrong hellos' : attack === 'none' ? 'frames (the control)' : 'frames',
      rssBeforeMb: before?.rssMb ?? null,
      rssPeakMb: watch.peakRssMb,
      rssAfterMb: after?.rssMb ?? null,
      toyTries: tries,
      toyGotIn: gotIn,
      toyTurns: turns,
      toyPlayed: during.length,
      toyTurnMsMedian: round(percentile(during, 50)),
      toyTurnMsQuietMedian: round(percentile(quiet, 50)),
      closeCodes: codes,
      exit,
      ok: !crashed && exit === '0' && gotIn === tries && during.length === turns && gotInAfter,
    };
  } finally {
    if (!gateway.exited) await gateway.stop(BOUND_MS);
    await gateway.remove();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '5' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) throw new UsageError(`--seconds must be an integer in 1..3600, got '${values.seconds}'`);
  if (values.only !== undefined && !(ATTACKS as readonly string[]).includes(values.only)) throw new UsageError(`--only must be one of ${ATTACKS.join(', ')}, got '${values.only}'`);
  const attacks = values.only === undefined ? ATTACKS : [values.only as Attack];
  const opus = simulatedUplink(17);
  const machineFrom = machineCpuTimes();
  const results = [];
  for (const attack of attacks) {
    if (!values.json) process.stderr.write(`attack: ${attack} for ${seconds} s\n`);
    results.push(await run(attack, seconds, opus));
  }
  const machine = coresBusy(machineFrom, machineCpuTimes());
  const ok = results.every((r) => r.ok);
  if (!values.json) {
    const out = (line: string) => process.stdout.write(`${line}\n`);
    for (const r of results) {
      out(`${r.attack}: ${r.sent} ${r.unit} in ${seconds} s; gateway RSS before ${r.rssBeforeMb} MB, peak ${r.rssPeakMb} MB, after ${r.rssAfterMb} MB`);
      out(`  the toy got in ${r.toyGotIn} of ${r.toyTries} tries and played ${r.toyPlayed} of ${r.toyTurns} turns; turn median ${r.toyTurnMsMedian ?? 'n/a'} ms (quiet: ${r.toyTurnMsQuietMedian ?? 'n/a'} ms)`);
      out(`  the attacker's closes and refusals: ${Object.entries(r.closeCodes).map(([k, v]) => `${k} × ${v}`).join(', ') || 'none'}; gateway exit ${r.exit}; ${r.ok ? 'ok' : 'FAILED'}`);
    }
    if (machine !== null) out(`machine: ${Math.round(machine * 100) / 100} of ${availableParallelism()} cores busy over the run, this bench and its gateway included`);
  }
  process.stdout.write(`${JSON.stringify({ type: 'attack', node: process.version, seconds, results, machineCoresBusy: machine, ok })}\n`);
  return ok ? 0 : 1;
}

runBench('attack', main);
