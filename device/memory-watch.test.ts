import t from 'tap';
import type { LogLevel } from '../log/log.js';
import { MemoryWatch, type MemoryWatchOptions, type Sheddable } from './memory-watch.js';

const MB = 1024 * 1024;

/** A watch over a 100 MB budget (high at 80, critical at 95, margin 5) whose RSS the test sets. */
function setup(extra: Partial<MemoryWatchOptions> = {}) {
  const rss = { value: 10 * MB };
  const logs: Array<{ level: LogLevel; message: string; fields?: Record<string, unknown> }> = [];
  const calls = { gc: 0, critical: 0 };
  const watch = new MemoryWatch({
    budgetBytes: 100 * MB,
    readRss: () => rss.value,
    log: (level, message, fields) => logs.push({ level, message, ...(fields ? { fields } : {}) }),
    collectGarbage: () => void calls.gc++,
    onCritical: () => void calls.critical++,
    ...extra,
  });
  const at = (mb: number) => {
    rss.value = mb * MB;
    return watch.check();
  };
  return { watch, logs, calls, at };
}

function cache() {
  const c = { sheds: 0, accepting: true, shed: () => void c.sheds++, setAccepting: (a: boolean) => void (c.accepting = a) };
  return c;
}

t.test('stays ok below the high threshold, with zero sheddables, and tracks the peak', async (t) => {
  const { watch, logs, at } = setup();
  t.equal(at(50), 'ok');
  t.equal(at(79.9), 'ok');
  t.equal(at(60), 'ok');
  t.same(logs, []);
  t.equal(watch.peakRssBytes, 79.9 * MB);
  t.equal(watch.lastRssBytes, 60 * MB);
});

t.test('crossing high sheds every cache, stops them accepting, collects garbage and warns once', async (t) => {
  const { watch, logs, calls, at } = setup();
  const a = cache();
  const b = cache();
  watch.register(a);
  watch.register(b);
  t.equal(at(81.23), 'high');
  t.equal(watch.level, 'high');
  t.same([a.sheds, a.accepting, b.sheds, b.accepting], [1, false, 1, false]);
  t.equal(calls.gc, 1);
  t.same(logs, [{ level: 'warn', message: 'memory high', fields: { rssMb: 81.2, budgetMb: 100, memory: 'high' } }]);
  t.equal(calls.critical, 0);

  t.equal(at(90), 'high', 'staying high');
  t.equal(at(85), 'high');
  t.equal(logs.length, 1, 'no log flood');
  t.same([a.sheds, b.sheds, calls.gc], [1, 1, 1], 'no second shed');
  t.equal(watch.peakRssBytes, 90 * MB, 'the peak still moves');
});

t.test('hysteresis: high is left only a margin below the threshold', async (t) => {
  const { watch, logs, at } = setup();
  const a = cache();
  watch.register(a);
  at(82);
  t.equal(at(79), 'high', 'just below the high ratio stays high');
  t.equal(at(75.1), 'high', 'still within the margin');
  t.equal(a.accepting, false);
  t.equal(at(74.9), 'ok');
  t.equal(a.accepting, true, 'accepting again');
  t.same(logs.at(-1), { level: 'info', message: 'memory back to normal', fields: { rssMb: 74.9, budgetMb: 100, memory: 'ok' } });
  t.equal(at(79), 'ok', 'and re-entering high needs the full threshold again');
});

t.test('critical calls onCritical once per entry and logs an error', async (t) => {
  const { watch, logs, calls, at } = setup();
  const a = cache();
  watch.register(a);
  t.equal(at(96), 'critical', 'straight from ok');
  t.equal(calls.critical, 1);
  t.same(logs, [{ level: 'error', message: 'memory critical', fields: { rssMb: 96, budgetMb: 100, memory: 'critical' } }]);
  t.same([a.sheds, a.accepting, calls.gc], [1, false, 1]);
  t.equal(at(99), 'critical');
  t.equal(at(90.5), 'critical', 'within the margin below critical');
  t.equal(calls.critical, 1, 'not again while staying');
  t.equal(at(89), 'high', 'leaves critical a margin below it');
  t.equal(a.accepting, false, 'still high: caches stay closed');
  t.equal(at(95), 'critical', 'a second entry');
  t.equal(calls.critical, 2);
  t.equal(logs.filter((l) => l.message === 'memory critical').length, 2);
  t.equal(at(40), 'ok', 'a sharp drop goes straight to ok');
  t.equal(a.accepting, true);
});

t.test('from high into critical sheds again and calls onCritical', async (t) => {
  const { watch, calls, at } = setup();
  const a = cache();
  watch.register(a);
  at(85);
  at(97);
  t.same([a.sheds, calls.gc, calls.critical], [2, 2, 1]);
});

t.test('a throwing sheddable is logged and does not stop the others', async (t) => {
  const { watch, logs, at } = setup({ onCritical: () => { throw new Error('restart refused'); } });
  const bad: Sheddable = {
    shed: () => { throw new Error('boom'); },
    setAccepting: () => { throw new Error('bang'); },
  };
  const a = cache();
  const b = cache();
  watch.register(a);
  watch.register(bad);
  watch.register(b);
  t.equal(at(96), 'critical');
  t.same([a.sheds, a.accepting, b.sheds, b.accepting], [1, false, 1, false]);
  const failures = logs.filter((l) => l.message === 'memory reaction failed');
  t.same(failures.map((l) => l.fields?.step), ['shed', 'setAccepting', 'onCritical']);
  t.match(failures[0]?.fields, { error: /boom/ });
  t.equal(at(10), 'ok');
  t.equal(b.accepting, true);
});

t.test('unregister stops the reactions; a cache registered while high starts closed', async (t) => {
  const { watch, at } = setup();
  const a = cache();
  const unregister = watch.register(a);
  unregister();
  at(85);
  t.same([a.sheds, a.accepting], [0, true]);
  const late = cache();
  watch.register(late);
  t.equal(late.accepting, false);
  at(10);
  t.equal(late.accepting, true);
});

t.test('start() uses the injected schedule and stop() cancels it', async (t) => {
  let tick: (() => void) | undefined;
  let everyMs = 0;
  let cancelled = 0;
  const { watch, logs } = setup({
    intervalMs: 1234,
    readRss: () => 85 * MB,
    schedule: (fn, ms) => {
      tick = fn;
      everyMs = ms;
      return () => void cancelled++;
    },
  });
  watch.start();
  watch.start();
  t.equal(everyMs, 1234);
  tick?.();
  t.equal(watch.level, 'high');
  t.equal(logs.length, 1);
  watch.stop();
  watch.stop();
  t.equal(cancelled, 1);
});

t.test('a failing sample on a tick is logged instead of thrown', async (t) => {
  let tick: (() => void) | undefined;
  const { watch, logs } = setup({
    readRss: () => { throw new Error('EMFILE'); },
    schedule: (fn) => ((tick = fn), () => {}),
  });
  watch.start();
  t.doesNotThrow(() => tick?.());
  t.match(logs, [{ level: 'error', message: 'memory check failed' }]);
});

t.test('the default timer is unref()ed and stop() clears it', async (t) => {
  const realSet = globalThis.setInterval;
  const realClear = globalThis.clearInterval;
  const timers: NodeJS.Timeout[] = [];
  const cleared: unknown[] = [];
  globalThis.setInterval = ((fn: () => void, ms: number) => {
    const timer = realSet(fn, ms);
    timers.push(timer);
    return timer;
  }) as typeof setInterval;
  globalThis.clearInterval = ((timer: NodeJS.Timeout) => {
    cleared.push(timer);
    realClear(timer);
  }) as typeof clearInterval;
  t.teardown(() => {
    globalThis.setInterval = realSet;
    globalThis.clearInterval = realClear;
  });
  const watch = new MemoryWatch({ budgetBytes: 1024 * MB, intervalMs: 60_000, log: () => {} });
  watch.start();
  t.equal(timers.length, 1);
  t.equal(timers[0]?.hasRef(), false, 'never keeps the process alive');
  watch.stop();
  t.same(cleared, timers);
});

t.test('without collectGarbage, globalThis.gc is used when node exposes it', async (t) => {
  const realGc = globalThis.gc;
  let collected = 0;
  globalThis.gc = (() => void collected++) as NodeJS.GCFunction;
  t.teardown(() => {
    globalThis.gc = realGc;
  });
  const { at } = setup({ collectGarbage: undefined });
  at(85);
  t.equal(collected, 1);
  globalThis.gc = undefined;
  at(10);
  t.doesNotThrow(() => at(85), 'and is simply skipped without --expose-gc');
});

t.test('the default readRss reads this process', async (t) => {
  const watch = new MemoryWatch({ budgetBytes: 10_000 * MB, log: () => {} });
  t.equal(watch.check(), 'ok');
  t.ok(watch.lastRssBytes > 10 * MB, `${(watch.lastRssBytes / MB).toFixed(1)} MB`);
  t.ok(watch.lastRssBytes < 10_000 * MB);
});

t.test('bad options throw a RangeError naming the option', async (t) => {
  const log = () => {};
  t.throws(() => new MemoryWatch({ budgetBytes: 0, log }), { name: 'RangeError', message: /budgetBytes/ });
  t.throws(() => new MemoryWatch({ budgetBytes: Number.NaN, log }), { name: 'RangeError', message: /budgetBytes/ });
  t.throws(() => new MemoryWatch({ budgetBytes: MB, highRatio: 0, log }), { name: 'RangeError', message: /highRatio/ });
  t.throws(() => new MemoryWatch({ budgetBytes: MB, highRatio: 0.9, criticalRatio: 0.9, log }), { name: 'RangeError', message: /criticalRatio/ });
  t.throws(() => new MemoryWatch({ budgetBytes: MB, criticalRatio: 1.1, log }), { name: 'RangeError', message: /criticalRatio/ });
  t.throws(() => new MemoryWatch({ budgetBytes: MB, marginRatio: 0.8, log }), { name: 'RangeError', message: /marginRatio/ });
  t.throws(() => new MemoryWatch({ budgetBytes: MB, intervalMs: 0, log }), { name: 'RangeError', message: /intervalMs/ });
  t.doesNotThrow(() => new MemoryWatch({ budgetBytes: MB, criticalRatio: 1, log }));
});
