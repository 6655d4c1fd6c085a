import { readFileSync } from 'node:fs';
import t from 'tap';
import type { LogLevel } from '../../log/log.js';
import { CircuitBreaker, DEFAULT_CIRCUIT_BREAKER, callOutcome, type CircuitBreakerOptions } from './circuit-breaker.js';
import { ProviderError, TURN_OUT_OF_TIME } from './provider-error.js';

const OPTIONS: CircuitBreakerOptions = { failureThreshold: 3, failureWindowMs: 10_000, coolDownMs: 1000, maxCoolDownMs: 3000 };
const unavailable = () => new ProviderError('provider_unavailable', 'HTTP 500', { retryable: true });
const live = () => new AbortController().signal;

function breaker(options: CircuitBreakerOptions = OPTIONS) {
  const clock = { now: 0 };
  const lines: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  const b = new CircuitBreaker('FakeLlm', 'llm', (level, message, fields = {}) => lines.push({ level, message, fields }), options, () => clock.now);
  const fail = (error: unknown = unavailable()) => b.call(() => Promise.reject(error), live()).catch((e: unknown) => e as ProviderError);
  const succeed = () => b.call(async () => 'answer', live());
  const messages = () => lines.map((l) => l.message);
  return { b, clock, lines, fail, succeed, messages };
}

t.test('failures in a row open it; while open every call is refused at once without reaching the provider', async (t) => {
  const { b, fail, lines } = breaker();
  await fail();
  await fail();
  t.equal(b.state, 'closed', 'under the threshold');
  await fail();
  t.equal(b.state, 'open');
  let calls = 0;
  const refused = (await b.call(async () => ++calls, live()).catch((e: unknown) => e)) as ProviderError;
  t.equal(calls, 0, 'the provider was not called');
  t.match(refused, { code: 'provider_down', retryable: false }, 'not retryable: the turn goes to its fallback');
  t.match(refused.message, /FakeLlm \(llm\) is down after 3 failures in a row \(last: provider_unavailable\)/);
  t.same(lines, [{ level: 'warn', message: 'provider down', fields: { provider: 'FakeLlm', stage: 'llm', failures: 3, code: 'provider_unavailable', coolDownMs: 1000 } }], 'one line, when it opened');
});

t.test('an answer between failures starts the count again', async (t) => {
  const { b, fail, succeed } = breaker();
  await fail();
  await fail();
  await succeed();
  await fail();
  await fail();
  t.equal(b.state, 'closed');
  await fail();
  t.equal(b.state, 'open');
});

t.test('failures further apart than the window are not a row', async (t) => {
  const { b, clock, fail } = breaker();
  await fail();
  clock.now = 6000;
  await fail();
  clock.now = 10_001;
  await fail();
  t.equal(b.state, 'closed', 'the first failure fell out of the window');
  clock.now = 12_000;
  await fail();
  t.equal(b.state, 'open', 'three within 10 s of the first of the row');
});

t.test('after the cool-down one probe goes through; others wait; its answer closes the breaker with one line', async (t) => {
  const { b, clock, fail, messages, lines } = breaker();
  for (let i = 0; i < 3; i++) await fail();
  clock.now = 999;
  t.match(await fail(), { code: 'provider_down' }, 'still cooling down');
  clock.now = 1000;
  let release!: (value: string) => void;
  const probe = b.call(() => new Promise<string>((resolve) => (release = resolve)), live());
  t.equal(b.state, 'halfOpen');
  t.match(await fail(), { code: 'provider_down' }, 'a second call while the probe is out is refused');
  release('answer');
  t.equal(await probe, 'answer');
  t.equal(b.state, 'closed');
  t.same(messages(), ['provider down', 'provider back']);
  t.match(lines[1], { level: 'info', fields: { provider: 'FakeLlm', stage: 'llm', downMs: 1000, refused: 2 } });
  await fail();
  await fail();
  t.equal(b.state, 'closed', 'the count starts from nothing after it came back');
});

t.test('each failed probe doubles the cool-down up to its cap, with one line per probe', async (t) => {
  const { b, clock, fail, succeed, lines } = breaker();
  for (let i = 0; i < 3; i++) await fail();
  const coolDowns: number[] = [];
  for (let probe = 0; probe < 4; probe++) {
    const before = clock.now;
    // Wait out the cool-down: the instant before, still refused.
    let wait = 0;
    while (b.state === 'open') {
      clock.now = before + wait;
      const error = await fail(new ProviderError('provider_timeout', 'slow', { retryable: true }));
      if (b.state === 'open' && error.code === 'provider_down') wait += 250;
      else break;
    }
    coolDowns.push(clock.now - before);
    t.equal(b.state, 'open', `probe ${probe + 1} failed: open again`);
  }
  t.same(coolDowns, [1000, 2000, 3000, 3000], 'doubled, then capped');
  t.same(lines.map((l) => l.message), ['provider down', 'provider still down', 'provider still down', 'provider still down', 'provider still down']);
  t.match(lines[1]!.fields, { code: 'provider_timeout', coolDownMs: 2000 });
  clock.now += 3000;
  await succeed();
  t.equal(b.state, 'closed');
  for (let i = 0; i < 3; i++) await fail();
  clock.now += 999;
  t.match(await fail(), { code: 'provider_down' });
  clock.now += 1;
  await succeed();
  t.equal(b.state, 'closed', 'after coming back, the next outage starts from the first cool-down again');
});

t.test('a provider that asked for longer than the cool-down (Retry-After) is left alone that long', async (t) => {
  const { b, clock, fail, succeed, lines } = breaker();
  const busy = () => new ProviderError('provider_busy', 'HTTP 429', { retryable: true, retryAfterMs: 2500 });
  for (let i = 0; i < 3; i++) await fail(busy());
  t.match(lines[0]!.fields, { code: 'provider_busy', coolDownMs: 2500 });
  clock.now = 2499;
  t.match(await fail(), { code: 'provider_down' });
  clock.now = 2500;
  await succeed();
  t.equal(b.state, 'closed');
});

t.test('a probe the caller cut leaves the next call to probe', async (t) => {
  const { b, clock, fail, succeed } = breaker();
  for (let i = 0; i < 3; i++) await fail();
  clock.now = 1000;
  const cut = new AbortController();
  cut.abort(new Error('barge-in'));
  await b.call(() => Promise.reject(new Error('the request was aborted')), cut.signal).catch(() => undefined);
  t.equal(b.state, 'open', 'nothing learnt');
  await succeed();
  t.equal(b.state, 'closed', 'the next call was the probe, without another cool-down');
});

t.test('a probe never answered is given up for lost after a cool-down, so the breaker cannot stick half-open', async (t) => {
  const { b, clock, fail, succeed } = breaker();
  for (let i = 0; i < 3; i++) await fail();
  clock.now = 1000;
  void b.call(() => new Promise<string>(() => {}), live());
  t.equal(b.state, 'halfOpen');
  clock.now = 1999;
  t.match(await fail(), { code: 'provider_down' }, 'while it may still answer, no second probe');
  clock.now = 2000;
  await succeed();
  t.equal(b.state, 'closed', 'the next call after a cool-down probed, and closed it');
});

t.test('answers to calls let through before it opened do not decide the probe', async (t) => {
  const { b, clock, fail } = breaker();
  let release!: (value: string) => void;
  const straggler = b.call(() => new Promise<string>((resolve) => (release = resolve)), live());
  for (let i = 0; i < 3; i++) await fail();
  clock.now = 1000;
  let probeFail!: (error: unknown) => void;
  const probe = b.call(() => new Promise<string>((_, reject) => (probeFail = reject)), live()).catch(() => undefined);
  release('late');
  await straggler;
  t.equal(b.state, 'halfOpen', 'the late answer was not taken for the probe');
  probeFail(unavailable());
  await probe;
  t.equal(b.state, 'open');
});

t.test('what counts as the provider being down', async (t) => {
  const signal = live();
  const cut = new AbortController();
  cut.abort(new Error('barge-in'));
  const deadline = new AbortController();
  const timeout = new ProviderError('provider_timeout', 'llm did not answer within 900 ms', { retryable: true });
  deadline.abort(timeout);
  const outOfTime = new ProviderError(TURN_OUT_OF_TIME, 'llm did not answer within 250 ms (the stages before it had spent its time)', { retryable: true });
  const spent = new AbortController();
  spent.abort(outOfTime);
  const cases: [string, unknown, AbortSignal, string][] = [
    ['HTTP 500', unavailable(), signal, 'failure'],
    ['429', new ProviderError('provider_busy', 'busy', { retryable: true }), signal, 'failure'],
    ['a reset', new ProviderError('provider_unreachable', 'ECONNRESET', { retryable: true }), signal, 'failure'],
    ['the stage deadline', timeout, deadline.signal, 'failure'],
    ['a deadline the stages before it cut short', outOfTime, spent.signal, 'abandoned'],
    ['a bad key: down for every turn', new ProviderError('provider_unauthorized', '401', { retryable: false }), signal, 'failure'],
    ['no such model', new ProviderError('provider_not_found', '404', { retryable: false }), signal, 'failure'],
    ['an unexpected exception', new TypeError('x is undefined'), signal, 'failure'],
    ['a bad request: it answered', new ProviderError('provider_rejected', '400', { retryable: false }), signal, 'success'],
    ['audio too long: it answered', new ProviderError('stt_audio_too_long', 'too long', { retryable: false }), signal, 'success'],
    ['the turn was cut', new ProviderError('aborted', 'turn aborted', { retryable: false }), cut.signal, 'abandoned'],
    ['the turn was cut, the adapter said otherwise', new Error('socket hang up'), cut.signal, 'abandoned'],
  ];
  for (const [what, error, s, expected] of cases) t.equal(callOutcome(error, s), expected, what);
});

t.test('a refusal of one request does not open it; non-retryable failures that mean down do', async (t) => {
  const { b, fail } = breaker();
  for (let i = 0; i < 5; i++) await fail(new ProviderError('provider_rejected', 'HTTP 400', { retryable: false }));
  t.equal(b.state, 'closed');
  for (let i = 0; i < 3; i++) await fail(new ProviderError('provider_unauthorized', 'HTTP 401 (check the API key)', { retryable: false }));
  t.equal(b.state, 'open');
});

t.test('a stream counts its first piece as the answer and a failure before it as a failure', async (t) => {
  const { b, lines } = breaker();
  async function* failing(): AsyncIterable<string> {
    throw unavailable();
  }
  async function* cutAfterOne(): AsyncIterable<string> {
    yield 'Once';
    throw new ProviderError('provider_stream_cut', 'cut', { retryable: true });
  }
  const drain = async (stream: AsyncIterable<string>) => {
    const pieces: string[] = [];
    try {
      for await (const piece of stream) pieces.push(piece);
    } catch (error) {
      return { pieces, error: error as ProviderError };
    }
    return { pieces };
  };
  await drain(b.stream(failing, live()));
  await drain(b.stream(failing, live()));
  const cut = await drain(b.stream(cutAfterOne, live()));
  t.same(cut.pieces, ['Once']);
  t.match(cut.error, { code: 'provider_stream_cut' }, 'the stream\'s own failure reaches the caller');
  await drain(b.stream(failing, live()));
  await drain(b.stream(failing, live()));
  t.equal(b.state, 'closed', 'the first piece reset the row: a stream cut after it is not the provider being down');
  let opened = 0;
  const counting = async function* (): AsyncIterable<string> {
    opened++;
    yield 'never';
  };
  await drain(b.stream(failing, live()));
  t.equal(b.state, 'open');
  const refused = await drain(b.stream(counting, live()));
  t.match(refused, { pieces: [], error: { code: 'provider_down' } });
  t.equal(opened, 0, 'an open breaker never opens the stream');
  t.equal(lines.length, 1);
});

t.test('a probe stream cut by its turn before its first piece tells nothing', async (t) => {
  const { b, clock, fail, succeed } = breaker();
  for (let i = 0; i < 3; i++) await fail();
  clock.now = 1000;
  const turn = new AbortController();
  async function* waiting(signal: AbortSignal): AsyncIterable<string> {
    await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new ProviderError('aborted', 'turn aborted', { retryable: false })), { once: true }));
    yield 'never';
  }
  const probe = (async () => {
    for await (const piece of b.stream(waiting, turn.signal)) void piece;
  })().catch((error: unknown) => error as ProviderError);
  t.equal(b.state, 'halfOpen', 'the probe is out');
  turn.abort(new Error('barge-in'));
  t.match(await probe, { code: 'aborted' });
  t.equal(b.state, 'open', 'nothing learnt');
  await succeed();
  t.equal(b.state, 'closed', 'the next call probed at once');
});

t.test("the README's figures are the breaker's defaults", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
  const { failureThreshold, failureWindowMs, coolDownMs, maxCoolDownMs } = DEFAULT_CIRCUIT_BREAKER;
  t.equal(failureWindowMs, 60_000, 'the README says "within a minute"');
  t.match(readme, `after ${failureThreshold} failures in a row within a minute`);
  t.match(readme, `After ${coolDownMs / 1000} s one call goes through as a probe`);
  t.match(readme, `up to ${maxCoolDownMs / 60_000} minutes`);
});
