import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { encodeWav } from '../../audio/wav-file.js';
import { microphoneContract } from '../testing/microphone-contract.js';
import { within } from '../testing/within.js';
import { FakeClock } from './testing/fake-clock.js';
import { WavMicrophone } from './wav-microphone.js';

const SPEED = 20;

function ramp(length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => (i % 1000) + 1);
}

microphoneContract(t, 'WavMicrophone with nothing loaded', () => new WavMicrophone({ speed: SPEED }));
microphoneContract(t, 'WavMicrophone with an utterance loaded', () => {
  const microphone = new WavMicrophone({ speed: SPEED });
  microphone.load(ramp(8000));
  return microphone;
});

t.test('speaks the utterance in 20 ms chunks, then silence', async (t) => {
  const microphone = new WavMicrophone({ speed: SPEED });
  t.teardown(() => microphone.close());
  const utterance = ramp(16000 * 0.5 + 100);
  microphone.load(utterance);
  t.equal(microphone.queued, 1);
  const controller = new AbortController();
  const chunks: Int16Array[] = [];
  let ended = -1;
  microphone.onUtteranceEnd(() => {
    ended = chunks.length;
  });
  await within(
    (async () => {
      for await (const chunk of microphone.capture(controller.signal)) {
        chunks.push(chunk);
        if (chunks.length === 40) controller.abort();
      }
    })(),
    5000,
    'two seconds at twenty times speed',
  );
  t.equal(microphone.queued, 0);
  const speech = chunks.slice(0, 26);
  t.ok(speech.slice(0, 25).every((c) => c.length === 320), 'full chunks of 320 samples');
  t.equal(speech[25]?.length, 100, 'the last piece of the utterance is not padded');
  t.same(Array.from(speech.flatMap((c) => [...c])), Array.from(utterance), 'the utterance, unchanged');
  t.ok(chunks.slice(26).every((c) => c.length === 320 && c.every((s) => s === 0)), 'then silence');
  t.equal(ended, 25, 'the end is announced just before the last chunk is delivered');
});

t.test('a release from the end listener still delivers the last chunk', async (t) => {
  const microphone = new WavMicrophone({ speed: SPEED });
  t.teardown(() => microphone.close());
  microphone.load(ramp(1000));
  const controller = new AbortController();
  microphone.onUtteranceEnd(() => controller.abort());
  let samples = 0;
  for await (const chunk of microphone.capture(controller.signal)) samples += chunk.length;
  t.equal(samples, 1000);
});

t.test('each capture takes the next utterance', async (t) => {
  const microphone = new WavMicrophone({ speed: SPEED });
  t.teardown(() => microphone.close());
  microphone.load(new Int16Array(400).fill(1));
  microphone.load(new Int16Array(400).fill(2));
  let ends = 0;
  const stopListening = microphone.onUtteranceEnd(() => ends++);
  for (const expected of [1, 2]) {
    const controller = new AbortController();
    const heard: number[] = [];
    for await (const chunk of microphone.capture(controller.signal)) {
      heard.push(...chunk);
      if (heard.length >= 400) controller.abort();
    }
    t.same(new Set(heard.slice(0, 400)), new Set([expected]));
  }
  t.equal(ends, 2);
  stopListening();
  microphone.load(new Int16Array(10));
  const controller = new AbortController();
  for await (const _ of microphone.capture(controller.signal)) controller.abort();
  t.equal(ends, 2, 'an unsubscribed listener hears nothing');
});

t.test('pacing follows the start time, so late wake-ups never add up', async (t) => {
  // Every sleep wakes 7 ms late. Chained sleeps would fall 7 ms further behind per chunk.
  const clock = new FakeClock({ oversleepMs: 7 });
  const microphone = new WavMicrophone({ clock });
  t.teardown(() => microphone.close());
  microphone.load(ramp(16000));
  const controller = new AbortController();
  const late: number[] = [];
  const start = clock.now();
  for await (const _ of microphone.capture(controller.signal)) {
    const due = start + (late.length + 1) * 20;
    late.push(clock.now() - due);
    if (late.length === 100) controller.abort();
  }
  t.ok(late.every((ms) => ms >= 0), 'no chunk arrives before it could have been recorded');
  t.ok(late.every((ms) => ms <= 7), `never more than one late wake-up behind (worst ${Math.max(...late)} ms)`);
});

t.test('a capture that runs on (hands-free) speaks each utterance when it is loaded, paced, with silence between', async (t) => {
  const clock = new FakeClock();
  const microphone = new WavMicrophone({ clock });
  t.teardown(() => microphone.close());
  let ends = 0;
  microphone.onUtteranceEnd(() => ends++);
  const controller = new AbortController();
  const heard: { at: number; chunk: Int16Array }[] = [];
  const capturing = (async () => {
    for await (const chunk of microphone.capture(controller.signal)) heard.push({ at: clock.now(), chunk });
  })();
  const chunks = async (n: number) => {
    for (let i = 0; i < n; i++) await clock.advance(20);
  };
  await chunks(5);
  // Loaded while the chunk at 120 ms is being recorded: spoken from the chunk after it.
  microphone.load(new Int16Array(960).fill(7));
  await chunks(5);
  microphone.load(new Int16Array(640).fill(9));
  await chunks(5);
  controller.abort();
  await within(capturing, 5000, 'the end of the capture');
  t.same(heard.map((h) => (h.chunk.every((s) => s === 0) ? 0 : h.chunk[0])), [0, 0, 0, 0, 0, 0, 7, 7, 7, 0, 0, 9, 9, 0, 0]);
  t.ok(heard.every((h) => h.chunk.length === 320), 'full chunks throughout');
  t.same(heard.map((h) => h.at), heard.map((_, i) => (i + 1) * 20), 'paced as a real microphone: one 20 ms chunk per 20 ms, never ahead');
  t.equal(ends, 2, 'each utterance announces its end');
  t.equal(microphone.queued, 0);
});

t.test('loadWav decodes and resamples to 16 kHz', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'hello.wav');
  await writeFile(path, encodeWav(new Int16Array(48000).fill(1234), 48000));
  const microphone = new WavMicrophone({ speed: SPEED });
  t.teardown(() => microphone.close());
  await microphone.loadWav(path);
  const controller = new AbortController();
  microphone.onUtteranceEnd(() => controller.abort());
  const heard: number[] = [];
  for await (const chunk of microphone.capture(controller.signal)) heard.push(...chunk);
  t.equal(heard.length, 16000, 'one second at 16 kHz');
  t.ok(heard.every((s) => s === 1234));
  await t.rejects(microphone.loadWav(join(dir, 'missing.wav')), { code: 'ENOENT' });
  await writeFile(join(dir, 'bad.wav'), 'not a wav');
  await t.rejects(microphone.loadWav(join(dir, 'bad.wav')), { code: 'bad_wav' });
});

t.test('the utterance queue is bounded', async (t) => {
  const microphone = new WavMicrophone({ maxUtterances: 2 });
  t.teardown(() => microphone.close());
  microphone.load(new Int16Array(10));
  microphone.load(new Int16Array(10));
  t.throws(() => microphone.load(new Int16Array(10)), { code: 'mic_queue_full', retryable: true });
});

t.test('load copies, so the caller may reuse its array', async (t) => {
  const microphone = new WavMicrophone({ speed: SPEED });
  t.teardown(() => microphone.close());
  const pcm = new Int16Array(320).fill(5);
  microphone.load(pcm);
  pcm.fill(0);
  const controller = new AbortController();
  for await (const chunk of microphone.capture(controller.signal)) {
    t.ok(chunk.every((s) => s === 5));
    controller.abort();
  }
});

t.test('a closed microphone refuses new work', async (t) => {
  const microphone = new WavMicrophone();
  await microphone.close();
  t.throws(() => microphone.load(new Int16Array(1)), { code: 'mic_closed' });
  await t.rejects(microphone.capture(new AbortController().signal)[Symbol.asyncIterator]().next(), { code: 'mic_closed' });
});
