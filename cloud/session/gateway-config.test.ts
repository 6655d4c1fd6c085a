import t from 'tap';
import { ConfigError, DEFAULT_GATEWAY_CONFIG, gatewayConfig } from './gateway-config.js';

t.test('the defaults pass their own checks and come back frozen', async (t) => {
  const config = gatewayConfig();
  t.same(config, DEFAULT_GATEWAY_CONFIG);
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.heartbeat) && Object.isFrozen(config.pacing));
});

t.test('a bad value is an error naming its key', async (t) => {
  t.throws(() => gatewayConfig({ maxFramesPerSecond: 5 }), new ConfigError("gateway config 'maxFramesPerSecond' must be an integer in 20..1000000, got 5"));
  t.throws(() => gatewayConfig({ upgradeTimeoutMs: 1.5 }), { code: 'bad_config', message: /upgradeTimeoutMs/ });
  t.throws(() => gatewayConfig({ maxConcurrentSecretChecks: 0 }), /maxConcurrentSecretChecks/);
  t.throws(() => gatewayConfig({ maxPendingPerAddress: 0 }), /maxPendingPerAddress/);
  t.throws(() => gatewayConfig({ failedHelloWindowMs: 10 }), /failedHelloWindowMs/);
  t.throws(() => gatewayConfig({ clientAddressHeader: 'X Forwarded' }), /clientAddressHeader/);
  t.throws(() => gatewayConfig({ trustedProxies: ['proxy.local'] }), /trustedProxies.*list of IP addresses/);
  t.same(gatewayConfig({ trustedProxies: ['10.0.0.5', 'fd00::1'] }).trustedProxies, ['10.0.0.5', 'fd00::1']);
});

t.test('a gateway whose clock runs faster hears its devices faster too, unless told otherwise', async (t) => {
  t.equal(gatewayConfig({ pacing: { rate: 100 } }).maxFramesPerSecond, DEFAULT_GATEWAY_CONFIG.maxFramesPerSecond * 100, 'the simulator at --speed 100');
  t.equal(gatewayConfig({ pacing: { rate: 0.5 } }).maxFramesPerSecond, DEFAULT_GATEWAY_CONFIG.maxFramesPerSecond, 'never less than real time');
  t.equal(gatewayConfig({ pacing: { rate: 100 }, maxFramesPerSecond: 300 }).maxFramesPerSecond, 300, 'a value set is kept');
  t.equal(gatewayConfig({ pacing: { rate: 100 } }).maxMessagesPerSecond, DEFAULT_GATEWAY_CONFIG.maxMessagesPerSecond, 'messages do not scale: a turn has a few whatever its speed');
});
