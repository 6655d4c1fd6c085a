import t from 'tap';
import { comparePlayed, comparePlayedAfterCut } from './speaker-contract.js';

// The contract's checks must be able to fail: a comparison that always agreed would pass every driver.
const pcm = (...samples: number[]) => Int16Array.from(samples);

t.test('what was played is compared with what was written', async (t) => {
  t.equal(comparePlayed(pcm(1, 2, 3), pcm(1, 2, 3)), 'as written');
  t.equal(comparePlayed(pcm(1, 2, 3, 0, 0), pcm(1, 2, 3)), 'as written', 'silence padding the end is allowed');
  t.equal(comparePlayed(pcm(), pcm()), 'as written');
  t.equal(comparePlayed(pcm(1, 2), pcm(1, 2, 3)), 'only 2 of 3 samples were played');
  t.equal(comparePlayed(pcm(1, 0, 3), pcm(1, 2, 3)), 'sample 1 was played as 0, written as 2');
  t.equal(comparePlayed(pcm(1, 2, 3, 0, 5), pcm(1, 2, 3)), 'sample 4 (5) was played after the end of what was written');
  t.equal(comparePlayed(pcm(7), pcm()), 'sample 0 (7) was played after the end of what was written');
});

t.test('after a cut, at most a start of the cut audio, perhaps silence, then the next write', async (t) => {
  const cut = pcm(10, 11, 12, 13);
  const after = pcm(0, 20, 21);
  t.equal(comparePlayedAfterCut(pcm(0, 20, 21), cut, after), 'as written', 'nothing of the cut audio');
  t.equal(comparePlayedAfterCut(pcm(10, 11, 0, 20, 21), cut, after), 'as written', 'its start');
  t.equal(comparePlayedAfterCut(pcm(10, 11, 0, 0, 0, 0, 20, 21, 0), cut, after), 'as written', 'its start, then silence');
  t.equal(comparePlayedAfterCut(pcm(10, 11, 12, 13, 0, 20, 21), cut, after), 'the cut audio was played to its end');
  t.equal(comparePlayedAfterCut(pcm(10, 12, 0, 20, 21), cut, after), 'after 1 samples of the cut audio: sample 0 was played as 12, written as 0', 'a sample of the cut audio lost');
  t.equal(comparePlayedAfterCut(pcm(10, 11), cut, after), 'after 2 samples of the cut audio: only 0 of 3 samples were played', 'the next write missing');
});
