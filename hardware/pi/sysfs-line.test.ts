import t from 'tap';
import { join } from 'node:path';
import { openSysfsInput, openSysfsOutput, sysfsNumber } from './sysfs-line.js';

function chipDir(base: number, ngpio: number, device: string) {
  return { base: `${base}\n`, ngpio: `${ngpio}\n`, device: { [device]: {} } };
}

t.test('a 6.6+ kernel: the line number is offset by its chip base', async (t) => {
  const dir = t.testdir({ gpiochip512: chipDir(512, 58, 'gpiochip0'), gpiochip570: chipDir(570, 8, 'gpiochip1'), export: '' });
  t.equal(sysfsNumber({ chip: 0, line: 17 }, dir), 529);
  t.equal(sysfsNumber({ chip: 1, line: 3 }, dir), 573);
  t.throws(() => sysfsNumber({ chip: 1, line: 8 }, dir), { code: 'driver_unavailable', message: /8 lines/ });
  t.throws(() => sysfsNumber({ chip: 4, line: 1 }, dir), { code: 'driver_unavailable', message: /gpiochip4/ });
});

t.test('an older kernel with one chip at base 0', async (t) => {
  const dir = t.testdir({ gpiochip0: { base: '0\n', ngpio: '54\n' } });
  t.equal(sysfsNumber({ chip: 0, line: 17 }, dir), 17);
});

t.test('no sysfs GPIO at all', async (t) => {
  t.throws(() => sysfsNumber({ chip: 0, line: 17 }, join(t.testdir({}), 'none')), { code: 'driver_unavailable', message: /does not exist/ });
});

t.test('onoff says GPIO is not accessible: driver_unavailable', async (t) => {
  // The real package, loaded when installed: off a Pi it reports itself inaccessible.
  t.throws(() => openSysfsInput({ chip: 0, line: 17 }), { code: 'driver_unavailable' });
});

t.test('inputs and outputs through a stand-in for onoff', async (t) => {
  const dir = t.testdir({ gpiochip512: chipDir(512, 58, 'gpiochip0') });
  const made: Array<{ n: number; dir: string; edge?: string; writes: number[]; unexported: boolean; cb?: (e: Error | null, v: number) => void }> = [];
  class Gpio {
    static accessible = true;
    readonly rec: (typeof made)[number];
    constructor(n: number, direction: string, edge?: string) {
      this.rec = { n, dir: direction, edge, writes: [], unexported: false };
      made.push(this.rec);
    }
    readSync() {
      return 1;
    }
    writeSync(v: number) {
      this.rec.writes.push(v);
    }
    watch(cb: (e: Error | null, v: number) => void) {
      this.rec.cb = cb;
    }
    unwatchAll() {
      this.rec.cb = undefined;
    }
    unexport() {
      this.rec.unexported = true;
    }
  }
  const input = openSysfsInput({ chip: 0, line: 17, sysfsDir: dir, load: () => ({ Gpio }) });
  const seen: number[] = [];
  input.watch((v) => seen.push(v));
  made[0]?.cb?.(null, 0);
  made[0]?.cb?.(new Error('read failed'), 1);
  t.same(seen, [0], 'edges arrive, errors do not pass as edges');
  t.equal(input.read(), 1);
  input.close();
  t.match(made[0], { n: 529, dir: 'in', edge: 'both', unexported: true });
  const output = openSysfsOutput({ chip: 0, line: 22, sysfsDir: dir, load: () => ({ Gpio }) });
  output.write(1);
  output.write(5);
  output.close();
  t.match(made[1], { n: 534, dir: 'out', writes: [1, 1, 0], unexported: true });
});
