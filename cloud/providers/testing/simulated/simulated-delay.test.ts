import { getEventListeners } from 'node:events';
import t from 'tap';
import { simulatedDelay } from './simulated-delay.js';

t.test('resolves with the time waited and lets go of the signal', async (t) => {
  const controller = new AbortController();
  const waited = await simulatedDelay(5, controller.signal);
  t.ok(Number.isFinite(waited) && waited >= 0, `waited ${waited.toFixed(1)} ms`);
  t.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no abort listener left');
});

t.test('an abort rejects at once with the provider error and leaves no timer', async (t) => {
  const controller = new AbortController();
  const pending = simulatedDelay(60_000, controller.signal);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  // Counted on either side of the abort in one synchronous stretch: no other timer can come or go between.
  const before = timers();
  controller.abort(new Error('barge-in'));
  const after = timers();
  t.equal(after, before - 1, 'its timer was cleared');
  await t.rejects(pending, { name: 'ProviderError', code: 'aborted', message: /barge-in/ });
  t.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no abort listener left');
});

t.test('an aborted signal rejects without waiting', async (t) => {
  const controller = new AbortController();
  controller.abort(new Error('emergency stop'));
  await t.rejects(simulatedDelay(60_000, controller.signal), { code: 'aborted' });
  t.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

t.test('a wait already due needs no timer, and an abort still wins over it', async (t) => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const due = simulatedDelay(-3, new AbortController().signal);
  t.equal(timers(), before, 'no timer was set');
  t.ok((await due) >= 0);
  const controller = new AbortController();
  controller.abort(new Error('barge-in'));
  await t.rejects(simulatedDelay(0, controller.signal), { code: 'aborted' });
});
