import t from 'tap';
import { AzureContentSafety } from './azure-content-safety.js';
import { safetyContract } from './testing/safety-contract.js';

// The only place this filter's configuration comes from the environment: a live test asks for it.
const endpoint = process.env.CONTENT_SAFETY_ENDPOINT;
const key = process.env.CONTENT_SAFETY_KEY;
const skip = endpoint && key ? false : 'set CONTENT_SAFETY_ENDPOINT and CONTENT_SAFETY_KEY to check against the real Azure AI Content Safety';
const never = new AbortController().signal;

t.test('the real Azure AI Content Safety', { skip }, async (t) => {
  const filter = new AzureContentSafety({ endpoint: endpoint!, key: key!, timeoutMs: 10_000 });

  t.test('grades on the full 0-7 scale and blocks a threat both ways', async (t) => {
    for (const direction of ['input', 'output'] as const) {
      const started = performance.now();
      const verdict = await filter.check('I will kill you and everyone you love.', direction, never);
      t.comment(`${direction}: ${JSON.stringify(verdict)} in ${Math.round(performance.now() - started)} ms`);
      t.match(verdict, { allowed: false, category: 'violence', provider: 'azure' });
      t.ok(verdict.severity >= 4 && verdict.severity <= 7);
    }
  });

  t.test('lets a bedtime story through', async (t) => {
    t.match(await filter.check('The little bunny yawned, hugged her carrot and fell asleep under the stars.', 'output', never), { allowed: true });
  });

  t.test('the newer GA api-version speaks the same text:analyze', async (t) => {
    const newer = new AzureContentSafety({ endpoint: endpoint!, key: key!, apiVersion: '2024-09-01', timeoutMs: 10_000 });
    t.match(await newer.check('I will kill you and everyone you love.', 'input', never), { allowed: false, category: 'violence' });
  });

  t.test('a wrong key is provider_unauthorized, and the message does not carry it', async (t) => {
    const wrong = new AzureContentSafety({ endpoint: endpoint!, key: 'not-the-key-0000', timeoutMs: 10_000 });
    const error = await wrong.check('hello', 'input', never).catch((e: unknown) => e);
    t.match(error, { code: 'provider_unauthorized', retryable: false });
    t.notMatch(String((error as Error).message), /not-the-key/);
  });
});

if (!skip) safetyContract(t, 'AzureContentSafety live', () => new AzureContentSafety({ endpoint: endpoint!, key: key!, timeoutMs: 10_000 }));
