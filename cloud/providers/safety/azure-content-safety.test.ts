import t from 'tap';
import type { Test } from 'tap';
import { inspect } from 'node:util';
import { ProviderError } from '../provider-error.js';
import {
  AZURE_MAX_TEXT,
  AzureContentSafety,
  BLOCKLIST_SEVERITY,
  DEFAULT_AZURE_INPUT_THRESHOLDS,
  DEFAULT_AZURE_OUTPUT_THRESHOLDS,
  piecesOf,
} from './azure-content-safety.js';
import type { AzureCategory, AzureContentSafetyOptions } from './azure-content-safety.js';
import { FakeContentSafety } from './testing/fake-content-safety.js';
import type { AzureTextCategory, FakeContentSafetyOptions, FakeScript } from './testing/fake-content-safety.js';

const KEY = 'k3y-0f-the-t0y-resource-must-never-leak';
const never = new AbortController().signal;
const AZURE_NAME: Record<AzureCategory, AzureTextCategory> = { hate: 'Hate', self_harm: 'SelfHarm', sexual: 'Sexual', violence: 'Violence' };

/** Grades what the text says it is: "Violence=3 SelfHarm=6" comes back with those severities. */
const graded: FakeScript = (request) => {
  const severities: Partial<Record<AzureTextCategory, number>> = {};
  for (const m of request.text.matchAll(/\b(Hate|SelfHarm|Sexual|Violence)=(\d)/g)) severities[m[1] as AzureTextCategory] = Number(m[2]);
  return { kind: 'analysis', severities };
};

async function setup(t: Test, options: Partial<AzureContentSafetyOptions> = {}, fakeOptions: FakeContentSafetyOptions = {}) {
  const fake = await FakeContentSafety.start({ key: KEY, ...fakeOptions });
  t.teardown(() => fake.close());
  const filter = new AzureContentSafety({ endpoint: fake.endpoint, key: KEY, ...options });
  return { fake, filter };
}

t.test('the request is exactly what the documented API expects', async (t) => {
  const { fake, filter } = await setup(t);
  await filter.check('hello bunny', 'input', never);
  t.equal(fake.requests.length, 1);
  const request = fake.requests[0]!;
  t.equal(request.method, 'POST');
  t.equal(request.path, '/contentsafety/text:analyze');
  t.equal(request.apiVersion, '2023-10-01', 'the GA version the SDK sends');
  t.equal(request.headers['ocp-apim-subscription-key'], KEY);
  t.match(request.headers['content-type'], /^application\/json/);
  t.same(request.body, { text: 'hello bunny', outputType: 'EightSeverityLevels' }, 'no blocklist fields without blocklists');

  const { fake: newer, filter: pinned } = await setup(t, { apiVersion: '2024-09-01', blocklistNames: ['toy-words'] }, { blocklists: { 'toy-words': ['santa'] } });
  await pinned.check('hello bunny', 'output', never);
  t.equal(newer.requests[0]!.apiVersion, '2024-09-01');
  t.same(newer.requests[0]!.body, { text: 'hello bunny', outputType: 'EightSeverityLevels', blocklistNames: ['toy-words'], haltOnBlocklistHit: false });
});

t.test('each category blocks at its threshold and not one below, per direction', async (t) => {
  const { filter } = await setup(t, {}, { script: graded });
  for (const [direction, thresholds] of [['input', DEFAULT_AZURE_INPUT_THRESHOLDS], ['output', DEFAULT_AZURE_OUTPUT_THRESHOLDS]] as const) {
    for (const [category, threshold] of Object.entries(thresholds) as Array<[AzureCategory, number]>) {
      const under = await filter.check(`${AZURE_NAME[category]}=${threshold - 1}`, direction, never);
      t.equal(under.allowed, true, `${direction} ${category} ${threshold - 1} passes`);
      if (threshold > 1) t.match(under, { category, severity: threshold - 1, categories: { [category]: threshold - 1 } }, 'but is reported');
      const at = await filter.check(`${AZURE_NAME[category]}=${threshold}`, direction, never);
      t.match(at, { allowed: false, category, severity: threshold, categories: { [category]: threshold }, provider: 'azure' }, `${direction} ${category} ${threshold} blocks`);
    }
  }
});

t.test('what a child may say about being hurt, the toy may not say', async (t) => {
  const { filter } = await setup(t);
  t.match(await filter.check('a monster bit me', 'input', never), { allowed: true, category: 'violence', severity: 3 });
  t.match(await filter.check('a monster bit me', 'output', never), { allowed: false, category: 'violence', severity: 3 });
});

t.test('each toy can have its own thresholds; the rest keep the defaults', async (t) => {
  const { fake } = await setup(t, {}, { script: graded });
  const little = new AzureContentSafety({ endpoint: fake.endpoint, key: KEY });
  const older = new AzureContentSafety({ endpoint: fake.endpoint, key: KEY, thresholds: { input: { violence: 6 }, output: { violence: 4 } } });
  t.notOk((await little.check('Violence=5', 'input', never)).allowed);
  t.ok((await older.check('Violence=5', 'input', never)).allowed);
  t.notOk((await older.check('Violence=6', 'input', never)).allowed);
  t.notOk((await little.check('Violence=3', 'output', never)).allowed);
  t.ok((await older.check('Violence=3', 'output', never)).allowed);
  t.notOk((await older.check('Sexual=2', 'output', never)).allowed, 'sexual keeps its default');
  const never8 = new AzureContentSafety({ endpoint: fake.endpoint, key: KEY, thresholds: { input: { hate: 8 } } });
  t.match(await never8.check('Hate=7', 'input', never), { allowed: true, category: 'hate', severity: 7 }, '8 never blocks, the finding is still recorded');
});

t.test('the verdict is explained by the worst blocked category', async (t) => {
  const { filter } = await setup(t, {}, { script: graded });
  t.match(await filter.check('Violence=6 SelfHarm=6 Hate=1', 'input', never), { category: 'self_harm', severity: 6, categories: { violence: 6, self_harm: 6, hate: 1 } }, 'a tie goes to the category needing most care');
  t.match(await filter.check('Violence=3 Sexual=2', 'input', never), { allowed: false, category: 'sexual', severity: 3 }, 'a blocked category explains before a worse allowed one');
  t.same(await filter.check('nothing here', 'input', never), { allowed: true, categories: {}, severity: 0, provider: 'azure' });
});

t.test('a blocklist match blocks, whatever the classifiers say', async (t) => {
  const blocklists = { 'toy-words': ['santa', 'tooth fairy'], 'family-names': ['grandpa joe'] };
  const { fake, filter } = await setup(t, { blocklistNames: ['toy-words', 'family-names'] }, { blocklists });
  t.same(await filter.check('Is Santa real?', 'input', never), { allowed: false, categories: { blocklist: BLOCKLIST_SEVERITY }, category: 'blocklist', severity: BLOCKLIST_SEVERITY, provider: 'azure' });
  t.match(await filter.check('tell me about grandpa joe', 'output', never), { allowed: false, category: 'blocklist' });
  t.ok((await filter.check('a santander bike', 'input', never)).allowed, 'whole words only');
  t.match(await filter.check('santa will kill you', 'input', never), { allowed: false, category: 'violence', severity: 6, categories: { violence: 6, blocklist: BLOCKLIST_SEVERITY } }, 'real harm explains before a house rule');
  t.same(fake.requests.map((r) => (r.body as { blocklistNames: string[] }).blocklistNames), Array(4).fill(['toy-words', 'family-names']));

  const { fake: halting, filter: halts } = await setup(t, { blocklistNames: ['toy-words'], haltOnBlocklistHit: true }, { blocklists });
  t.same((await halts.check('santa will kill you', 'input', never)).categories, { blocklist: BLOCKLIST_SEVERITY }, 'halted: the classifiers did not run');
  t.match(halting.requests[0]!.body, { haltOnBlocklistHit: true });

  const { filter: missing } = await setup(t, { blocklistNames: ['no-such-list'] }, { blocklists });
  await t.rejects(missing.check('hello', 'input', never), { code: 'provider_rejected', retryable: false, message: /no-such-list not found/ });
});

t.test('an endpoint with a trailing slash or a path prefix works', async (t) => {
  const { fake } = await setup(t);
  const slashed = new AzureContentSafety({ endpoint: `${fake.endpoint}/`, key: KEY });
  t.notOk((await slashed.check('i will kill you', 'input', never)).allowed);
  t.equal(fake.requests[0]!.path, '/contentsafety/text:analyze');

  const { fake: gateway } = await setup(t, {}, { prefix: '/eu/safety' });
  for (const endpoint of [gateway.endpoint, `${gateway.endpoint}//`]) {
    const behind = new AzureContentSafety({ endpoint, key: KEY });
    t.notOk((await behind.check('i will kill you', 'input', never)).allowed, endpoint);
  }
  t.same(gateway.requests.map((r) => r.path), ['/eu/safety/contentsafety/text:analyze', '/eu/safety/contentsafety/text:analyze']);
});

t.test('HTTP failures map to codes the turn can act on, with no retries of our own', async (t) => {
  const { fake, filter } = await setup(t);
  const unauthorized = new AzureContentSafety({ endpoint: fake.endpoint, key: 'wrong-key' });
  await t.rejects(unauthorized.check('hello', 'input', never), { code: 'provider_unauthorized', retryable: false, message: /Azure Content Safety answered HTTP 401: Access denied/ });

  fake.answer({ kind: 'http', status: 429, headers: { 'retry-after': '2' }, body: { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded.' } } });
  await t.rejects(filter.check('hello', 'input', never), { code: 'provider_busy', retryable: true, retryAfterMs: 2000, message: /Rate limit is exceeded/ });

  fake.answer({ kind: 'http', status: 500, body: { error: { code: 'InternalServerError', message: 'try later' } } });
  await t.rejects(filter.check('hello', 'input', never), { code: 'provider_unavailable', retryable: true, message: /500: try later/ });

  // A proxy that echoes the key it was given: the key must not reach the error, and so the log.
  fake.answer({ kind: 'http', status: 403, body: { error: { code: 'Forbidden', message: `key ${KEY} is not allowed here` } } });
  const echoed = await filter.check('hello', 'input', never).then(() => undefined, (error: Error) => error);
  t.match(echoed, { code: 'provider_unauthorized', message: /key \[key\] is not allowed/ });
  t.notMatch(JSON.stringify({ message: echoed?.message, stack: echoed?.stack }), KEY);

  fake.answer({ kind: 'http', status: 503, body: '<html>Service Unavailable</html>' });
  await t.rejects(filter.check('hello', 'input', never), { code: 'provider_unavailable', retryable: true });
  t.equal(fake.requests.length, 5, 'one request per check: the SDK would have retried 3 times');
});

t.test('a 200 without a usable analysis never counts as allowed', async (t) => {
  const { fake, filter } = await setup(t);
  for (const body of [{}, { categoriesAnalysis: [{ category: 'Violence', severity: 9 }] }, { categoriesAnalysis: [{ category: 'Hate' }] }, 'ok']) {
    fake.answer({ kind: 'http', status: 200, body });
    await t.rejects(filter.check('hello', 'input', never), { code: 'provider_invalid_response', retryable: false }, JSON.stringify(body));
  }
  fake.answer({ kind: 'http', status: 200, body: { categoriesAnalysis: [{ category: 'Violence', severity: 0 }, { category: 'Jailbreak', severity: 7 }] } });
  t.ok((await filter.check('hello', 'input', never)).allowed, 'a category we do not grade is ignored');
});

t.test('a connection cut mid-answer or refused is a retryable failure', async (t) => {
  const { fake, filter } = await setup(t);
  fake.answer({ kind: 'cut' });
  const cut = await filter.check('hello', 'input', never).catch((e: unknown) => e);
  t.type(cut, ProviderError);
  t.match(cut, { code: 'provider_unreachable', retryable: true });

  const closed = await FakeContentSafety.start({ key: KEY });
  const refusing = new AzureContentSafety({ endpoint: closed.endpoint, key: KEY });
  await closed.close();
  await t.rejects(refusing.check('hello', 'input', never), { code: 'provider_unreachable', retryable: true, message: /ECONNREFUSED/ });
});

t.test('a server that never answers times out after timeoutMs', async (t) => {
  const { fake, filter } = await setup(t, { timeoutMs: 300 });
  fake.answer({ kind: 'hang' });
  await t.rejects(filter.check('hello', 'input', never), { code: 'provider_timeout', retryable: true });
});

t.test('aborting a check in flight rejects with aborted, or with the turn\'s own reason', async (t) => {
  const { fake, filter } = await setup(t);
  fake.answer({ kind: 'hang' });
  const bargeIn = new AbortController();
  const cut = filter.check('hello', 'input', bargeIn.signal);
  await fake.received(1);
  bargeIn.abort(new Error('barge-in'));
  await t.rejects(cut, { code: 'aborted', message: /barge-in/ });

  const deadline = new AbortController();
  const late = filter.check('hello', 'output', deadline.signal);
  await fake.received(2);
  const reason = new ProviderError('turn_deadline', 'the turn ran out of time', { retryable: false });
  deadline.abort(reason);
  t.equal(await late.catch((e: unknown) => e), reason, 'the deadline itself, not a copy');

  const before = new AbortController();
  before.abort(reason);
  t.equal(await filter.check('hello', 'input', before.signal).catch((e: unknown) => e), reason);
  t.equal(fake.requests.length, 2, 'an aborted signal sends nothing');
});

t.test('the key appears in no error and not in the filter itself', async (t) => {
  const { fake, filter } = await setup(t, { timeoutMs: 300 });
  const errors: unknown[] = [];
  const collect = (p: Promise<unknown>) => p.then(() => t.fail('should fail'), (e: unknown) => errors.push(e));
  await collect(new AzureContentSafety({ endpoint: fake.endpoint, key: `${KEY}-wrong` }).check('hello', 'input', never));
  for (const reply of [
    { kind: 'http', status: 429, headers: { 'retry-after': '1' }, body: { error: { code: '429', message: 'slow down' } } },
    { kind: 'http', status: 500, body: 'oops' },
    { kind: 'http', status: 400, body: { error: { code: 'InvalidRequestBody', message: 'bad' } } },
    { kind: 'cut' },
    { kind: 'hang' },
  ] as const) {
    fake.answer(reply);
    await collect(filter.check('hello', 'input', never));
  }
  const closed = await FakeContentSafety.start();
  const refused = new AzureContentSafety({ endpoint: closed.endpoint, key: KEY });
  await closed.close();
  await collect(refused.check('hello', 'input', never));
  try {
    new AzureContentSafety({ endpoint: 'http://example.com', key: KEY });
  } catch (e) {
    errors.push(e);
  }
  t.equal(errors.length, 8);
  for (const error of errors) {
    const seen = `${String(error)} ${(error as Error).stack} ${inspect(error, { depth: 10, showHidden: true })}`;
    t.notOk(seen.includes(KEY.slice(0, 12)), `${(error as ProviderError).code}: no key`);
    t.notOk(seen.includes('hello'), `${(error as ProviderError).code}: no child's words either`);
  }
  t.notOk(inspect(filter, { depth: 10, showHidden: true }).includes(KEY), 'the filter keeps its key out of sight');
});

t.test('text over 10,000 characters is checked in overlapping pieces', async (t) => {
  const { fake, filter } = await setup(t);
  const filler = 'la '.repeat(3333); // 9,999 code points
  const long = `${filler}i will kill you ${'la '.repeat(5000)}`;
  t.ok(Array.from(long).length > 2 * AZURE_MAX_TEXT);
  t.match(await filter.check(long, 'input', never), { allowed: false, category: 'violence' }, 'a threat across a piece boundary is found whole');
  t.equal(fake.requests.length, 3);
  for (const r of fake.requests) t.ok(Array.from((r.body as { text: string }).text).length <= AZURE_MAX_TEXT);

  const emoji = '🐰'.repeat(AZURE_MAX_TEXT);
  t.same(piecesOf(emoji), [emoji], 'counted in code points, as Azure counts, not UTF-16 units');
  const pieces = piecesOf('word '.repeat(9000));
  t.equal(pieces.length, 5);
  t.ok(pieces.every((p) => !p.startsWith(' ') && /^(word ?)+$/.test(p)), 'cut between words');

  await t.rejects(filter.check('a'.repeat(60_000), 'input', never), { code: 'text_too_long', retryable: false });
  t.equal(fake.requests.length, 3, 'refused before sending anything');
});

t.test('bad options are refused at start-up, naming the option', async (t) => {
  const ok = { endpoint: 'https://toy.cognitiveservices.azure.com', key: KEY };
  t.doesNotThrow(() => new AzureContentSafety(ok));
  for (const [options, name] of [
    [{ ...ok, endpoint: 'http://toy.cognitiveservices.azure.com' }, /endpoint.*https/],
    [{ ...ok, endpoint: 'toy.cognitiveservices.azure.com' }, /endpoint/],
    [{ ...ok, endpoint: 'https://toy.cognitiveservices.azure.com/?x=1' }, /endpoint/],
    [{ ...ok, key: ' ' }, /'key'/],
    [{ ...ok, thresholds: { input: { violence: 0 } } }, /thresholds\.input\.violence/],
    [{ ...ok, thresholds: { output: { hate: 2.5 } } }, /thresholds\.output\.hate/],
    [{ ...ok, thresholds: { input: { profanity: 2 } } }, /thresholds\.input.*profanity/],
    [{ ...ok, blocklistNames: ['no spaces'] }, /blocklistNames/],
    [{ ...ok, timeoutMs: 0 }, /timeoutMs/],
    [{ ...ok, apiVersion: 'latest' }, /apiVersion/],
  ] as const) {
    t.throws(() => new AzureContentSafety(options as AzureContentSafetyOptions), { code: 'invalid_options', message: name });
  }
  t.doesNotThrow(() => new AzureContentSafety({ ...ok, endpoint: 'http://localhost:8080' }), 'plain http to this machine, for tests');
});
