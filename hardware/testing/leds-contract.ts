import type { Test } from 'tap';
import type { LedAnimation, LedPattern, Leds } from '../leds.js';

const ANIMATIONS: readonly LedAnimation[] = ['solid', 'pulse', 'blink', 'spin', 'off'];

/** What every Leds driver must do. */
export function ledsContract(t: Test, name: string, make: () => Leds | Promise<Leds>): void {
  t.test(`${name} honours the Leds contract`, async (t) => {
    t.test('shows every animation and extreme colours without throwing or waiting', async (t) => {
      const leds = await make();
      t.teardown(() => leds.close());
      for (const animation of ANIMATIONS) {
        for (const color of [[0, 0, 0], [255, 255, 255], [255, 0, 128]] as const) {
          const pattern: LedPattern = { name: `${animation}-${color.join('-')}`, color, animation };
          t.equal(leds.show(pattern), undefined, `${pattern.name} is shown synchronously`);
        }
      }
    });

    t.test('many patterns in a row do not pile up', async (t) => {
      const leds = await make();
      t.teardown(() => leds.close());
      for (let i = 0; i < 2000; i++) leds.show({ name: `p${i}`, color: [i % 256, 0, 0], animation: i % 2 === 0 ? 'pulse' : 'solid' });
      t.pass('2000 patterns shown');
    });

    t.test('show after close is ignored and close may be repeated', async (t) => {
      const leds = await make();
      await leds.close();
      t.doesNotThrow(() => leds.show({ name: 'late', color: [1, 2, 3], animation: 'solid' }));
      await leds.close();
    });
  });
}
