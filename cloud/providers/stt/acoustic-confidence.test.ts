import t from 'tap';
import { acousticConfidence } from './acoustic-confidence.js';
import type { Segment } from './backtrace-log.js';

const thresholds = { minScore: -25, minWordScore: -50 };
const seg = (word: string, startFrame: number, endFrame: number, acousticScore: number): Segment => ({
  word,
  startFrame,
  endFrame,
  acousticScore,
});

// 100 frames: 10 of silence, two words of 40 and 50 frames.
const loop = [seg('<sil>', 0, 9, -100), seg('phone_t', 10, 49, -1000), seg('phone_s', 50, 99, -1000)];

t.test('a phrase that explains the audio as well as free phones is accepted with high confidence', async (t) => {
  const phrase = [seg('<sil>', 0, 9, -100), seg('tell', 10, 49, -1000), seg('story', 50, 99, -1000)];
  const judged = acousticConfidence(phrase, loop, thresholds);
  t.equal(judged.score, 0);
  t.equal(judged.wordScore, 0);
  t.equal(judged.accepted, true);
  t.ok(judged.confidence > 0.98);
});

t.test('a phrase far worse than free phones is rejected', async (t) => {
  const phrase = [seg('<sil>', 0, 9, -100), seg('tell', 10, 49, -2400), seg('story', 50, 99, -3000)];
  const judged = acousticConfidence(phrase, loop, thresholds);
  t.equal(judged.score, -(1400 + 2000) / 90);
  t.equal(judged.accepted, false);
  t.ok(judged.confidence < 0.5);
});

t.test('one bad word sinks a phrase that is fine on average', async (t) => {
  // -20 per frame overall passes, but "tell" is 2400 worse over 40 frames: -60.
  const phrase = [seg('<sil>', 0, 9, 500), seg('tell', 10, 49, -3400), seg('story', 50, 99, -200)];
  const judged = acousticConfidence(phrase, loop, thresholds);
  t.ok(judged.score > thresholds.minScore);
  t.equal(judged.wordScore, -60);
  t.equal(judged.accepted, false);
});

t.test('word scores compare with the loop phones over the same frames, however they are cut', async (t) => {
  const phones = [seg('<sil>', 0, 9, -100), seg('phone_t', 10, 29, -500), seg('phone_eh', 30, 69, -1000), seg('phone_s', 70, 99, -500)];
  const phrase = [seg('<sil>', 0, 9, -100), seg('tell', 10, 49, -1000), seg('story', 50, 99, -1000)];
  const judged = acousticConfidence(phrase, phones, thresholds);
  t.equal(judged.score, 0);
  t.ok(Math.abs(judged.wordScore) < 1e-9, `word score ${judged.wordScore}`);
});

t.test('confidence is 0.5 exactly at the threshold', async (t) => {
  const phrase = [seg('<sil>', 0, 9, -100), seg('tell', 10, 49, -1000 - 25 * 40), seg('story', 50, 99, -1000 - 25 * 50)];
  const judged = acousticConfidence(phrase, loop, thresholds);
  t.equal(judged.score, -25);
  t.equal(judged.confidence, 0.5);
  t.equal(judged.accepted, true);
});

t.test('nothing to compare is not accepted', async (t) => {
  t.same(acousticConfidence([], loop, thresholds).accepted, false);
  t.same(acousticConfidence([seg('<sil>', 0, 99, -1)], loop, thresholds).confidence, 0);
  t.same(acousticConfidence([seg('tell', 0, 99, -1)], [], thresholds).accepted, false);
  t.same(acousticConfidence([seg('tell', 0, 10_000_000, -1)], loop, thresholds).accepted, false);
});
