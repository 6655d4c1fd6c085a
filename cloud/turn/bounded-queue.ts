/**
 * A bounded first-in first-out queue read as an async iterable. `push` returns
 * false when full (the caller decides to drop or wait with `whenWritable`);
 * `end` lets the reader finish what is queued; `fail` ends it with an error.
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private ended = false;
  private failure: unknown;
  private wakeReader: (() => void) | undefined;
  private wakeWriters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  get length(): number {
    return this.items.length;
  }

  push(item: T): boolean {
    if (this.ended || this.items.length >= this.capacity) return false;
    this.items.push(item);
    this.wake();
    return true;
  }

  /** Resolves when there is room for one more item, or the queue has ended. */
  async whenWritable(): Promise<void> {
    while (!this.ended && this.items.length >= this.capacity) {
      await new Promise<void>((resolve) => this.wakeWriters.push(resolve));
    }
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(error: unknown): void {
    this.failure ??= error;
    this.items = [];
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const item = this.items.shift();
      if (item !== undefined) {
        this.wakeOneWriter();
        yield item;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }

  private wake(): void {
    const reader = this.wakeReader;
    this.wakeReader = undefined;
    reader?.();
    if (this.ended) for (const writer of this.wakeWriters.splice(0)) writer();
  }

  private wakeOneWriter(): void {
    this.wakeWriters.shift()?.();
  }
}
