import t, { type Test } from 'tap';
import { EnergyVad } from './energy-vad.js';
import { makeNoise, seededUniform } from './testing/scene/make-noise.js';
import { mixScene } from './testing/scene/mix-scene.js';
import { speakPhrase } from './testing/scene/speak-phrase.js';
import { TurnEndpointer, type EndpointEvent, type TurnEndpointerOptions } from './turn-endpointer.js';
import type { Vad } from './vad.js';

const MS = 16; // samples per millisecond at 16 kHz
const SECOND = 16_000;
const FRAME = 960;

/**
 * A detector that hears what it is told: `script(ms)` is the probability of the window starting
 * at that millisecond. Endpointing rules are then tested sample-exactly, apart from any acoustics.
 */
class ScriptedVad implements Vad {
  readonly name = 'scripted';
  readonly windowSamples = 480;
  private pending = 0;
  private position = 0;
  constructor(private readonly script: (ms: number) => number) {}
  async process(pcm: Int16Array): Promise<Float32Array> {
    this.pending += pcm.length;
    const out: number[] = [];
    while (this.pending >= this.windowSamples) {
      out.push(this.script(this.position / MS));
      this.position += this.windowSamples;
      this.pending -= this.windowSamples;
    }
    return Float32Array.from(out);
  }
  reset(): void {
    this.pending = 0;
    this.position = 0;
  }
  async close(): Promise<void> {}
}

/** Speech (probability 1) between the given [fromMs, toMs) spans, silence (0) elsewhere. */
const speechAt =
  (...spans: [number, number][]) =>
  (ms: number): number =>
    spans.some(([from, to]) => ms >= from && ms < to) ? 1 : 0;

/** A stream whose every sample says where it is (position mod 30000), so audio can be checked for gaps and order. */
function ramp(from: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => (from + i) % 30_000);
}

async function run(endpointer: TurnEndpointer, pcm: Int16Array, frame = FRAME): Promise<EndpointEvent[]> {
  const events: EndpointEvent[] = [];
  for (let i = 0; i < pcm.length; i += frame) events.push(...(await endpointer.push(pcm.subarray(i, i + frame))));
  return events;
}

interface Turn {
  start: Extract<EndpointEvent, { type: 'speech-start' }>;
  end?: Extract<EndpointEvent, { type: 'turn-end' }>;
  audio: Int16Array;
}

/** Events grouped into turns, each with its whole audio joined. */
function turns(events: EndpointEvent[]): Turn[] {
  const out: Turn[] = [];
  const parts: Int16Array[][] = [];
  for (const event of events) {
    if (event.type === 'speech-start') {
      out.push({ start: event, audio: new Int16Array(0) });
      parts.push([event.audio]);
    } else {
      const turn = out[out.length - 1];
      if (turn === undefined) throw new Error(`${event.type} before any speech-start`);
      parts[parts.length - 1]?.push(event.audio);
      if (event.type === 'turn-end') turn.end = event;
    }
  }
  out.forEach((turn, i) => {
    const chunks = parts[i] ?? [];
    turn.audio = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      turn.audio.set(c, at);
      at += c.length;
    }
  });
  return out;
}

const scripted = (script: (ms: number) => number, options: TurnEndpointerOptions = {}) => new TurnEndpointer(new ScriptedVad(script), options);

t.test('the endpointing rules, sample-exact', async (t) => {
  t.test('a turn: start after the minimum speech, pre-roll before it, end after the pause', async (t) => {
    const endpointer = scripted(speechAt([1020, 2010]));
    const events = await run(endpointer, ramp(0, 4 * SECOND));
    const [turn, extra] = turns(events);
    t.equal(extra, undefined, 'one turn');
    if (turn?.end === undefined) throw new Error('a whole turn expected');
    t.equal(turn.start.mode, 'listen');
    t.equal(turn.start.speechStartSample, 1020 * MS, 'speech starts with its first window');
    t.equal(turn.start.startSample, (1020 - 300) * MS, '300 ms of pre-roll');
    t.equal(turn.end.reason, 'pause');
    t.equal(turn.end.speechEndSample, 2010 * MS, 'speech ends with its last window');
    t.equal(turn.end.endSample, (2010 + 720) * MS, 'the turn ends at the first window that completes 700 ms of silence');
    t.same(turn.audio, ramp(turn.start.startSample, turn.audio.length), 'the audio is the stream from the pre-roll on, whole and in order');
    t.ok(turn.start.startSample + turn.audio.length >= turn.end.endSample, 'and runs at least to the end of the turn');
    t.equal(endpointer.state, 'quiet');
  });

  t.test('the start is announced once enough speech has been heard', async (t) => {
    const endpointer = scripted(speechAt([990, 3000]));
    const beforeEnough = await run(endpointer, ramp(0, (990 + 180) * MS));
    t.same(beforeEnough, [], '180 ms of speech is not yet a start');
    t.equal(endpointer.state, 'starting');
    const after = await endpointer.push(ramp(endpointer.position, 3 * FRAME));
    t.equal(after[0]?.type, 'speech-start');
  });

  t.test('a cough or a bump (less than the minimum speech) is no turn', async (t) => {
    const events = await run(scripted(speechAt([990, 1140], [3000, 3090])), ramp(0, 5 * SECOND));
    t.same(events, []);
  });

  t.test('bits of sound with gaps of 150 ms or more never add up to a start', async (t) => {
    const bits: [number, number][] = [];
    for (let ms = 990; ms < 4000; ms += 240) bits.push([ms, ms + 90]);
    t.same(await run(scripted(speechAt(...bits)), ramp(0, 5 * SECOND)), []);
  });

  t.test('pauses shorter than the end silence stay inside the turn', async (t) => {
    const events = await run(scripted(speechAt([990, 1500], [2100, 2500], [3150, 3600])), ramp(0, 6 * SECOND));
    const all = turns(events);
    t.equal(all.length, 1);
    t.equal(all[0]?.end?.speechEndSample, 3600 * MS);
  });

  t.test('in a pause, a knock does not start the pause again; sound that lasts does', async (t) => {
    const knocks = await run(scripted(speechAt([990, 2010], [2400, 2460], [2580, 2610])), ramp(0, 5 * SECOND));
    t.same(
      turns(knocks).map((turn) => [turn.end?.speechEndSample, turn.end?.endSample]),
      [[2010 * MS, 2730 * MS]],
      'the turn ends 700 ms after the speech, knocks or not',
    );
    const word = await run(scripted(speechAt([990, 2010], [2400, 2520])), ramp(0, 5 * SECOND));
    t.same(
      turns(word).map((turn) => turn.end?.speechEndSample),
      [2520 * MS],
      '120 ms of sound is speech again: the pause starts over after it',
    );
  });

  t.test('the maximum length ends a turn, and a new one needs a pause first', async (t) => {
    const endpointer = scripted(speechAt([990, 6990], [7800, 8400]), { maxUtteranceMs: 2000 });
    const all = turns(await run(endpointer, ramp(0, 10 * SECOND)));
    t.equal(all.length, 2);
    const [first, second] = all as [Turn, Turn];
    t.equal(first.end?.reason, 'max-length');
    const length = (first.end?.endSample ?? 0) - first.start.startSample;
    t.ok(length >= 2000 * MS && length < 2030 * MS, 'at the first window past the maximum, counted from the pre-roll');
    t.equal(second.start.speechStartSample, 7800 * MS, 'speech going on after the cut started nothing; the speech after the pause does');
  });

  t.test('any cutting of the stream gives the same turns', async (t) => {
    const script = speechAt([990, 1500], [2100, 2500], [5010, 5600]);
    const byFrame = await run(scripted(script), ramp(0, 7 * SECOND));
    const endpointer = scripted(script);
    const random = seededUniform(9);
    const cut: EndpointEvent[] = [];
    const pcm = ramp(0, 7 * SECOND);
    for (let at = 0; at < pcm.length; ) {
      const n = Math.floor(random() * 3000);
      cut.push(...(await endpointer.push(pcm.subarray(at, at + n))));
      at += n;
    }
    const summary = (events: EndpointEvent[]) => turns(events).map((turn) => ({ ...turn.start, audio: turn.audio.length, end: turn.end?.endSample }));
    const a = summary(byFrame);
    const b = summary(cut);
    t.equal(a.length, 2);
    t.same(
      b.map((x) => [x.startSample, x.speechStartSample, x.end]),
      a.map((x) => [x.startSample, x.speechStartSample, x.end]),
    );
    t.same(turns(cut).map((turn) => turn.audio), turns(cut).map((turn) => ramp(turn.start.startSample, turn.audio.length)), 'audio whole and in order');
  });

  t.test('one huge push works like many frames, and memory stays bounded', async (t) => {
    const script = speechAt([990, 1500], [30_000, 31_020]);
    const endpointer = scripted(script, { maxUtteranceMs: 5000 });
    const events = await endpointer.push(ramp(0, 60 * SECOND));
    const all = turns(events);
    t.same(
      all.map((turn) => [turn.start.speechStartSample, turn.end?.endSample]),
      [
        [990 * MS, (1500 + 720) * MS],
        [30_000 * MS, (31_020 + 720) * MS],
      ],
    );
    t.ok(all[1]?.audio.length !== undefined && all[1].audio.length < 3 * SECOND, 'a turn carries its own audio, not the stream');
  });

  t.test('barge-in mode: a start needs more certainty and more speech', async (t) => {
    const unsure = (ms: number) => (ms >= 990 && ms < 2500 ? 0.7 : 0);
    t.equal(turns(await run(scripted(unsure), ramp(0, 4 * SECOND))).length, 1, 'listening, 0.7 is speech');
    t.same(await run(scripted(unsure, { mode: 'barge-in' }), ramp(0, 4 * SECOND)), [], 'over the toy, 0.7 is not');
    const short = speechAt([990, 1290]);
    t.equal(turns(await run(scripted(short), ramp(0, 4 * SECOND))).length, 1, 'listening, 300 ms is a start');
    t.same(await run(scripted(short, { mode: 'barge-in' }), ramp(0, 4 * SECOND)), [], 'over the toy, 300 ms is not');
    const endpointer = scripted(speechAt([990, 2010]), { mode: 'barge-in' });
    const [turn] = turns(await run(endpointer, ramp(0, 4 * SECOND)));
    t.equal(turn?.start.mode, 'barge-in', 'a second of sure speech interrupts the toy');
    t.equal(turn?.start.speechStartSample, 990 * MS);
  });

  t.test('setMode applies from the next window; a turn under way goes on', async (t) => {
    const endpointer = scripted(speechAt([990, 2010], [4020, 5010]), { mode: 'barge-in' });
    const events = await run(endpointer, ramp(0, 1500 * MS));
    t.equal(endpointer.state, 'speaking');
    endpointer.setMode('listen');
    t.equal(endpointer.mode, 'listen');
    events.push(...(await run(endpointer, ramp(1500 * MS, 6 * SECOND))));
    const [first, second] = turns(events);
    t.equal(first?.start.mode, 'barge-in');
    t.equal(first?.end?.speechEndSample, 2010 * MS, 'the turn that began in barge-in mode ends as usual');
    t.equal(second?.start.mode, 'listen');
  });

  t.test('a level gate for barge-in: sure speech that is too quiet does not interrupt', async (t) => {
    const script = speechAt([990, 2490]);
    const quiet = new Int16Array(3 * SECOND).fill(300); // about -41 dBFS
    const loud = new Int16Array(3 * SECOND).fill(3000); // about -21 dBFS
    const options: TurnEndpointerOptions = { mode: 'barge-in', bargeIn: { minLevelDbfs: -30 } };
    t.same(await run(scripted(script, options), quiet), []);
    t.equal(turns(await run(scripted(script, options), loud))[0]?.start.mode, 'barge-in');
  });

  t.test('finish() ends a turn under way', async (t) => {
    const endpointer = scripted(speechAt([990, 10_000]));
    await run(endpointer, ramp(0, 2 * SECOND));
    t.equal(endpointer.state, 'speaking');
    const [end] = await endpointer.finish();
    t.match(end, { type: 'turn-end', reason: 'stream-end', endSample: 2 * SECOND });
    t.same(await endpointer.finish(), [], 'nothing left to end');
  });

  t.test('reset() forgets the stream; pushes made before it resolve with nothing', async (t) => {
    const endpointer = scripted(speechAt([990, 2010]));
    const before = endpointer.push(ramp(0, 2 * SECOND));
    endpointer.reset();
    t.same(await before, []);
    t.equal(endpointer.position, 0);
    const [turn] = turns(await run(endpointer, ramp(0, 4 * SECOND)));
    t.equal(turn?.start.speechStartSample, 990 * MS, 'positions count from the reset');
  });

  t.test('a detector that fails rejects that push only', async (t) => {
    let fail = true;
    const vad = new ScriptedVad(() => 0);
    const failing: Vad = {
      name: 'failing',
      windowSamples: 480,
      process: (pcm) => (fail ? Promise.reject(Object.assign(new Error('boom'), { code: 'vad_failed' })) : vad.process(pcm)),
      reset: () => vad.reset(),
      close: () => vad.close(),
    };
    const endpointer = new TurnEndpointer(failing);
    await t.rejects(endpointer.push(new Int16Array(FRAME)), { code: 'vad_failed' });
    fail = false;
    t.same(await endpointer.push(new Int16Array(FRAME)), []);
  });

  t.test('bad settings are refused, naming the key', async (t) => {
    const vad = new ScriptedVad(() => 0);
    t.throws(() => new TurnEndpointer(vad, { endSilenceMs: -1 }), /endSilenceMs/);
    t.throws(() => new TurnEndpointer(vad, { listen: { threshold: 2 } }), /listen\.threshold/);
    t.throws(() => new TurnEndpointer(vad, { bargeIn: { minSpeechMs: Number.NaN } }), /bargeIn\.minSpeechMs/);
    t.throws(() => new TurnEndpointer(vad, { silenceThreshold: 0.9 }), /silenceThreshold/);
    t.throws(() => new TurnEndpointer(vad, { bargeIn: { minLevelDbfs: 5 } }), /bargeIn\.minLevelDbfs/);
  });
});

t.test('turns found in real speech (espeak-ng), with the energy detector', async (t) => {
  const hello = await speakPhrase('hello there');
  const story = await speakPhrase('can you tell me a story, about a little dragon');
  const cow = await speakPhrase('what does a cow say', { voice: 'en-gb+f2', pitch: 80, speed: 160 });
  // Tolerances, in samples: a start is heard within a window or two of the speech, an end within
  // the quiet tail of the last word (espeak fades out), never before the speech really ended.
  const startEarly = 60 * MS;
  const startLate = 150 * MS;
  const endEarly = 150 * MS;
  const endLate = 200 * MS;

  const check = (t: Test, turn: Turn | undefined, truth: { start: number; end: number }, endSilenceMs = 700): void => {
    if (turn?.end === undefined) {
      t.fail('a whole turn expected');
      return;
    }
    const { start, end } = turn;
    t.ok(start.speechStartSample >= truth.start - startEarly && start.speechStartSample <= truth.start + startLate, `speech start ${((start.speechStartSample - truth.start) / MS).toFixed(0)} ms from the truth`);
    t.ok(start.startSample <= truth.start, 'the pre-roll reaches back before the first word');
    t.ok(end.speechEndSample >= truth.end - endEarly && end.speechEndSample <= truth.end + endLate, `speech end ${((end.speechEndSample - truth.end) / MS).toFixed(0)} ms from the truth`);
    t.ok(end.endSample - end.speechEndSample >= endSilenceMs * MS && end.endSample - end.speechEndSample < (endSilenceMs + 60) * MS, 'the turn ends one pause after the speech');
    t.ok(start.startSample + turn.audio.length >= truth.end, 'the audio for speech recognition holds the whole utterance');
  };

  for (const [label, noise] of [
    ['quiet room', { kind: 'white', snrDb: 40 }],
    ['fan (pink noise, 10 dB)', { kind: 'pink', snrDb: 10 }],
    ['hum (50 Hz, 5 dB)', { kind: 'hum', snrDb: 5 }],
  ] as const) {
    t.test(`${label}: two turns where the phrases are, the comma inside one`, async (t) => {
      const first = 1500 * MS;
      const second = first + hello.length + 2 * SECOND;
      const samples = second + story.length + 2 * SECOND;
      const scene = mixScene({
        samples,
        speech: [
          { pcm: hello, at: first },
          { pcm: story, at: second },
        ],
        noise: { signal: makeNoise(noise.kind, samples, 21), snrDb: noise.snrDb },
      });
      const all = turns(await run(new TurnEndpointer(new EnergyVad()), scene.pcm));
      t.equal(all.length, 2, 'two turns, not three: the comma pause is no end');
      check(t, all[0], scene.utterances[0] as { start: number; end: number });
      check(t, all[1], scene.utterances[1] as { start: number; end: number });
    });
  }

  t.test('a bump on the table (80 ms, loud) starts no turn', async (t) => {
    const samples = 4 * SECOND;
    const noise = makeNoise('white', samples, 3);
    const pcm = Int16Array.from(noise, (v) => Math.round(v * 30));
    const bump = makeNoise('brown', 80 * MS, 4);
    for (let i = 0; i < bump.length; i++) pcm[2 * SECOND + i] = Math.round((bump[i] as number) * 8000 * Math.exp(-i / (20 * MS)));
    t.same(await run(new TurnEndpointer(new EnergyVad()), pcm), []);
  });

  t.test('a shorter end silence ends the turn sooner, at the same speech end', async (t) => {
    const samples = SECOND + cow.length + 2 * SECOND;
    const scene = mixScene({ samples, speech: [{ pcm: cow, at: SECOND }], noise: { signal: makeNoise('white', samples, 8), snrDb: 30 } });
    const [turn] = turns(await run(new TurnEndpointer(new EnergyVad(), { endSilenceMs: 600 }), scene.pcm));
    check(t, turn, scene.utterances[0] as { start: number; end: number }, 600);
  });

  t.test('barge-in: the toy speaking quietly into the mic does not interrupt, the child does', async (t) => {
    // The toy's voice leaks in 20 dB below the child, who then speaks over it; the level gate
    // sits between the two, as it would once measured on the hardware.
    const toy = await speakPhrase('once upon a time there was a little fox who lived by the river', { voice: 'en-us+m3', pitch: 40, speed: 170 });
    const childAt = 2 * SECOND;
    const samples = Math.max(toy.length, childAt + cow.length) + 2 * SECOND;
    const room = makeNoise('white', samples, 5);
    const child = mixScene({ samples, speech: [{ pcm: cow, at: childAt }], noise: { signal: room, snrDb: 40 } });
    const quietRoom = mixScene({ samples, speech: [], noise: { signal: room, snrDb: 40 } });
    const leak = mixScene({ samples, speech: [{ pcm: toy, at: 0 }], speechLevelDb: -46 });
    const add = (a: Int16Array, b: Int16Array) => Int16Array.from(a, (v, i) => Math.max(-32768, Math.min(32767, v + (b[i] as number))));
    const leakOnly = add(quietRoom.pcm, leak.pcm);
    const both = add(child.pcm, leak.pcm);
    const options: TurnEndpointerOptions = { mode: 'barge-in', bargeIn: { minLevelDbfs: -38 } };
    t.same(await run(new TurnEndpointer(new EnergyVad(), options), leakOnly), [], 'the toy alone does not interrupt itself');
    const [turn] = turns(await run(new TurnEndpointer(new EnergyVad(), options), both));
    t.equal(turn?.start.mode, 'barge-in', 'the child does');
    const truth = child.utterances[0] as { start: number; end: number };
    t.ok(turn !== undefined && turn.start.speechStartSample >= truth.start - startEarly && turn.start.speechStartSample <= truth.start + 300 * MS, 'within 300 ms of the child starting');
  });
});
