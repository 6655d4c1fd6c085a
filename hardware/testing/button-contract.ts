import type { Test } from 'tap';
import type { Button, ButtonEvent } from '../button.js';

export interface ButtonUnderTest {
  button: Button;
  /** Makes the driver report `event` the way its hardware would (a key, a GPIO edge, a call). */
  trigger: (event: ButtonEvent) => void | Promise<void>;
}

/** What every Button driver must do. */
export function buttonContract(t: Test, name: string, make: () => ButtonUnderTest | Promise<ButtonUnderTest>): void {
  t.test(`${name} honours the Button contract`, async (t) => {
    t.test('a subscriber hears press, longPress and release in order', async (t) => {
      const { button, trigger } = await make();
      t.teardown(() => button.close());
      const heard: ButtonEvent[] = [];
      button.subscribe((e) => heard.push(e));
      await trigger('press');
      await trigger('longPress');
      await trigger('release');
      t.same(heard, ['press', 'longPress', 'release']);
    });

    t.test('every subscriber hears, and unsubscribing stops only that one', async (t) => {
      const { button, trigger } = await make();
      t.teardown(() => button.close());
      const first: ButtonEvent[] = [];
      const second: ButtonEvent[] = [];
      const stopFirst = button.subscribe((e) => first.push(e));
      button.subscribe((e) => second.push(e));
      await trigger('press');
      stopFirst();
      stopFirst();
      await trigger('release');
      t.same(first, ['press']);
      t.same(second, ['press', 'release']);
    });

    t.test('a listener may unsubscribe while it is being called', async (t) => {
      const { button, trigger } = await make();
      t.teardown(() => button.close());
      const heard: ButtonEvent[] = [];
      const stop = button.subscribe((e) => {
        heard.push(e);
        stop();
      });
      const others: ButtonEvent[] = [];
      button.subscribe((e) => others.push(e));
      await trigger('press');
      await trigger('release');
      t.same(heard, ['press']);
      t.same(others, ['press', 'release'], 'the others still hear everything');
    });

    t.test('after close nothing is heard and close may be repeated', async (t) => {
      const { button, trigger } = await make();
      const heard: ButtonEvent[] = [];
      button.subscribe((e) => heard.push(e));
      await button.close();
      await trigger('press');
      await trigger('release');
      await button.close();
      t.same(heard, []);
      t.type(button.subscribe(() => undefined), 'function', 'subscribing after close is harmless');
    });
  });
}
