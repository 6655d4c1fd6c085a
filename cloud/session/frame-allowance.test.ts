import t from 'tap';
import { FrameAllowance } from './frame-allowance.js';

t.test('a burst of twice the rate is read, then frames are dropped, then a second of drops is a flood', async (t) => {
  let now = 0;
  const allowance = new FrameAllowance(10, () => now);
  const verdicts = Array.from({ length: 31 }, () => allowance.take());
  t.same(verdicts.slice(0, 20), Array(20).fill('read'), 'the burst');
  t.same(verdicts.slice(20, 30), Array(10).fill('drop'), "a second's worth dropped");
  t.equal(verdicts[30], 'flood');
});

t.test('a device a little over its rate is dropped from, never taken for a flood', async (t) => {
  let now = 0;
  const allowance = new FrameAllowance(10, () => now);
  const seen = new Set<string>();
  // 15 frames a second for a minute: 5 over the rate every second.
  for (let i = 0; i < 15 * 60; i++) {
    now = (i * 1000) / 15;
    seen.add(allowance.take());
  }
  t.same([...seen].sort(), ['drop', 'read']);
});
