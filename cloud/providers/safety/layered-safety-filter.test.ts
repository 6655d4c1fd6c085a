import t from 'tap';
import type { Test } from 'tap';
import { AzureContentSafety } from './azure-content-safety.js';
import { FAKE_KEY, FakeContentSafety, defaultScript } from './testing/fake-content-safety.js';
import type { FakeContentSafetyOptions } from './testing/fake-content-safety.js';
import { LayeredSafetyFilter } from './layered-safety-filter.js';
import { LocalSafetyFilter } from './local-safety-filter.js';

const never = new AbortController().signal;

async function setup(t: Test, fakeOptions: FakeContentSafetyOptions = {}) {
  const fake = await FakeContentSafety.start(fakeOptions);
  t.teardown(() => fake.close());
  const filter = new LayeredSafetyFilter(new LocalSafetyFilter(), new AzureContentSafety({ endpoint: fake.endpoint, key: FAKE_KEY, timeoutMs: 300 }));
  return { fake, filter };
}

t.test('is named after its layers', async (t) => {
  const { filter } = await setup(t);
  t.equal(filter.name, 'local+azure');
});

t.test('private details are blocked locally and never sent to Azure', async (t) => {
  const { fake, filter } = await setup(t);
  for (const text of ['my phone number is 555 123 4567', 'i live at 12 oak tree road', 'my email is emma.smith@example.com']) {
    t.match(await filter.check(text, 'input', never), { allowed: false, category: 'personal_info', provider: 'local' }, text);
  }
  t.match(await filter.check('you are stupid', 'output', never), { allowed: false, category: 'profanity', provider: 'local' }, 'any local block is final');
  t.equal(fake.requests.length, 0, 'Azure heard none of it');
});

t.test('Azure blocks what the word list lets through', async (t) => {
  const script = (request: { text: string }) =>
    /play doctor/.test(request.text) ? { kind: 'analysis' as const, severities: { Sexual: 4 } } : defaultScript({ text: request.text });
  const { fake, filter } = await setup(t, { script });
  const text = "let's play doctor and take turns";
  t.ok(new LocalSafetyFilter().checkNow(text, 'input').allowed, 'the word list sees nothing wrong');
  t.same(await filter.check(text, 'input', never), { allowed: false, categories: { sexual: 4 }, category: 'sexual', severity: 4, provider: 'local+azure' });
  t.equal(fake.requests.length, 1);
});

t.test('findings of both layers are merged, the worst severity per category', async (t) => {
  const script = (request: { text: string }) =>
    /dragon/.test(request.text) ? { kind: 'analysis' as const, severities: { Violence: 1, Hate: 1 } } : defaultScript({ text: request.text });
  const { filter } = await setup(t, { script });
  t.same(
    await filter.check('you are stupid and a monster bit me', 'input', never),
    { allowed: true, categories: { profanity: 1, violence: 3 }, category: 'violence', severity: 3, provider: 'local+azure' },
    'each layer found its own category',
  );
  t.same(
    await filter.check('the dragon died', 'output', never),
    { allowed: true, categories: { violence: 2, hate: 1 }, category: 'violence', severity: 2, provider: 'local+azure' },
    'local graded violence 2, Azure 1: the merge keeps 2',
  );
});

t.test('when Azure fails the check fails: closed, never allowed on the word list alone', async (t) => {
  const { fake, filter } = await setup(t);
  fake.answer({ kind: 'http', status: 503, body: { error: { code: 'ServiceUnavailable', message: 'down' } } });
  await t.rejects(filter.check('tell me a story', 'input', never), { code: 'provider_unavailable', retryable: true });
  fake.answer({ kind: 'hang' });
  await t.rejects(filter.check('tell me a story', 'output', never), { code: 'provider_timeout', retryable: true });
  fake.answer({ kind: 'cut' });
  await t.rejects(filter.check('tell me a story', 'input', never), { code: 'provider_unreachable', retryable: true });

  const closed = await FakeContentSafety.start();
  const unreachable = new LayeredSafetyFilter(new LocalSafetyFilter(), new AzureContentSafety({ endpoint: closed.endpoint, key: FAKE_KEY }));
  await closed.close();
  await t.rejects(unreachable.check('tell me a story', 'input', never), { code: 'provider_unreachable' });
  t.match(await unreachable.check('my phone number is 555 123 4567', 'input', never), { allowed: false, provider: 'local' }, 'a local block needs no cloud');
});
