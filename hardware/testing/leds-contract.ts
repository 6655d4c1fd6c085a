import type { Test } from 'tap';
import type { LedAnimation, LedPattern, Leds } from '../leds.js';

const ANIMATIONS: readonly LedAnimation[] = ['solid', 'pulse', 'blink', 'spin', 'off'];

export interface LedsUnderTest {
  leds: Leds;
  /**
   * What the LEDs show now, in the driver's own terms: a strip's pixels, the lines' levels,
   * the last line written, the last pattern kept. A driver on fake timers first lets its
   * animations run a while, so that one left running changes what shows.
   */
  shown: () => unknown;
}

/** What every Leds driver must do. */
export function ledsContract(t: Test, name: string, make: () => LedsUnderTest | Promise<LedsUnderTest>): void {
  t.test(`${name} honours the Leds contract`, async (t) => {
    t.test('shows every animation and extreme colours without throwing or waiting', async (t) => {
      const { leds } = await make();
      t.teardown(() => leds.close());
      for (const animation of ANIMATIONS) {
        for (const color of [[0, 0, 0], [255, 255, 255], [255, 0, 128]] as const) {
          const pattern: LedPattern = { name: `${animation}-${color.join('-')}`, color, animation };
          t.equal(leds.show(pattern), undefined, `${pattern.name} is shown synchronously`);
        }
      }
    });

    t.test('many patterns in a row do not pile up: what shows is what the last alone shows', async (t) => {
      const many = await make();
      const one = await make();
      t.teardown(() => Promise.all([many.leds.close(), one.leds.close()]));
      for (let i = 0; i < 2000; i++) many.leds.show({ name: `p${i}`, color: [i % 256, 0, 0], animation: ANIMATIONS[i % ANIMATIONS.length]! });
      const last: LedPattern = { name: 'last', color: [0, 128, 255], animation: 'solid' };
      many.leds.show(last);
      one.leds.show(last);
      t.same(many.shown(), one.shown(), 'no earlier animation still runs, no earlier pattern still shows');
    });

    t.test('show after close is ignored and close may be repeated', async (t) => {
      const { leds, shown } = await make();
      await leds.close();
      const closed = shown();
      t.doesNotThrow(() => leds.show({ name: 'late', color: [1, 2, 3], animation: 'pulse' }));
      t.same(shown(), closed, 'what shows did not change');
      await leds.close();
    });
  });
}
