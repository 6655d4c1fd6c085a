import { ConversationMemory, type ConversationMemoryOptions } from './conversation-memory.js';

/**
 * Opens one device's conversation memory at a time. A device that reconnects
 * gets a new session while the old one may still be saving; the new memory is
 * read only once the old one has closed, so no turn is overwritten.
 */
export class ConversationMemories {
  private readonly closing = new Map<string, Promise<void>>();

  constructor(private readonly options: Omit<ConversationMemoryOptions, 'deviceId'>) {}

  async open(deviceId: string): Promise<ConversationMemory> {
    await this.closing.get(deviceId);
    return ConversationMemory.load({ ...this.options, deviceId });
  }

  /**
   * Lets the memory go once `after` settles (the session's last turns, which still remember),
   * saving what is pending. Registered at once, so an `open` of the device made from now on
   * reads only after this close.
   */
  close(deviceId: string, memory: ConversationMemory, after: Promise<unknown> = Promise.resolve()): Promise<void> {
    const done = after
      .catch(() => undefined)
      .then(() => memory.close())
      .finally(() => {
        if (this.closing.get(deviceId) === done) this.closing.delete(deviceId);
      });
    this.closing.set(deviceId, done);
    return done;
  }

  /** Resolves once every memory given to `close` has saved and closed (before the store closes). */
  async settled(): Promise<void> {
    await Promise.all(this.closing.values());
  }
}
