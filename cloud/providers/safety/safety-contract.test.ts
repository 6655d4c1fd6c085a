import t from 'tap';
import { AzureContentSafety } from './azure-content-safety.js';
import { FAKE_KEY, FakeContentSafety } from './testing/fake-content-safety.js';
import { LayeredSafetyFilter } from './layered-safety-filter.js';
import { LocalSafetyFilter } from './local-safety-filter.js';
import { safetyContract } from './testing/safety-contract.js';
import { SimulatedSafety } from '../testing/simulated/simulated-safety.js';
import type { Test } from 'tap';
import { CircuitBreaker } from '../circuit-breaker.js';
import { silentLog } from '../../../log/log.js';
import { BreakerSafetyFilter } from './breaker-safety-filter.js';

async function azure(t: Test): Promise<AzureContentSafety> {
  const fake = await FakeContentSafety.start();
  t.teardown(() => fake.close());
  return new AzureContentSafety({ endpoint: fake.endpoint, key: FAKE_KEY });
}

safetyContract(t, 'LocalSafetyFilter', () => new LocalSafetyFilter());
safetyContract(t, 'AzureContentSafety against the fake', azure);
safetyContract(t, 'LayeredSafetyFilter (local, then Azure)', async (t) => new LayeredSafetyFilter(new LocalSafetyFilter(), await azure(t)));

// The simulated service answers after its latency; the word list decides, so blocking can be checked.
safetyContract(t, 'SimulatedSafety (the word list judging)', () => new SimulatedSafety({ latencyMs: 3, judge: new LocalSafetyFilter() }));

// As the gateway runs it: the cloud layer behind its circuit breaker, which must change nothing while the service answers.
safetyContract(t, 'LayeredSafetyFilter (local, then Azure behind its breaker)', async (t) => {
  const cloud = await azure(t);
  return new LayeredSafetyFilter(new LocalSafetyFilter(), new BreakerSafetyFilter(cloud, new CircuitBreaker(cloud.name, 'safety', silentLog)));
});
