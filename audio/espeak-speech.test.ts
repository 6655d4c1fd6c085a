import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { speakWithEspeak } from './espeak-speech.js';
import type { EspeakSpeechOptions } from './espeak-speech.js';
import { rms } from './pcm-level.js';

const VOICE = { voice: 'en-us', pitch: 50, speed: 160 };
const LONG_TEXT = Array.from({ length: 40 }, (_, i) => `This is sentence number ${i + 1} of a long bedtime story about a sleepy bunny.`).join(' ');

async function speak(text: string, options: Partial<EspeakSpeechOptions> = {}, signal = new AbortController().signal) {
  const chunks: Int16Array[] = [];
  for await (const chunk of speakWithEspeak(text, { ...VOICE, sampleRate: 24000, ...options }, signal)) chunks.push(chunk);
  const pcm = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    pcm.set(chunk, at);
    at += chunk.length;
  }
  return { chunks, pcm };
}

const scratch = mkdtempSync(join(tmpdir(), 'espeak-speech-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

/** An executable stand-in for espeak-ng. */
function fakeCommand(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `#!/usr/bin/env node\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

t.test('speaks audible audio of a plausible length at 24000 and 16000 Hz', async (t) => {
  const at24 = await speak('hello there', { sampleRate: 24000 });
  const at16 = await speak('hello there', { sampleRate: 16000 });
  for (const [rate, { pcm }] of [[24000, at24], [16000, at16]] as const) {
    const seconds = pcm.length / rate;
    t.ok(seconds > 0.5 && seconds < 3, `${seconds.toFixed(2)} s at ${rate} Hz`);
    t.ok(rms(pcm) > 500, `not silent at ${rate} Hz (rms ${rms(pcm).toFixed(0)})`);
  }
  t.ok(Math.abs(at16.pcm.length / at24.pcm.length - 2 / 3) < 0.01, 'both rates carry the same duration');
});

t.test('yields the first audio while espeak-ng is still speaking a long text', async (t) => {
  // A wrapper that records the pid of the real espeak-ng, so the test can see it still running.
  const pidFile = join(scratch, 'espeak-pid');
  const command = join(scratch, 'espeak-with-pid');
  writeFileSync(command, `#!/bin/sh\necho $$ > '${pidFile}'\nexec espeak-ng "$@"\n`);
  chmodSync(command, 0o755);
  const iterator = speakWithEspeak(LONG_TEXT, { ...VOICE, sampleRate: 24000, command }, new AbortController().signal)[
    Symbol.asyncIterator
  ]();
  const first = await iterator.next();
  t.notOk(first.done);
  t.ok(first.value.length > 0);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  // Nearly a minute of audio cannot fit in the pipe, so espeak-ng waits for us to read on.
  t.ok(isRunning(pid), 'espeak-ng is still running when the first chunk arrives');
  let total = first.value.length;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    total += next.value.length;
  }
  t.ok(total / 24000 > 20, `the whole text was ${(total / 24000).toFixed(1)} s`);
  t.notOk(isRunning(pid), 'and has finished when the stream ends');
});

/** Running, as opposed to gone or a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

t.test('abort kills espeak-ng and rejects with code aborted', async (t) => {
  const controller = new AbortController();
  const iterator = speakWithEspeak(LONG_TEXT, { ...VOICE, sampleRate: 16000 }, controller.signal)[Symbol.asyncIterator]();
  t.notOk((await iterator.next()).done);
  controller.abort(new Error('barge-in'));
  await t.rejects(
    (async () => {
      for (;;) if ((await iterator.next()).done) return;
    })(),
    { code: 'aborted', message: /barge-in/ },
  );

  const already = new AbortController();
  already.abort();
  await t.rejects(speak('hello', {}, already.signal), { code: 'aborted' });
});

t.test('abort and early stop leave no process behind', async (t) => {
  const pidFile = join(scratch, 'pid');
  const command = fakeCommand(
    'hanging-espeak',
    `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
const header = Buffer.alloc(44);
header.write('RIFF', 0); header.writeUInt32LE(0x7fffffff, 4); header.write('WAVEfmt ', 8);
header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
header.writeUInt32LE(22050, 24); header.writeUInt32LE(44100, 28); header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34); header.write('data', 36); header.writeUInt32LE(0x7fffffff, 40);
process.stdout.write(Buffer.concat([header, Buffer.alloc(4410, 1)]));
setInterval(() => {}, 1000);`,
  );

  const controller = new AbortController();
  const iterator = speakWithEspeak('hello', { ...VOICE, sampleRate: 22050, command }, controller.signal)[Symbol.asyncIterator]();
  t.notOk((await iterator.next()).done);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  t.ok(isRunning(pid), 'the stand-in is running');
  controller.abort();
  await t.rejects(iterator.next(), { code: 'aborted' });
  t.notOk(isRunning(pid), 'killed and reaped when the stream ends');

  const early = speakWithEspeak('hello', { ...VOICE, sampleRate: 22050, command }, new AbortController().signal)[Symbol.asyncIterator]();
  t.notOk((await early.next()).done);
  const earlyPid = Number(readFileSync(pidFile, 'utf8'));
  await early.return?.();
  t.notOk(isRunning(earlyPid), 'a consumer that stops early does not leave it running');
});

t.test('a missing espeak-ng is tts_unavailable and names the Debian package', async (t) => {
  await t.rejects(speak('hello', { command: join(scratch, 'no-such-espeak-ng') }), {
    code: 'tts_unavailable',
    message: /Debian.*espeak-ng|espeak-ng.*Debian/,
  });
});

t.test('espeak-ng failing is tts_failed with its own words', async (t) => {
  await t.rejects(speak('hello', { voice: 'nosuchvoice' }), { code: 'tts_failed', message: /voice does not exist/ });
});

t.test('text starting with a dash is spoken, not taken as an option', async (t) => {
  for (const text of ['--help', '-v hello', '--stdout']) {
    const { pcm } = await speak(text);
    t.ok(pcm.length / 24000 > 0.2, `"${text}" was spoken (${(pcm.length / 24000).toFixed(2)} s)`);
    t.ok(rms(pcm) > 500, `"${text}" is audible`);
  }
});

t.test('parses a header that arrives in odd pieces and carries odd bytes across chunks', async (t) => {
  // Samples 0..999 as little-endian bytes, written in pieces of 1, 3, 5, ... bytes after a header with
  // an extra chunk and a wrong data size, as a stream would have.
  const command = fakeCommand(
    'dribbling-espeak',
    `const fmt = Buffer.alloc(24);
fmt.write('fmt ', 0); fmt.writeUInt32LE(16, 4); fmt.writeUInt16LE(1, 8); fmt.writeUInt16LE(1, 10);
fmt.writeUInt32LE(22050, 12); fmt.writeUInt32LE(44100, 16); fmt.writeUInt16LE(2, 20); fmt.writeUInt16LE(16, 22);
const list = Buffer.from('LIST\\x03\\x00\\x00\\x00abc\\x00', 'latin1');
const data = Buffer.alloc(8); data.write('data', 0); data.writeUInt32LE(0, 4);
const pcm = Buffer.alloc(2000);
for (let i = 0; i < 1000; i++) pcm.writeInt16LE(i * 30 - 15000, i * 2);
const all = Buffer.concat([Buffer.from('RIFF\\xff\\xff\\xff\\xffWAVE', 'latin1'), fmt, list, data, pcm]);
let at = 0, size = 1;
(function next() {
  if (at >= all.length) return;
  process.stdout.write(all.subarray(at, at + size), next);
  at += size; size += 2;
})();`,
  );
  const { pcm } = await speak('ignored', { sampleRate: 22050, command });
  t.equal(pcm.length, 1000);
  t.same([...pcm], Array.from({ length: 1000 }, (_, i) => i * 30 - 15000), 'every sample intact');
  const resampled = await speak('ignored', { sampleRate: 44100, command });
  t.ok(Math.abs(resampled.pcm.length - 2000) <= 2, `resampled to ${resampled.pcm.length} samples`);
});

t.test('rejects output that is not mono 16-bit PCM', async (t) => {
  const command = fakeCommand('noise', `process.stdout.write('this is not a wav file at all');`);
  await t.rejects(speak('hello', { command }), { code: 'tts_failed', message: /not a RIFF\/WAVE/ });
});
