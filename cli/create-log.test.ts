import t from 'tap';
import { createLog } from './create-log.js';

t.test('one JSON line per entry at or above the level; a field cannot pass itself off as the level or message', async (t) => {
  const lines: string[] = [];
  const log = createLog('info', { service: 'device' }, (line) => lines.push(line));
  log('debug', 'not shown');
  log('error', 'memory critical', { level: 'critical', message: 'other', rssMb: 96 });
  t.equal(lines.length, 1);
  const entry = JSON.parse(lines[0] as string) as Record<string, unknown>;
  t.match(entry, { level: 'error', service: 'device', message: 'memory critical', rssMb: 96 });
  t.same(Object.keys(entry).slice(0, 2), ['time', 'level'], 'time and level lead the line');
});
