import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH, DEVICE_SECRET_VARIABLE, secretFromEnv } from '../device/device-config-file.js';
import type { Log } from '../log/log.js';
import { createLog, isLogLevel } from './create-log.js';
import { runDeviceService } from './device-service.js';
import { UsageError } from './usage-error.js';
import { runSimDevice, type SimDeviceOptions, type Step } from './sim-device.js';

export const DEVICE_HELP = `pommai device: run the toy's device process

On the toy (what systemd runs):
  pommai device [--config FILE] [--log-level LEVEL]

  --config FILE          the device's JSON config (default ${DEFAULT_CONFIG_PATH}): gateway URL,
                         device id, secret file (chmod 600), volume, memory budget and drivers
                         (default on a Pi: gpio button, neopixel LEDs, ALSA microphone and speaker)
  --log-level LEVEL      debug, info, warn or error (default info)

  Runs until SIGINT or SIGTERM. Every state change, turn and error is one JSON line on
  stderr (the journal under systemd). Missing hardware or a bad config: one line saying
  what, exit 1. The secret comes from ${DEVICE_SECRET_VARIABLE} when set, else the secret file.

With simulated hardware, on a computer:
  pommai device --sim --url URL [--say "text"]...

  --sim                  use simulated hardware
  --url URL              the gateway's device endpoint (ws://host:port/v1/device)
  --device-id ID         this device's id (default sim-toy)
  --secret S             this device's secret (better: the ${DEVICE_SECRET_VARIABLE} variable)
  --say "text"           one scripted turn: espeak-ng says it into the simulated microphone (repeatable)
  --wav FILE             one scripted turn from a WAV file (repeatable)
  --out FILE             also write the toy's voice to this WAV file
  --json                 one JSON object per line on stdout, each with a "type"
  --speed N              run the simulated microphone and speaker N times faster (tests)
  --log-level LEVEL      debug, info, warn or error (default warn)

  Without --say or --wav it is interactive: hold space to talk when a microphone exists,
  otherwise type what the child says.`;

export const DEVICE_OPTIONS = {
  say: { type: 'string', multiple: true },
  wav: { type: 'string', multiple: true },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
  speed: { type: 'string', default: '1' },
  'log-level': { type: 'string', default: 'warn' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** --say and --wav in the order given, one turn each. */
export function scriptSteps(tokens: readonly { kind: string; name?: string; value?: string | undefined }[]): Step[] {
  const steps: Step[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if (token.name === 'say') steps.push({ say: token.value });
    if (token.name === 'wav') steps.push({ wav: token.value });
  }
  return steps;
}

export function parseSpeed(value: string): number {
  const speed = Number(value);
  if (!(speed >= 1 && speed <= 100)) throw new UsageError(`--speed must be a number from 1 to 100, got '${value}'`);
  return speed;
}

/** Options that only mean something to the simulated device. */
const SIM_ONLY = ['say', 'wav', 'out', 'json', 'speed', 'url', 'device-id', 'secret'] as const;

export async function deviceCommand(argv: string[]): Promise<number> {
  const { values, tokens } = parseArgs({
    args: argv,
    tokens: true,
    options: {
      ...DEVICE_OPTIONS,
      // The default depends on the mode: warn at a terminal, info in the journal.
      'log-level': { type: 'string' },
      sim: { type: 'boolean', default: false },
      url: { type: 'string' },
      'device-id': { type: 'string' },
      secret: { type: 'string' },
      config: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${DEVICE_HELP}\n`);
    return 0;
  }
  const level = values['log-level'] ?? (values.sim ? 'warn' : 'info');
  if (!isLogLevel(level)) throw new UsageError(`--log-level must be debug, info, warn or error, got '${level}'`);
  if (!values.sim) {
    const given = tokens.find((token) => token.kind === 'option' && (SIM_ONLY as readonly string[]).includes(token.name));
    if (given?.kind === 'option') throw new UsageError(`${given.rawName} needs --sim; on the toy every setting is in the --config file`);
  } else if (values.config !== undefined) {
    throw new UsageError('--config is for the toy; with --sim pass --url and --device-id');
  }
  const log = createLog(level, { service: 'device' });
  if (values.sim) {
    const options = simOptions(values, tokens, log);
    return untilSignal((stop) => runSimDevice(options, stop));
  }
  return untilSignal((stop) => runDeviceService({ configPath: values.config ?? DEFAULT_CONFIG_PATH, env: process.env, log }, stop));
}

/** Runs `work` with a signal that SIGINT or SIGTERM aborts: Ctrl-C at a terminal, systemctl stop on the toy. */
function untilSignal(work: (stop: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return work(stop.signal).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
}

/** The simulated device's options; usage errors are thrown here, before any signal handler is set. */
function simOptions(
  values: { url?: string | undefined; 'device-id'?: string | undefined; secret?: string | undefined; out?: string | undefined; json: boolean; speed: string },
  tokens: Parameters<typeof scriptSteps>[0],
  log: Log,
): SimDeviceOptions {
  if (!values.url) throw new UsageError('--url is required: the gateway prints it when it starts');
  const secret = values.secret ?? secretFromEnv(process.env);
  if (!secret) throw new UsageError(`no device secret: set ${DEVICE_SECRET_VARIABLE} (from "pommai devices add ID") or pass --secret`);
  return {
    url: values.url,
    deviceId: values['device-id'] ?? 'sim-toy',
    secret,
    steps: scriptSteps(tokens),
    ...(values.out ? { out: values.out } : {}),
    json: values.json,
    speed: parseSpeed(values.speed),
    log,
  };
}
