import { ProviderError } from '../provider-error.js';
import { hashDeviceSecret, newDeviceSecret, verifyDeviceSecret } from './device-secret.js';
import { mergeSettings, settingsProblem, type DeviceRecord, type ParentSettings, type Store, type TurnRecord } from './store.js';

interface StoredTurn {
  readonly turn: TurnRecord;
  readonly startedMs: number;
  /** Insertion order, to break ties between turns that started in the same millisecond. */
  readonly seq: number;
}

/**
 * A Store that lives in memory: the fake for tests of the gateway and dashboard, which need the
 * contract but not a native module or a file. It keeps everything until closed, so it is not for production.
 */
export class MemoryStore implements Store {
  readonly #turns = new Map<string, StoredTurn>();
  readonly #devices = new Map<string, { hash: string; createdAt: string; settings: ParentSettings }>();
  #seq = 0;
  #closed = false;

  async saveTurn(turn: TurnRecord): Promise<void> {
    this.#open();
    const startedMs = Date.parse(turn.startedAt);
    if (Number.isNaN(startedMs)) throw new ProviderError('invalid_turn', `turn ${turn.id} has an unreadable startedAt`);
    const seq = this.#turns.get(turn.id)?.seq ?? ++this.#seq;
    // A copy, so a caller changing its object later cannot change the log.
    this.#turns.set(turn.id, { turn: structuredClone(turn), startedMs, seq });
  }

  async listTurns(query: { deviceId?: string; limit?: number }): Promise<TurnRecord[]> {
    this.#open();
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new ProviderError('invalid_query', `limit must be a whole number of at least 0, not ${limit}`);
    }
    return [...this.#turns.values()]
      .filter((stored) => query.deviceId === undefined || stored.turn.deviceId === query.deviceId)
      .sort((a, b) => b.startedMs - a.startedMs || b.seq - a.seq)
      .slice(0, Math.min(limit, 1000))
      .map((stored) => structuredClone(stored.turn));
  }

  async deleteTurns(deviceId: string): Promise<number> {
    this.#open();
    let deleted = 0;
    for (const [id, stored] of this.#turns) {
      if (stored.turn.deviceId === deviceId && this.#turns.delete(id)) deleted++;
    }
    return deleted;
  }

  async addDevice(deviceId: string): Promise<string> {
    const secret = newDeviceSecret();
    await this.addDeviceWithSecret(deviceId, secret);
    return secret;
  }

  async addDeviceWithSecret(deviceId: string, secret: string): Promise<void> {
    this.#open();
    if (deviceId.length === 0 || deviceId.length > 128) {
      throw new ProviderError('invalid_device_id', 'a device id must be 1 to 128 characters');
    }
    const hash = await hashDeviceSecret(secret);
    const existing = this.#devices.get(deviceId);
    this.#devices.set(deviceId, { hash, createdAt: existing?.createdAt ?? new Date().toISOString(), settings: existing?.settings ?? {} });
  }

  async verifyDevice(deviceId: string, secret: string): Promise<boolean> {
    this.#open();
    return verifyDeviceSecret(this.#devices.get(deviceId)?.hash, secret);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    this.#open();
    return [...this.#devices].map(([id, device]) => ({ id, createdAt: device.createdAt, settings: { ...device.settings } }));
  }

  async deviceSettings(deviceId: string): Promise<ParentSettings> {
    this.#open();
    return { ...this.#devices.get(deviceId)?.settings };
  }

  async updateDeviceSettings(deviceId: string, change: Record<string, unknown>): Promise<ParentSettings> {
    this.#open();
    const problem = settingsProblem(change);
    if (problem !== undefined) throw new ProviderError('invalid_settings', problem);
    const device = this.#devices.get(deviceId);
    if (device === undefined) throw new ProviderError('unknown_device', `no device '${deviceId}'`);
    device.settings = mergeSettings(device.settings, change);
    return { ...device.settings };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new ProviderError('store_unavailable', 'the memory store is closed');
  }
}
