import { DEVICE_ID_PATTERN, SECRET_LENGTH, VOLUME_RANGE } from '../protocol/index.js';
import { DEFAULT_DOUBLE_PRESS_MS } from './double-press.js';

/** Everything the device reads at start-up, validated once and frozen. */
export interface DeviceConfig {
  /** ws:// or wss:// URL of the gateway's device endpoint. */
  readonly gatewayUrl: string;
  readonly deviceId: string;
  /** Per-device secret the gateway issued. Never logged. */
  readonly secret: string;
  readonly firmware: string;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly connectTimeoutMs: number;
  readonly uplinkBitrate: number;
  /** How long to wait in thinking before giving up on the gateway. */
  readonly replyTimeoutMs: number;
  readonly errorShowMs: number;
  /** Downlink frames waiting to be played (60 ms each). */
  readonly maxQueuedFrames: number;
  /**
   * The loudest this toy's speaker may ever play, set by its maker, in protocol's VOLUME_RANGE,
   * whatever the parent or anyone else sets. Not the parent's `maxVolume`, which can only lower it.
   */
  readonly volumeCeiling: number;
  /**
   * Start in hands-free at every welcome, a reconnection's too (not after a parent's unlock). The
   * gateway still ends it when nobody speaks for a while, and a double press or a push still do.
   */
  readonly handsFree: boolean;
  /** Two presses closer than this (ms) toggle hands-free; 0 turns the gesture off. */
  readonly doublePressMs: number;
}

export const DEFAULT_DEVICE_CONFIG: Omit<DeviceConfig, 'gatewayUrl' | 'deviceId' | 'secret'> = Object.freeze({
  firmware: '0.1.0',
  reconnect: Object.freeze({ initialMs: 500, maxMs: 30_000 }),
  connectTimeoutMs: 5000,
  uplinkBitrate: 16_000,
  replyTimeoutMs: 20_000,
  errorShowMs: 2000,
  maxQueuedFrames: 200,
  volumeCeiling: VOLUME_RANGE.max,
  handsFree: false,
  doublePressMs: DEFAULT_DOUBLE_PRESS_MS,
});

/**
 * The device asks more of its secret than the wire does (SECRET_LENGTH, from 1): a secret the
 * gateway issued is 32 characters, so a shorter one than this is a truncated paste or a
 * placeholder, named at start-up rather than found as a toy the gateway refuses for ever.
 */
const MIN_ISSUED_SECRET_LENGTH = 8;

export class DeviceConfigError extends Error {
  readonly code = 'bad_config';
  readonly retryable = false;
}

type Input = Partial<Omit<DeviceConfig, 'reconnect'>> & { reconnect?: Partial<DeviceConfig['reconnect']> };

/** Merges `input` into the defaults and checks every value; errors name the bad key. */
export function deviceConfig(input: Input): DeviceConfig {
  const merged = { ...DEFAULT_DEVICE_CONFIG, ...input, reconnect: { ...DEFAULT_DEVICE_CONFIG.reconnect, ...input.reconnect } };
  const bad = (key: string, why: string): never => {
    throw new DeviceConfigError(`device config '${key}' ${why}`);
  };
  if (typeof merged.gatewayUrl !== 'string' || !/^wss?:\/\/[^\s]+$/.test(merged.gatewayUrl)) bad('gatewayUrl', 'must be a ws:// or wss:// URL');
  if (typeof merged.deviceId !== 'string' || !DEVICE_ID_PATTERN.test(merged.deviceId)) bad('deviceId', 'must be 1-64 letters, digits, dots, dashes or underscores');
  if (typeof merged.secret !== 'string' || merged.secret.length < MIN_ISSUED_SECRET_LENGTH || merged.secret.length > SECRET_LENGTH.max) {
    bad('secret', `must be the ${MIN_ISSUED_SECRET_LENGTH}-${SECRET_LENGTH.max} character secret the gateway issued`);
  }
  const int = (key: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) bad(key, `must be an integer in ${min}..${max}`);
  };
  int('reconnect.initialMs', merged.reconnect.initialMs, 10, 600_000);
  int('reconnect.maxMs', merged.reconnect.maxMs, merged.reconnect.initialMs, 3_600_000);
  int('connectTimeoutMs', merged.connectTimeoutMs, 100, 600_000);
  int('uplinkBitrate', merged.uplinkBitrate, 6000, 64_000);
  int('replyTimeoutMs', merged.replyTimeoutMs, 100, 600_000);
  int('errorShowMs', merged.errorShowMs, 0, 60_000);
  int('maxQueuedFrames', merged.maxQueuedFrames, 5, 10_000);
  int('volumeCeiling', merged.volumeCeiling, VOLUME_RANGE.min, VOLUME_RANGE.max);
  // Past a second a double press stops feeling like one, and a quick second push-to-talk turn is taken for it.
  int('doublePressMs', merged.doublePressMs, 0, 1000);
  if (typeof merged.handsFree !== 'boolean') bad('handsFree', 'must be true or false');
  return Object.freeze({ ...(merged as DeviceConfig), reconnect: Object.freeze(merged.reconnect) });
}
