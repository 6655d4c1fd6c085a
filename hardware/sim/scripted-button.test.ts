import t from 'tap';
import type { ButtonEvent } from '../button.js';
import { buttonContract } from '../testing/button-contract.js';
import { ScriptedButton } from './scripted-button.js';

buttonContract(t, 'ScriptedButton', () => {
  const button = new ScriptedButton();
  const actions: Record<ButtonEvent, () => void> = {
    press: () => button.press(),
    release: () => button.release(),
    longPress: () => button.longPress(),
  };
  return { button, trigger: (event) => actions[event]() };
});

t.test('events are delivered synchronously, before press() returns', async (t) => {
  const button = new ScriptedButton();
  t.teardown(() => button.close());
  let heard: ButtonEvent | undefined;
  button.subscribe((e) => {
    heard = e;
  });
  button.press();
  t.equal(heard, 'press');
});

t.test('a press before anyone listens is not replayed later', async (t) => {
  const button = new ScriptedButton();
  t.teardown(() => button.close());
  button.press();
  const heard: ButtonEvent[] = [];
  button.subscribe((e) => heard.push(e));
  button.release();
  t.same(heard, ['release']);
});
