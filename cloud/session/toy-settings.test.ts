import t from 'tap';
import { sameToySettings, toySettingsFor } from './toy-settings.js';

const DEFAULTS = { name: 'Pommai', defaultVolume: 70, defaultMaxVolume: 85 };

t.test('a parent who chose nothing gets the defaults, unlocked', async (t) => {
  t.same(toySettingsFor(DEFAULTS, {}), { name: 'Pommai', volume: 70, maxVolume: 85, locked: false });
});

t.test("each of the parent's choices overrides its default alone", async (t) => {
  t.same(toySettingsFor(DEFAULTS, { maxVolume: 40 }), { name: 'Pommai', volume: 70, maxVolume: 40, locked: false });
  t.same(toySettingsFor(DEFAULTS, { volume: 0, locked: true }), { name: 'Pommai', volume: 0, maxVolume: 85, locked: true }, 'a volume of 0 is a choice, not a missing one');
});

t.test('settings are the same only when every field is', async (t) => {
  const base = toySettingsFor(DEFAULTS, {});
  t.ok(sameToySettings(base, { ...base }));
  for (const change of [{ name: 'Bun' }, { volume: 71 }, { maxVolume: 84 }, { locked: true }]) t.notOk(sameToySettings(base, { ...base, ...change }), JSON.stringify(change));
});
