import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, gatewayConfig } from '../cloud/session/gateway-config.js';
import { startGateway } from '../cloud/gateway-main.js';
import { providerSettingsFromEnv } from '../cloud/providers/provider-settings.js';
import { createLog, isLogLevel } from './create-log.js';
import { UsageError } from './usage-error.js';

export const GATEWAY_HELP = `pommai gateway: run the cloud gateway (offline providers by default)

  --host ADDR            address to listen on (default 127.0.0.1)
  --port N               port (default 8787; 0 picks a free one)
  --db FILE              SQLite database (default .pommai/gateway.db)
  --log-level LEVEL      debug, info, warn or error (default info)
  --pacing-rate R        play downlink R times faster than real time (tests only; default 1)
  --turn-budget-ms MS    listen stop to first sound at most, shared out as stage timeouts (default 4000)
  --client-address-header NAME
                         behind a reverse proxy: the header with the client's address (its last
                         entry), e.g. X-Forwarded-For; per-address limits count it. Unset: the socket's
                         peer is the client and no header is believed
  --trusted-proxies LIST the proxies whose header is believed, comma-separated addresses
                         (default 127.0.0.1,::1: a proxy on this machine); others' is ignored
  --pair-from-stdin      read "deviceId secret" lines on stdin and register them (used by pommai sim)

Prints one JSON line {"type":"listening","url":...} on stdout once it accepts devices.`;

export async function gatewayCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      db: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'pacing-rate': { type: 'string' },
      'turn-budget-ms': { type: 'string' },
      'client-address-header': { type: 'string' },
      'trusted-proxies': { type: 'string' },
      'pair-from-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${GATEWAY_HELP}\n`);
    return 0;
  }
  const level = values['log-level'];
  if (!isLogLevel(level)) throw new UsageError(`--log-level must be debug, info, warn or error, got '${level}'`);
  const log = createLog(level, { service: 'gateway' });
  // A file-size limit (ulimit -f, systemd's LimitFSIZE=) must fail the write with EFBIG, which the
  // store and the fallback files handle as a full disk, not kill the gateway with SIGXFSZ.
  process.on('SIGXFSZ', () => undefined);
  const config = configFromFlags({
    ...(values.host ? { host: values.host } : {}),
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.db ? { databasePath: values.db } : {}),
    ...(values['pacing-rate'] ? { pacing: { rate: Number(values['pacing-rate']) } } : {}),
    ...(values['turn-budget-ms'] ? { turnBudgetMs: Number(values['turn-budget-ms']) } : {}),
    ...(values['client-address-header'] ? { clientAddressHeader: values['client-address-header'] } : {}),
    ...(values['trusted-proxies'] ? { trustedProxies: values['trusted-proxies'].split(',').map((proxy) => proxy.trim()) } : {}),
  });
  // The one place the gateway reads provider keys: the composition root below receives settings.
  const gateway = await startGateway(config, log, { providerSettings: providerSettingsFromEnv(process.env) });
  let parentGone: Promise<void> | undefined;
  if (values['pair-from-stdin']) {
    // The simulator hands its device's secret over a pipe, never on a command line, and keeps the
    // pipe open: when it closes, the simulator is gone and so is the reason to run.
    const lines = createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
    const first = await lines.next();
    const [deviceId, secret] = first.done ? [] : first.value.trim().split(/\s+/);
    if (deviceId && secret) await gateway.store.addDeviceWithSecret(deviceId, secret);
    parentGone = (async () => {
      while (!(await lines.next()).done);
    })();
  }
  process.stdout.write(`${JSON.stringify({ type: 'listening', url: gateway.url })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    void parentGone?.then(resolve);
  });
  log('info', 'gateway stopping');
  await gateway.stop();
  return 0;
}

/** Every gateway setting here comes from a flag: a bad value is bad usage (exit 2), said as the config says it. */
function configFromFlags(overrides: Parameters<typeof gatewayConfig>[0]) {
  try {
    return gatewayConfig(overrides);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
