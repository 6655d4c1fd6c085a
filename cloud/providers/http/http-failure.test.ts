import t from 'tap';
import { httpFailure, networkFailure, retryAfter } from './http-failure.js';

t.test('status codes map to codes a turn can act on', async (t) => {
  const h = new Headers();
  t.match(httpFailure('OpenAI', 401, h, '{"error":{"message":"Incorrect API key provided"}}'), { code: 'provider_unauthorized', retryable: false, message: /OpenAI answered HTTP 401: Incorrect API key provided \(check the API key\)/ });
  t.match(httpFailure('X', 403, h, ''), { code: 'provider_unauthorized', retryable: false });
  t.match(httpFailure('X', 400, h, '{"detail":{"status":"invalid","message":"voice not found"}}'), { code: 'provider_rejected', retryable: false, message: /voice not found/ });
  t.match(httpFailure('X', 429, new Headers({ 'retry-after': '2' }), 'slow down'), { code: 'provider_busy', retryable: true, retryAfterMs: 2000, message: /slow down/ });
  t.match(httpFailure('X', 503, h, '<html>bad gateway</html>'), { code: 'provider_unavailable', retryable: true, retryAfterMs: undefined });
  t.match(httpFailure('Azure', 500, h, '{"error":{"code":"InternalServerError","message":"try later"}}'), { message: /try later/ });
  t.ok(httpFailure('X', 500, h, 'x'.repeat(5000)).message.length < 400, 'long bodies are cut');
});

t.test('keys passed as secrets never reach the message', async (t) => {
  const failure = httpFailure('X', 401, new Headers(), '{"error":{"message":"bad key sk-abc123 given"}}', ['sk-abc123', '']);
  t.match(failure.message, /bad key \[key\] given/);
  t.notMatch(failure.message, 'sk-abc123');
});

t.test('Retry-After in seconds, as a date, as milliseconds, bounded', async (t) => {
  t.equal(retryAfter(new Headers({ 'retry-after': '1.5' })), 1500);
  t.equal(retryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
  t.equal(retryAfter(new Headers({ 'retry-after': '3600' })), 60_000);
  const soon = retryAfter(new Headers({ 'retry-after': new Date(Date.now() + 5000).toUTCString() }));
  t.ok(soon !== undefined && soon > 3000 && soon <= 5000, `${soon}`);
  t.equal(retryAfter(new Headers({ 'retry-after': 'whenever' })), undefined);
  t.equal(retryAfter(new Headers()), undefined);
});

t.test('no answer at all: unreachable or timed out, both worth a retry', async (t) => {
  const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
  t.match(networkFailure('ElevenLabs', refused), { code: 'provider_unreachable', retryable: true, message: /ElevenLabs could not be reached: connect ECONNREFUSED/ });
  t.match(networkFailure('X', new DOMException('The operation was aborted due to timeout', 'TimeoutError')), { code: 'provider_timeout', retryable: true });
});
