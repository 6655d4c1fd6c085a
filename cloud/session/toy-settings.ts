import type { ToySettings } from '../../protocol/index.js';
import type { ParentSettings } from '../store/store.js';

/** What a device is told while its parent has chosen nothing. */
export interface ToyDefaults {
  readonly name: string;
  readonly defaultVolume: number;
  readonly defaultMaxVolume: number;
}

/** The gateway's defaults, overridden by whatever the parent chose. */
export function toySettingsFor(defaults: ToyDefaults, parent: ParentSettings): ToySettings {
  return {
    name: defaults.name,
    volume: parent.volume ?? defaults.defaultVolume,
    maxVolume: parent.maxVolume ?? defaults.defaultMaxVolume,
    locked: parent.locked ?? false,
  };
}

/** Whether a device told `a` needs to hear of `b`. */
export function sameToySettings(a: ToySettings, b: ToySettings): boolean {
  return a.name === b.name && a.volume === b.volume && a.maxVolume === b.maxVolume && a.locked === b.locked;
}
