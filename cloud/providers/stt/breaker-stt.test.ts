import t from 'tap';
import { silentLog } from '../../../log/log.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { ProviderError } from '../provider-error.js';
import { BreakerStt } from './breaker-stt.js';
import type { Stt } from './stt.js';

const OPTIONS = { failureThreshold: 2, failureWindowMs: 60_000, coolDownMs: 30_000, maxCoolDownMs: 60_000 };

/** A recogniser whose service is down: it reads nothing and fails. */
function downStt(): Stt & { calls: number } {
  return {
    name: 'FakeStt',
    calls: 0,
    async transcribe() {
      this.calls++;
      throw new ProviderError('provider_unavailable', 'HTTP 503', { retryable: true });
    },
  };
}

/** The child's words as they arrive, chunk by chunk, with a count of what was read. */
function speech(chunks: number) {
  const seen = { read: 0, ended: false };
  async function* audio(): AsyncIterable<Int16Array> {
    for (let i = 0; i < chunks; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      seen.read++;
      yield new Int16Array(960);
    }
    seen.ended = true;
  }
  return { audio: audio(), seen };
}

async function opened() {
  const inner = downStt();
  const stt = new BreakerStt(inner, new CircuitBreaker(inner.name, 'stt', silentLog, OPTIONS));
  for (let i = 0; i < OPTIONS.failureThreshold; i++) await stt.transcribe(speech(1).audio, new AbortController().signal).catch(() => undefined);
  return { stt, inner };
}

t.test('while the recogniser is down, the child is heard out and only then refused, without calling it', async (t) => {
  const { stt, inner } = await opened();
  const calls = inner.calls;
  const { audio, seen } = speech(20);
  await t.rejects(stt.transcribe(audio, new AbortController().signal), { code: 'provider_down', retryable: false });
  t.same(seen, { read: 20, ended: true }, 'every chunk read, to listen stop: the fallback never plays over the child');
  t.equal(inner.calls, calls, 'the recogniser was not called');
});

t.test('a turn cut while the child is heard out ends at once, as aborted', async (t) => {
  const { stt } = await opened();
  const never: AsyncIterable<Int16Array> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) };
  const turn = new AbortController();
  const pending = stt.transcribe(never, turn.signal);
  turn.abort(new Error('barge-in'));
  await t.rejects(pending, { code: 'aborted' });
});
