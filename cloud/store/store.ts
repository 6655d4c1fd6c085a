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

export interface DeviceRecord {
  readonly id: string;
  readonly createdAt: string;
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
  close(): Promise<void>;
}
