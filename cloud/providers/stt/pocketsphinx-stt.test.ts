import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ProviderError } from '../provider-error.js';
import { COMPANION_PHRASES } from './testing/fixtures/companion-phrases.js';
import { spokenAudio, streamOf, whiteNoise } from './testing/fixtures/spoken-audio.js';
import { PocketsphinxStt } from './pocketsphinx-stt.js';
import type { PocketsphinxSttOptions } from './pocketsphinx-stt.js';

const scratch = mkdtempSync(join(tmpdir(), 'pocketsphinx-stt-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const stt = new PocketsphinxStt({ phrases: COMPANION_PHRASES, warn: () => {} });
t.teardown(() => stt.close());

function recogniser(options: Partial<PocketsphinxSttOptions> = {}): PocketsphinxStt {
  const made = new PocketsphinxStt({ phrases: COMPANION_PHRASES, warn: () => {}, ...options });
  t.teardown(() => made.close());
  return made;
}

/** A stand-in for pocketsphinx_continuous: a shell script with `body`, run when given arguments. */
function fakeDecoder(name: string, body: string): string {
  const path = join(scratch, name);
  // Without arguments it is only being checked for existence: it must leave no trace.
  writeFileSync(path, `#!/bin/sh\n[ $# -eq 0 ] && exit 0\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const never = new AbortController().signal;

t.test('"tell me a story" comes back exactly', async (t) => {
  for (const voice of ['en-us+f3', 'en-gb']) {
    const result = await stt.transcribe(streamOf(await spokenAudio('tell me a story', voice)), never);
    t.same(result, { text: 'tell me a story', confidence: result.confidence, rejected: false }, voice);
    t.ok(result.confidence > 0.5 && result.confidence <= 1, `${voice} confidence ${result.confidence}`);
  }
});

t.test('other phrases of the grammar, in several voices and speeds', async (t) => {
  const cases: [string, string, number][] = [
    ['what can you do', 'en-us', 150],
    ['do you like ice cream', 'en-us+f3', 140],
    ['why is the sky blue', 'en-us', 150],
    ['what does a horse say', 'en-us+m3', 170],
    ['tell me a joke', 'en-us+m3', 170],
    ['i love you', 'en-gb', 165],
  ];
  for (const [text, voice, speed] of cases) {
    const result = await stt.transcribe(streamOf(await spokenAudio(text, voice, speed)), never);
    t.equal(result.text, text, `${text} (${voice}, ${speed})`);
    t.equal(result.rejected, false);
  }
});

t.test('sentences outside the grammar are rejected, never turned into a phrase', async (t) => {
  const cases: [string, string][] = [
    ['i want a chocolate cookie', 'en-us'],
    ['my brother took my toy car', 'en-gb'],
    ['mommy said we have to clean up', 'en-us+f3'],
    ['grandma is coming tomorrow', 'en-us+m3'],
    ['how many legs does a spider have', 'en-us'],
    ['tell me about sharks', 'en-us'],
  ];
  for (const [text, voice] of cases) {
    const result = await stt.transcribe(streamOf(await spokenAudio(text, voice)), never);
    t.equal(result.text, '', text);
    t.equal(result.rejected, true, text);
    t.ok(result.confidence < 0.5, `${text}: confidence ${result.confidence}`);
  }
});

t.test('the size of the chunks does not matter', async (t) => {
  const audio = await spokenAudio('tell me a joke', 'en-us+m3', 170);
  for (const size of [333, 4000, audio.length]) {
    const result = await stt.transcribe(streamOf(audio, size), never);
    t.equal(result.text, 'tell me a joke', `chunks of ${size}`);
  }
});

t.test('silence, an empty stream and steady noise are nothing heard, not misunderstood', async (t) => {
  // A recogniser that cannot even start a decoder: these must not need one.
  const cannotDecode = recogniser({ command: join(scratch, 'no-such-decoder') });
  t.same(await cannotDecode.transcribe(streamOf(new Int16Array(0)), never), { text: '', confidence: 0, rejected: false });
  t.same(await cannotDecode.transcribe(streamOf(new Int16Array(32_000)), never), { text: '', confidence: 0, rejected: false });
  t.same(await cannotDecode.transcribe(streamOf(whiteNoise(2, 20)), never), { text: '', confidence: 0, rejected: false }, 'room hiss');
  t.same(await stt.transcribe(streamOf(whiteNoise(1.5, 6500)), never), { text: '', confidence: 0, rejected: false }, 'loud hiss');
});

t.test('speech longer than maxAudioMs is rejected', async (t) => {
  const short = recogniser({ maxAudioMs: 500 });
  const result = await short.transcribe(streamOf(await spokenAudio('tell me a story')), never);
  t.same(result, { text: '', confidence: 0, rejected: true });
});

t.test('aborting while the child speaks rejects with aborted and stops the decoders', async (t) => {
  const pidFile = join(scratch, 'abort.pid');
  const command = fakeDecoder('records-pid', `echo $$ >> "${pidFile}"\nexec cat > /dev/null`);
  const slow = recogniser({ command });
  const speech = await spokenAudio('tell me a story');
  const controller = new AbortController();
  async function* endless(): AsyncIterable<Int16Array> {
    yield speech;
    // Both decoders have started once their pids are written; then the turn is cut.
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim().split('\n').length < 2) {
      yield new Int16Array(960);
      await new Promise((resolve) => setImmediate(resolve));
    }
    controller.abort(new Error('barge-in'));
    await new Promise(() => {});
  }
  await t.rejects(slow.transcribe(endless(), controller.signal), { name: 'ProviderError', code: 'aborted' });
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  t.equal(pids.length, 2, 'two decoders ran');
  for (const pid of pids) await waitUntilGone(pid);
  t.pass('both decoders are gone');
});

t.test('an already aborted signal rejects at once', async (t) => {
  const controller = new AbortController();
  controller.abort(new Error('emergency stop'));
  await t.rejects(stt.transcribe(streamOf(new Int16Array(960)), controller.signal), { code: 'aborted' });
});

t.test('real pocketsphinx can be aborted too', async (t) => {
  const controller = new AbortController();
  const speech = await spokenAudio('tell me about dinosaurs');
  async function* stream(): AsyncIterable<Int16Array> {
    yield* streamOf(speech.subarray(0, speech.length / 2));
    controller.abort(new Error('barge-in'));
    yield* streamOf(speech.subarray(speech.length / 2));
  }
  await t.rejects(stt.transcribe(stream(), controller.signal), { code: 'aborted' });
});

t.test('a decoder that never answers times out, retryably', async (t) => {
  const stuck = recogniser({ command: fakeDecoder('stuck', 'exec sleep 600'), timeoutMs: 300 });
  const error = await stuck.transcribe(streamOf(await spokenAudio('hello')), never).catch((e: unknown) => e);
  t.type(error, ProviderError);
  t.match(error, { code: 'stt_timeout', retryable: true });
});

t.test('a missing program or model is stt_unavailable and names the packages', async (t) => {
  const speech = await spokenAudio('hello');
  const noProgram = recogniser({ command: join(scratch, 'pocketsphinx-not-installed') });
  await t.rejects(noProgram.transcribe(streamOf(speech), never), {
    code: 'stt_unavailable',
    message: /pocketsphinx and pocketsphinx-en-us/,
  });
  const noModel = recogniser({ modelDir: join(scratch, 'no-model') });
  await t.rejects(noModel.transcribe(streamOf(speech), never), { code: 'stt_unavailable', message: /pocketsphinx-en-us/ });
  const noDictionary = recogniser({ dictionaryPath: join(scratch, 'no.dict') });
  await t.rejects(noDictionary.transcribe(streamOf(speech), never), { code: 'stt_unavailable' });
});

t.test('grammar files are written once, lazily, and removed on close', async (t) => {
  const argsFile = join(scratch, 'args');
  const command = fakeDecoder('records-args', `echo "$@" >> "${argsFile}"\nexec cat > /dev/null`);
  const warnings: string[] = [];
  const recorder = new PocketsphinxStt({
    phrases: ['Hello, Pommai!', 'Tell me a story.', 'Zorblax the great', 'tell me a STORY'],
    pronunciations: { pommai: 'P AA M AY' },
    command,
    warn: (message) => warnings.push(message),
  });
  const speech = await spokenAudio('hello');
  t.same(await recorder.transcribe(streamOf(speech), never), { text: '', confidence: 0, rejected: false }, 'a decoder that prints nothing heard nothing');
  await recorder.transcribe(streamOf(speech), never);

  const runs = readFileSync(argsFile, 'utf8').trim().split('\n');
  t.equal(runs.length, 4, 'two decoders per utterance');
  const grammars = new Set(runs.map((run) => /-jsgf (\S+)/.exec(run)?.[1]));
  t.equal(grammars.size, 2, 'the same two grammars both times');
  const phraseGrammar = [...grammars].find((path) => path?.endsWith('phrases.gram')) ?? '';
  const jsgf = readFileSync(phraseGrammar, 'utf8');
  t.match(jsgf, /hello pommai\n\s+\| tell me a story\n/);
  t.notMatch(jsgf, /zorblax/);
  t.match(readFileSync(phraseGrammar.replace(/gram$/, 'dict'), 'utf8'), /^pommai P AA M AY$/m);
  t.same(warnings.length, 1);
  t.match(warnings[0], /Zorblax the great.*zorblax/);

  await recorder.close();
  t.notOk(existsSync(phraseGrammar), 'grammar removed');
  await t.rejects(recorder.transcribe(streamOf(speech), never), { code: 'stt_closed' });
});

t.test('configuration mistakes are caught when constructed', async (t) => {
  t.throws(() => new PocketsphinxStt({ phrases: [] }), { code: 'stt_config' });
  t.throws(() => new PocketsphinxStt({ phrases: ['hi'], pronunciations: { pommai: 'P Q' } }), { code: 'stt_config' });
  t.throws(() => new PocketsphinxStt({ phrases: ['hi'], timeoutMs: 0 }), { code: 'stt_config' });
  const nothingKnown = recogniser({ phrases: ['zorblax'] });
  await t.rejects(nothingKnown.transcribe(streamOf(await spokenAudio('hello')), never), { code: 'stt_config' });
});

async function waitUntilGone(pid: number): Promise<void> {
  // Bounded: a process killed with SIGKILL dies at once. A zombie counts as gone, since
  // whether it is reaped is up to whatever adopted it (in a container, maybe nothing).
  for (let i = 0; i < 500; i++) {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`process ${pid} is still running`);
}
