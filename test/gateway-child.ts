import { startGateway } from '../cloud/gateway-main.js';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { instantProviders } from '../cloud/session/testing/instant-providers.js';
import { createLog } from '../cli/create-log.js';

/**
 * A gateway as a process of its own with instant providers, for tests that limit or kill the
 * process (a file-size limit that every child of it would inherit, as espeak-ng would).
 * Usage: gateway-child.ts DB. Prints {"type":"listening","url":...} once it takes devices, logs
 * JSON lines on stderr, stops on SIGTERM.
 */
const databasePath = process.argv[2];
if (databasePath === undefined) {
  process.stderr.write('usage: gateway-child.ts DB\n');
  process.exit(2);
}
// As `pommai gateway` does: past a file-size limit a write fails with EFBIG instead of killing the process.
process.on('SIGXFSZ', () => undefined);
const log = createLog('info', { service: 'gateway' });
const gateway = await startGateway(gatewayConfig({ port: 0, databasePath, pacing: { rate: 1000 } }), log, { providers: instantProviders() });
process.stdout.write(`${JSON.stringify({ type: 'listening', url: gateway.url })}\n`);
await new Promise((resolve) => process.once('SIGTERM', resolve));
await gateway.stop();
