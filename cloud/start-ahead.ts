import { BoundedQueue } from './bounded-queue.js';

/**
 * Maps `source` through `start` while the consumer is still busy with earlier
 * results: up to `depth` items are started before they are asked for. `start`
 * begins work (a synthesis) and returns a handle to it; the work runs while
 * the consumer reads the handle before it. When the consumer stops early, no
 * further item is started; `cancel` hears of handles started but never taken.
 */
export async function* startAhead<T, R>(
  source: AsyncIterable<T>,
  start: (item: T, index: number) => R,
  options: { readonly depth: number; readonly cancel?: (handle: R) => void },
): AsyncGenerator<R> {
  const started = new BoundedQueue<R>(options.depth);
  let stopped = false;
  const untaken: R[] = [];
  const reading = (async () => {
    let index = 0;
    try {
      for await (const item of source) {
        await started.whenWritable();
        if (stopped) return;
        const handle = start(item, index++);
        untaken.push(handle);
        started.push(handle);
      }
      started.end();
    } catch (error) {
      started.fail(error);
    }
  })();
  try {
    for await (const handle of started) {
      untaken.splice(untaken.indexOf(handle), 1);
      yield handle;
    }
    await reading;
  } finally {
    stopped = true;
    started.end();
    for (const handle of untaken.splice(0)) options.cancel?.(handle);
  }
}
