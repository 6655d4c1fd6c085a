import t from 'tap';
import { limitSecretChecks } from './secret-check-limit.js';

/** A verifier the test answers by hand, counting how many checks run at once. */
function manual() {
  const pending: ((ok: boolean) => void)[] = [];
  let running = 0;
  let most = 0;
  const verify = (_id: string, secret: string) =>
    new Promise<boolean>((resolve) => {
      running++;
      most = Math.max(most, running);
      pending.push((ok) => {
        running--;
        resolve(ok && secret === 'right');
      });
    });
  return { verify, pending, get most() {
    return most;
  } };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('no more checks run at once than allowed; the rest wait their turn and are answered', async (t) => {
  const v = manual();
  const limited = limitSecretChecks(v.verify, { concurrency: 2, maxWaiting: 10 });
  const answers = Array.from({ length: 6 }, (_, i) => limited('toy', i === 5 ? 'right' : 'wrong'));
  await settle();
  t.equal(v.pending.length, 2, 'two running');
  while (v.pending.length > 0) {
    v.pending.shift()!(true);
    await settle();
    await settle();
  }
  t.same(await Promise.all(answers), [false, false, false, false, false, true]);
  t.equal(v.most, 2);
});

t.test('past the waiting bound a check is refused at once as busy, retryable', async (t) => {
  const v = manual();
  const limited = limitSecretChecks(v.verify, { concurrency: 1, maxWaiting: 2 });
  const kept = [limited('a', 'x'), limited('b', 'x'), limited('c', 'x')];
  await t.rejects(limited('d', 'x'), { code: 'busy', retryable: true });
  while (v.pending.length > 0 || (await settle(), v.pending.length > 0)) {
    v.pending.shift()!(false);
    await settle();
  }
  t.same(await Promise.all(kept), [false, false, false]);
});

t.test('a check that throws frees its place', async (t) => {
  let calls = 0;
  const limited = limitSecretChecks(async () => {
    calls++;
    if (calls === 1) throw new Error('disk I/O error');
    return true;
  }, { concurrency: 1, maxWaiting: 0 });
  await t.rejects(limited('a', 'x'), { message: 'disk I/O error' });
  t.equal(await limited('a', 'x'), true);
});

t.test('a check no longer wanted when its turn comes is skipped, answered busy, and frees its place', async (t) => {
  const v = manual();
  const limited = limitSecretChecks(v.verify, { concurrency: 1, maxWaiting: 10 });
  const first = limited('toy', 'right');
  let gone = false;
  const abandoned = limited('toy', 'wrong', () => !gone);
  const third = limited('toy', 'right');
  await settle();
  gone = true;
  v.pending.shift()!(true);
  t.equal(await first, true);
  await t.rejects(abandoned, { code: 'busy', retryable: true });
  await settle();
  t.equal(v.pending.length, 1, 'the next check runs in its place');
  v.pending.shift()!(true);
  t.equal(await third, true);
});
