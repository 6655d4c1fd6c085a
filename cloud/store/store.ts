import type { SafetyVerdict } from '../providers/safety/safety-filter.js';

/** How a turn ended. */
export type TurnOutcome = 'answered' | 'not_understood' | 'blocked' | 'aborted' | 'failed';

export interface SafetyRecord extends SafetyVerdict {
  readonly direction: 'input' | 'output';
  readonly text: string;
}

/** One turn of a conversation, as the parent dashboard will see it. */
export interface TurnRecord {
  readonly id: string;
  readonly deviceId: string;
  readonly sessionId: string;
  /** The device's turn number within its session. */
  readonly turn: number;
  /** ISO 8601, when the child started speaking. */
  readonly startedAt: string;
  readonly transcript: string;
  readonly reply: string;
  readonly outcome: TurnOutcome;
  readonly safety: readonly SafetyRecord[];
  /** Milliseconds per stage, measured from listen stop (stt, safetyIn, llmFirstToken, ttsFirstByte, firstAudio, total...). */
  readonly timings: Readonly<Record<string, number>>;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * What a parent set for one toy. An absent field means "the gateway's default",
 * so changing a default reaches every toy whose parent has not chosen.
 */
export interface ParentSettings {
  /** 0..100 */
  readonly volume?: number;
  /** 0..100: the toy never plays louder. */
  readonly maxVolume?: number;
  readonly locked?: boolean;
}

export interface DeviceRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly settings: ParentSettings;
}

/** Where the gateway keeps devices and conversations: SQLite by default, Convex later. */
export interface Store {
  /** Saving an id that exists replaces that turn, so a retried save never duplicates it. */
  saveTurn(turn: TurnRecord): Promise<void>;
  /** Newest first. */
  listTurns(query: { deviceId?: string; limit?: number }): Promise<TurnRecord[]>;
  /** Removes every turn of a device (a parent's "delete my child's data"). Returns how many went. */
  deleteTurns(deviceId: string): Promise<number>;
  /** Registers a device (or replaces its secret) and returns the new secret, shown once. */
  addDevice(deviceId: string): Promise<string>;
  /** Registers a device with a secret chosen by the caller (the simulator's own pairing). */
  addDeviceWithSecret(deviceId: string, secret: string): Promise<void>;
  /** True when the device exists and the secret matches; constant time in the secret. */
  verifyDevice(deviceId: string, secret: string): Promise<boolean>;
  listDevices(): Promise<DeviceRecord[]>;
  /** The parent's settings of a device; {} for a device with none or unknown. */
  deviceSettings(deviceId: string): Promise<ParentSettings>;
  /**
   * Merges `change` into a device's settings (`null` clears a field back to the default) and
   * returns the result. An unknown device is an error: settings never create one.
   */
  updateDeviceSettings(deviceId: string, change: { readonly [K in keyof ParentSettings]?: ParentSettings[K] | null }): Promise<ParentSettings>;
  close(): Promise<void>;
}

/** Checks a settings change; returns a problem naming the field, or undefined. */
export function settingsProblem(change: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(change)) {
    if (value === null) continue;
    if (key === 'volume' || key === 'maxVolume') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) return `${key} must be a whole number from 0 to 100`;
    } else if (key === 'locked') {
      if (typeof value !== 'boolean') return 'locked must be true or false';
    } else return `unknown setting '${key}'`;
  }
  return undefined;
}

/** `settings` with `change` applied: null removes a field. */
export function mergeSettings(settings: ParentSettings, change: Record<string, unknown>): ParentSettings {
  const merged: Record<string, unknown> = { ...settings };
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged as ParentSettings;
}
