import t from 'tap';
import { OncePerInterval } from './once-per-interval.js';

t.test('the first is reported at once, the rest once per interval with their count', async (t) => {
  let now = 0;
  const counter = new OncePerInterval(10_000, () => now);
  t.equal(counter.note(), 1);
  for (let i = 0; i < 49; i++) t.equal(counter.note(), undefined);
  t.equal(counter.unreported, 49);
  now = 10_000;
  t.equal(counter.note(), 50, 'the 49 unreported and this one');
  t.equal(counter.unreported, 0);
});
