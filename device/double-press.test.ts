import t from 'tap';
import { DoublePress } from './double-press.js';

t.test('a single press is push-to-talk, however long ago the last one was', async (t) => {
  const presses = new DoublePress(400);
  t.equal(presses.press(1000, false, true), 'buttonDown');
  t.equal(presses.press(1400, false, true), 'buttonDown', 'exactly the window apart is two single presses');
  t.equal(presses.press(5000, true, true), 'buttonDown');
});

t.test('two presses within the window switch hands-free on, or off when the first came in hands-free', async (t) => {
  const presses = new DoublePress(400);
  t.equal(presses.press(0, false, true), 'buttonDown', 'the first press acts at once');
  t.equal(presses.press(250, false, true), 'handsFreeOn');
  // The first press decides: by the second, the first press has already left hands-free.
  t.equal(presses.press(10_000, true, true), 'buttonDown');
  t.equal(presses.press(10_100, false, true), 'handsFreeOff');
});

t.test('a double press is complete at its second press: a third counts anew', async (t) => {
  const presses = new DoublePress(400);
  t.equal(presses.press(0, false, true), 'buttonDown');
  t.equal(presses.press(100, false, true), 'handsFreeOn');
  t.equal(presses.press(200, true, true), 'buttonDown', 'a third quick press is push-to-talk again');
  t.equal(presses.press(300, false, true), 'handsFreeOff', 'and a fourth pairs with it');
});

t.test('a second press pairs only while the push turn the first one started is still going', async (t) => {
  const presses = new DoublePress(400);
  t.equal(presses.press(0, false, false), 'buttonDown');
  // The first press's turn has been answered and is over (a sped-up script): a press of its own.
  t.equal(presses.press(200, false, false), 'buttonDown');
  // That press counts as a first press in turn.
  t.equal(presses.press(300, false, true), 'handsFreeOn');
});

t.test('a window of 0 turns the gesture off', async (t) => {
  const presses = new DoublePress(0);
  t.equal(presses.press(0, false, true), 'buttonDown');
  t.equal(presses.press(0, false, true), 'buttonDown');
  t.throws(() => new DoublePress(-1), RangeError);
});
