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

  /** Saves what is pending and lets the memory go; the next `open` of the device waits for it. */
  close(deviceId: string, memory: ConversationMemory): Promise<void> {
    const done = memory.close().finally(() => {
      if (this.closing.get(deviceId) === done) this.closing.delete(deviceId);
    });
    this.closing.set(deviceId, done);
    return done;
  }
}
