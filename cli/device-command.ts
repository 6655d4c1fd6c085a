import { parseArgs } from 'node:util';
import { createLog, isLogLevel } from './create-log.js';
import { UsageError } from './usage-error.js';
import { runSimDevice, type Step } from './sim-device.js';

export const DEVICE_HELP = `pommai device: run the toy's device process

  --sim                  use simulated hardware (the Pi drivers come with the Pi image)
  --url URL              the gateway's device endpoint (ws://host:port/v1/device)
  --device-id ID         this device's id (default sim-toy)
  --secret S             this device's secret (better: the POMMAI_DEVICE_SECRET variable)
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

export async function deviceCommand(argv: string[]): Promise<number> {
  const { values, tokens } = parseArgs({
    args: argv,
    tokens: true,
    options: {
      ...DEVICE_OPTIONS,
      sim: { type: 'boolean', default: false },
      url: { type: 'string' },
      'device-id': { type: 'string', default: 'sim-toy' },
      secret: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${DEVICE_HELP}\n`);
    return 0;
  }
  if (!values.sim) throw new UsageError('only simulated hardware exists so far: run with --sim');
  if (!values.url) throw new UsageError('--url is required: the gateway prints it when it starts');
  const secret = values.secret ?? process.env['POMMAI_DEVICE_SECRET'];
  if (!secret) throw new UsageError('no device secret: set POMMAI_DEVICE_SECRET (from "pommai devices add ID") or pass --secret');
  const level = values['log-level'];
  if (!isLogLevel(level)) throw new UsageError(`--log-level must be debug, info, warn or error, got '${level}'`);
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return runSimDevice({
    url: values.url,
    deviceId: values['device-id'],
    secret,
    steps: scriptSteps(tokens),
    ...(values.out ? { out: values.out } : {}),
    json: values.json,
    speed: parseSpeed(values.speed),
    log: createLog(level, { service: 'device' }),
  }, stop.signal).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
}
