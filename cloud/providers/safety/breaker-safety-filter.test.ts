import t from 'tap';
import { silentLog } from '../../../log/log.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { ProviderError } from '../provider-error.js';
import { BreakerSafetyFilter } from './breaker-safety-filter.js';
import { LayeredSafetyFilter } from './layered-safety-filter.js';
import { LocalSafetyFilter } from './local-safety-filter.js';
import type { SafetyFilter } from './safety-filter.js';
import { FRIENDLY_TEXT, UNSAFE_TEXT } from './testing/safety-contract.js';

const OPTIONS = { failureThreshold: 2, failureWindowMs: 60_000, coolDownMs: 30_000, maxCoolDownMs: 60_000 };
const never = new AbortController().signal;

/** A cloud classifier that is down: every check fails. */
function downCloud(): SafetyFilter & { checks: number } {
  return {
    name: 'FakeCloudSafety',
    checks: 0,
    async check() {
      this.checks++;
      throw new ProviderError('provider_unreachable', 'ECONNRESET', { retryable: true });
    },
  };
}

t.test('with the cloud check down and its breaker open, nothing is allowed unchecked and the local filter still blocks', async (t) => {
  const cloud = downCloud();
  const breaker = new CircuitBreaker(cloud.name, 'safety', silentLog, OPTIONS);
  const filter = new LayeredSafetyFilter(new LocalSafetyFilter(), new BreakerSafetyFilter(cloud, breaker));
  for (let i = 0; i < OPTIONS.failureThreshold; i++) await t.rejects(filter.check(FRIENDLY_TEXT, 'output', never), { code: 'provider_unreachable' });
  t.equal(breaker.state, 'open');
  const checks = cloud.checks;
  await t.rejects(filter.check(FRIENDLY_TEXT, 'output', never), { code: 'provider_down', retryable: false }, 'a refused check is a failed check: closed, not allowed');
  const unsafe = await filter.check(UNSAFE_TEXT, 'output', never);
  t.equal(unsafe.allowed, false, 'the word list still blocks on its own');
  t.equal(cloud.checks, checks, 'the cloud was not called while open');
  t.equal(breaker.state, 'open', "the local filter's block is no news of the cloud");
});
