import t from 'tap';
import { SimulatedSafety } from './simulated-safety.js';

t.test('without a judge everything is allowed, in its own name', async (t) => {
  const safety = new SimulatedSafety({ latencyMs: 2 });
  const verdict = await safety.check('I will kill you.', 'output', new AbortController().signal);
  t.same(verdict, { allowed: true, categories: {}, severity: 0, provider: 'simulated' });
});

t.test('tells its observer how long the check was meant to take and took', async (t) => {
  const seen: Array<[string, number, number]> = [];
  const safety = new SimulatedSafety({ latencyMs: 3, observe: (stage, planned, actual) => seen.push([stage, planned, actual]) });
  await safety.check('hello', 'input', new AbortController().signal);
  t.equal(seen.length, 1);
  t.equal(seen[0]?.[0], 'safety');
  t.equal(seen[0]?.[1], 3);
  t.ok(Number.isFinite(seen[0]?.[2]) && (seen[0]?.[2] ?? -1) >= 0, 'and the time it took');
});

t.test('an abort mid-check rejects with aborted', async (t) => {
  const controller = new AbortController();
  const pending = new SimulatedSafety({ latencyMs: 60_000 }).check('hello', 'input', controller.signal);
  controller.abort(new Error('barge-in'));
  await t.rejects(pending, { code: 'aborted' });
});
