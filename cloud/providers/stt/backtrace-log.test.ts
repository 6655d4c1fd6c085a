import t from 'tap';
import { BacktraceLog, isWordSegment } from './backtrace-log.js';

// The tail of pocketsphinx_continuous 0.8's stderr for "tell me a story" with -backtrace yes.
const LOG = `INFO: continuous.c(307): pocketsphinx_continuous COMPILED ON: Sep 28 2022, AT: 20:56:35

INFO: cmn_live.c(120): Update from < 41.00 -5.29 -0.12  5.09  2.48 -4.07 -1.37 -1.78 -5.08 -2.05 -6.45 -1.42  1.17 >
INFO: fsg_search.c(853): 120 frames, 2748 HMMs (22/fr), 6399 senones (53/fr), 674 history entries (5/fr)

INFO: pocketsphinx.c(1168): tell me a story (-4531)
word                 start end   pprob ascr       lscr       lback
tell                 0     26    1.000 -1096      0          1  
me                   27    39    1.000 -831       0          1  
a(2)                 40    45    1.000 -349       0          1  
story                46    89    1.000 -1536      0          1  
<sil>                90    119   1.000 -382       -337       1  
INFO: fsg_search.c(263): TOTAL fsg 0.01 CPU 0.012 xRT
`;

t.test('reads the word backtrace of an utterance', async (t) => {
  const log = new BacktraceLog();
  log.push(LOG);
  log.end();
  t.equal(log.utterances.length, 1);
  t.same(log.utterances[0]?.map((s) => [s.word, s.startFrame, s.endFrame, s.acousticScore]), [
    ['tell', 0, 26, -1096],
    ['me', 27, 39, -831],
    ['a(2)', 40, 45, -349],
    ['story', 46, 89, -1536],
    ['<sil>', 90, 119, -382],
  ]);
  t.equal(log.lastError, undefined);
});

t.test('lines may arrive cut anywhere', async (t) => {
  const whole = new BacktraceLog();
  whole.push(LOG);
  whole.end();
  const pieces = new BacktraceLog();
  for (let at = 0; at < LOG.length; at += 7) pieces.push(LOG.slice(at, at + 7));
  pieces.end();
  t.same(pieces.utterances, whole.utterances);
});

t.test('keeps the last error for messages', async (t) => {
  const log = new BacktraceLog();
  log.push('ERROR: "fsg_search.c", line 940: Final result does not match the grammar in frame 186\n');
  log.push(`FATAL: "acmod.c", line 78: Folder '/x' does not contain acoustic model definition 'mdef'\n`);
  t.match(log.lastError, /^FATAL.*acoustic model definition/);
  t.same(log.utterances, []);
});

t.test('rows outside a backtrace are not words, and memory stays bounded', async (t) => {
  const log = new BacktraceLog();
  log.push('tell                 0     26    1.000 -1096      0          1\n');
  t.same(log.utterances, []);
  log.push('INFO: pocketsphinx.c(1168): x (-1)\n');
  for (let i = 0; i < 10_000; i++) log.push(`phone_aa ${i} ${i} 1.000 -1 0 1\n`);
  log.push(`${'x'.repeat(1_000_000)}`);
  log.end();
  t.ok((log.utterances[0]?.length ?? 0) <= 4000);
});

t.test('fillers and null transitions are not words; alternate pronunciations are', async (t) => {
  const segment = (word: string) => ({ word, startFrame: 0, endFrame: 1, acousticScore: 0 });
  t.same(['story', '<sil>', '[NOISE]', '(NULL)', 'a(2)'].map((w) => isWordSegment(segment(w))), [true, false, false, false, true]);
});
