import t from 'tap';
import { whiteNoise } from './testing/fixtures/spoken-audio.js';
import { SpeechGate } from './speech-gate.js';

/** 10 ms frames alternating loud and quiet, like syllables and the gaps between them. */
function syllables(frames: number): Int16Array {
  const pcm = new Int16Array(frames * 160);
  for (let f = 0; f < frames; f++) {
    const amplitude = f % 4 < 2 ? 8000 : 100;
    for (let i = 0; i < 160; i++) pcm[f * 160 + i] = i % 2 === 0 ? amplitude : -amplitude;
  }
  return pcm;
}

t.test('stays closed on silence and keeps only a bounded pre-roll', async (t) => {
  const gate = new SpeechGate({ prerollSamples: 1000 });
  for (let i = 0; i < 10; i++) t.same(gate.push(new Int16Array(960)), []);
  t.equal(gate.open, false);
  t.equal(gate.speechLike(), false);
  const opened = gate.push(syllables(4));
  t.equal(gate.open, true);
  t.equal(opened.length >= 2, true, 'pre-roll then the chunk that opened it');
  t.equal(opened.slice(0, -1).reduce((n, c) => n + c.length, 0), 1000);
  t.equal(opened.at(-1)?.length, 640);
});

t.test('once open, passes each chunk straight through', async (t) => {
  const gate = new SpeechGate();
  gate.push(syllables(8));
  const chunk = new Int16Array(333);
  t.same(gate.push(chunk), [chunk]);
  t.equal(gate.push(chunk)[0], chunk, 'the same chunk, not a copy');
});

t.test('the pre-roll is a copy, so the caller may reuse its buffer', async (t) => {
  const gate = new SpeechGate();
  const buffer = new Int16Array(960).fill(3);
  gate.push(buffer);
  buffer.fill(9);
  const [first] = gate.push(syllables(8));
  t.equal(first?.[0], 3);
});

t.test('speech swings in level; steady noise does not', async (t) => {
  const speech = new SpeechGate();
  speech.push(new Int16Array(4800));
  speech.push(syllables(100));
  t.equal(speech.speechLike(), true);

  const hiss = new SpeechGate();
  hiss.push(whiteNoise(2, 6000));
  t.equal(hiss.open, true);
  t.equal(hiss.speechLike(), false);

  const quiet = new SpeechGate();
  quiet.push(whiteNoise(2, 30));
  t.equal(quiet.open, false);
  t.equal(quiet.speechLike(), false);
});

t.test('frames may span chunks', async (t) => {
  const whole = new SpeechGate();
  whole.push(syllables(50));
  const pieces = new SpeechGate();
  const audio = syllables(50);
  for (let at = 0; at < audio.length; at += 7) pieces.push(audio.subarray(at, at + 7));
  t.equal(pieces.speechLike(), whole.speechLike());
  t.equal(pieces.open, whole.open);
});
