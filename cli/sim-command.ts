import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DEFAULT_GATEWAY_CONFIG } from '../cloud/session/gateway-config.js';
import { describeProviderSettings, providerSettingsFromEnv } from '../cloud/providers/provider-settings.js';
import { createLog, isLogLevel } from './create-log.js';
import { UsageError } from './usage-error.js';
import { DEVICE_OPTIONS, parseSpeed, scriptSteps } from './device-command.js';
import { runSimDevice } from './sim-device.js';

export const SIM_HELP = `pommai sim: the gateway and a simulated toy, with one command

  --say "text"           one scripted turn: espeak-ng says it into the simulated microphone (repeatable)
  --wav FILE             one scripted turn from a WAV file (repeatable)
  --hands-free           the toy starts hands-free: no button, each --say is heard when the toy has
                         answered the one before, and the gateway hears where each turn ends
  --out FILE             also write the toy's voice to this WAV file
  --json                 one JSON object per line on stdout, each with a "type"
  --speed N              run microphone, speaker and downlink pacing N times faster (tests)
  --data-dir DIR         where the gateway keeps its database (default .pommai)
  --log-level LEVEL      debug, info, warn or error (default warn)

Without --say or --wav it is interactive: hold space to talk when a microphone exists,
otherwise type what the child says. The gateway runs as a child process with the
offline providers; conversations are stored in DIR/sim.db.`;

const DEVICE_ID = 'sim-toy';

export async function simCommand(argv: string[]): Promise<number> {
  const { values, tokens } = parseArgs({ args: argv, tokens: true, options: { ...DEVICE_OPTIONS, 'data-dir': { type: 'string', default: '.pommai' }, 'hands-free': { type: 'boolean', default: false } } });
  if (values.help) {
    process.stdout.write(`${SIM_HELP}\n`);
    return 0;
  }
  const level = values['log-level'];
  if (!isLogLevel(level)) throw new UsageError(`--log-level must be debug, info, warn or error, got '${level}'`);
  const speed = parseSpeed(values.speed);
  // The gateway child inherits this environment and reads the same variables; say once what they choose.
  if (!values.json) for (const line of describeProviderSettings(providerSettingsFromEnv(process.env))) process.stderr.write(`  ${line}\n`);
  const secret = randomBytes(24).toString('base64url');
  const gateway = spawn(
    process.execPath,
    [...process.execArgv, process.argv[1] as string, 'gateway', '--port', '0', '--db', join(values['data-dir'], 'sim.db'), '--log-level', level, '--pacing-rate', String(speed), '--pair-from-stdin',
      // A simulated child speaking N times faster than real time leaves the recogniser N times more to catch up on.
      '--turn-budget-ms', String(Math.round(DEFAULT_GATEWAY_CONFIG.turnBudgetMs * speed))],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number>((resolve) => gateway.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  // Ctrl-C, a kill, or the gateway dying: every path ends in the finally blocks, so nothing is left running.
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  void exited.then((code) => stop.abort(new Error(`the gateway exited with code ${code}`)));
  try {
    // stdin stays open: the gateway stops when it closes, so it dies with us even after a SIGKILL.
    gateway.stdin.write(`${DEVICE_ID} ${secret}\n`);
    const url = await gatewayUrl(gateway.stdout, exited);
    return await runSimDevice({
      url,
      deviceId: DEVICE_ID,
      secret,
      steps: scriptSteps(tokens),
      handsFree: values['hands-free'],
      ...(values.out ? { out: values.out } : {}),
      json: values.json,
      speed,
      log: createLog(level, { service: 'device' }),
    }, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    gateway.stdin.end();
    gateway.kill('SIGTERM');
    await exited;
  }
}

async function gatewayUrl(stdout: NodeJS.ReadableStream, exited: Promise<number>): Promise<string> {
  const lines = createInterface({ input: stdout });
  const listening = (async () => {
    for await (const line of lines) {
      try {
        const message = JSON.parse(line) as { type?: string; url?: string };
        if (message.type === 'listening' && message.url) return message.url;
      } catch {
        // Not ours: the gateway only prints JSON on stdout, so this is noise from elsewhere.
      }
    }
    throw new Error('the gateway stopped before it was listening');
  })();
  const died = exited.then((code) => {
    throw new Error(`the gateway exited with code ${code} before it was listening (see the lines above)`);
  });
  return Promise.race([listening, died]);
}
