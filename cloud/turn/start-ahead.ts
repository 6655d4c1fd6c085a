import { BoundedQueue } from './bounded-queue.js';

/**
 * Maps `source` through `start` while the consumer is still busy with earlier
 * results: up to `depth` items are started before they are asked for. `start`
 * begins work (a synthesis) and returns a handle to it; the work runs while
 * the consumer reads the handle before it. When the consumer stops early, no
 * further item is started; stopping work already started is the caller's
 * (the turn aborts every synthesis it began with one signal).
 */
export async function* startAhead<T, R>(source: AsyncIterable<T>, start: (item: T, index: number) => R, options: { readonly depth: number }): AsyncGenerator<R> {
  const started = new BoundedQueue<R>(options.depth);
  let stopped = false;
  const reading = (async () => {
    let index = 0;
    try {
      for await (const item of source) {
        await started.whenWritable();
        if (stopped) return;
        started.push(start(item, index++));
      }
      started.end();
    } catch (error) {
      started.fail(error);
    }
  })();
  try {
    yield* started;
    await reading;
  } finally {
    stopped = true;
    started.end();
  }
}
