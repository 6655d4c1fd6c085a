import t from 'tap';
import { sampleTurn } from './store/store-contract.js';
import type { TurnRecord } from './store/store.js';
import { TurnRecorder } from './turn-recorder.js';

function recorder(waitMs = 60_000, maxWaiting = 2) {
  const written: TurnRecord[] = [];
  const r = new TurnRecorder({ record: (turn) => written.push(turn), waitMs, maxWaiting });
  t.teardown(() => r.flushAll());
  return { r, written };
}

t.test('a report that comes after the turn joins it, under device.* names', async (t) => {
  const { r, written } = recorder();
  r.finished(sampleTurn({ turn: 3, timings: { stt: 20 } }));
  t.equal(written.length, 0, 'held for the report');
  r.reported(3, { voiceToVoiceMs: 400 });
  t.equal(written.length, 1);
  t.same(written[0]!.timings, { stt: 20, 'device.voiceToVoiceMs': 400 });
});

t.test('a report that comes before the turn has finished (a cut turn) is kept for it', async (t) => {
  const { r, written } = recorder();
  r.reported(4, { playedMs: 120 });
  r.finished(sampleTurn({ turn: 4, timings: {} }));
  t.equal(written.length, 1, 'written at once');
  t.same(written[0]!.timings, { 'device.playedMs': 120 });
});

t.test('without a report the turn is written when the wait runs out', async (t) => {
  const { r, written } = recorder(10);
  r.finished(sampleTurn({ turn: 5 }));
  await new Promise<void>((resolve) => {
    const check = () => (written.length === 1 ? resolve() : setTimeout(check, 5));
    check();
  });
  t.equal(written[0]!.turn, 5);
  r.reported(5, { voiceToVoiceMs: 1 });
  t.equal(written.length, 1, 'a late report does not write the turn twice');
});

t.test('bounded: past maxWaiting the oldest is written without its report', async (t) => {
  const { r, written } = recorder(60_000, 2);
  for (const turn of [1, 2, 3]) r.finished(sampleTurn({ id: `t${turn}`, turn }));
  t.same(written.map((w) => w.turn), [1]);
  r.flushAll();
  t.same(written.map((w) => w.turn), [1, 2, 3], 'flushAll writes the rest, each once');
});
