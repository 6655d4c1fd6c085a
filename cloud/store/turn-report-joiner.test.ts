import t from 'tap';
import { sampleTurn } from './testing/store-contract.js';
import type { TurnRecord } from './store.js';
import { TurnReportJoiner } from './turn-report-joiner.js';

function recorder(running: (turn: number) => boolean = () => false, remember = 2) {
  const written: TurnRecord[] = [];
  return { r: new TurnReportJoiner({ write: (turn) => written.push(turn), remember, running }), written };
}

t.test('a turn is written the moment it finishes, and again with the report, under the same id', async (t) => {
  const { r, written } = recorder();
  r.finished(sampleTurn({ id: 'a', turn: 3, timings: { stt: 20 } }));
  t.same(written.map((w) => w.timings), [{ stt: 20 }], 'nothing waits for the device: a crash now loses nothing');
  r.reported(3, { voiceToVoiceMs: 400 });
  t.same(written.map((w) => [w.id, w.timings]), [['a', { stt: 20 }], ['a', { stt: 20, 'device.voiceToVoiceMs': 400 }]]);
  r.reported(3, { voiceToVoiceMs: 1 });
  t.equal(written.length, 2, 'a second report for the turn changes nothing');
});

t.test('a report that comes while the turn is still unwinding (a cut turn) joins it once it finishes', async (t) => {
  const { r, written } = recorder((turn) => turn === 4);
  r.reported(4, { playedMs: 120 });
  t.equal(written.length, 0);
  r.finished(sampleTurn({ turn: 4, timings: {} }));
  t.same(written.map((w) => w.timings), [{ 'device.playedMs': 120 }], 'written once, with the report');
});

t.test('a report for a turn the session does not know is ignored, and cannot attach to a later turn of that number', async (t) => {
  const { r, written } = recorder();
  r.reported(7, { voiceToVoiceMs: 999 });
  r.finished(sampleTurn({ turn: 7, timings: { stt: 1 } }));
  t.same(written.map((w) => w.timings), [{ stt: 1 }]);
});

t.test('bounded: only the most recent turns wait for a report', async (t) => {
  const { r, written } = recorder(() => false, 2);
  for (const turn of [1, 2, 3]) r.finished(sampleTurn({ id: `t${turn}`, turn }));
  r.reported(1, { voiceToVoiceMs: 5 });
  t.equal(written.length, 3, 'turn 1 was forgotten (it is already stored without the report)');
  r.reported(3, { voiceToVoiceMs: 5 });
  t.equal(written.at(-1)?.id, 't3');
});
