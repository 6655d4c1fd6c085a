import type { Test } from 'tap';
import { mixScene, type Scene } from './scene/mix-scene.js';
import { makeNoise, STEADY_NOISES, seededUniform } from './scene/make-noise.js';
import { speakPhrase } from './scene/speak-phrase.js';
import type { SampleSpan } from './scene/speech-spans.js';
import { VAD_SAMPLE_RATE, type Vad } from '../vad.js';

const SECOND = VAD_SAMPLE_RATE;
const FRAME = 960;

let phrases: Promise<Int16Array[]> | undefined;
/** Spoken once per test process: every implementation hears the same speech. */
function contractPhrases(): Promise<Int16Array[]> {
  phrases ??= Promise.all([
    speakPhrase('can you tell me a story about a dragon', { voice: 'en-us', pitch: 60, speed: 150 }),
    speakPhrase('what does a cow say', { voice: 'en-gb+f2', pitch: 80, speed: 160 }),
  ]);
  return phrases;
}

/** Probabilities for `pcm` pushed in 60 ms frames, as the gateway pushes the uplink. */
export async function framewise(vad: Vad, pcm: Int16Array, frame = FRAME): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < pcm.length; i += frame) out.push(...(await vad.process(pcm.subarray(i, i + frame))));
  return out;
}

/** Windows whose samples lie mostly inside speech, and windows at least `margin` samples away from any. */
function windowsByLabel(scene: Scene, window: number, count: number, margin: number): { speech: number[]; quiet: number[] } {
  const overlap = (from: number, to: number, spans: readonly SampleSpan[]): number =>
    spans.reduce((n, s) => n + Math.max(0, Math.min(to, s.end) - Math.max(from, s.start)), 0);
  const speech: number[] = [];
  const quiet: number[] = [];
  const widened = scene.utterances.map((u) => ({ start: u.start - margin, end: u.end + margin }));
  for (let w = 0; w < count; w++) {
    const from = w * window;
    const to = from + window;
    if (overlap(from, to, scene.speech) * 2 >= window) speech.push(w);
    if (overlap(from, to, widened) === 0) quiet.push(w);
  }
  return { speech, quiet };
}

const share = (indices: number[], probabilities: number[], test: (p: number) => boolean): number =>
  indices.filter((i) => test(probabilities[i] ?? NaN)).length / Math.max(1, indices.length);

/**
 * What every Vad must do, the light detector and Silero alike: call silence and steady noise
 * silence, call speech speech, forget with reset(), and not care how the stream is cut. `make`
 * gives a fresh detector for one stream; each subtest closes its own.
 */
export function vadContract(t: Test, name: string, make: () => Promise<Vad>): void {
  t.test(`${name} keeps the Vad contract`, async (t) => {
    const open = async (t: Test): Promise<Vad> => {
      const vad = await make();
      t.teardown(() => vad.close());
      return vad;
    };
    const [story, cow] = (await contractPhrases()) as [Int16Array, Int16Array];

    t.test('describes itself', async (t) => {
      const vad = await open(t);
      t.ok(vad.name.length > 0, 'a name');
      t.ok(Number.isInteger(vad.windowSamples) && vad.windowSamples > 0 && vad.windowSamples <= 4 * FRAME, 'a window of at most 240 ms');
    });

    t.test('a probability per completed window, nothing for less', async (t) => {
      const vad = await open(t);
      t.equal((await vad.process(new Int16Array(0))).length, 0);
      t.equal((await vad.process(new Int16Array(vad.windowSamples - 1))).length, 0);
      t.equal((await vad.process(new Int16Array(1))).length, 1, 'the sample that completes the window');
      const probabilities = await vad.process(new Int16Array(3 * vad.windowSamples + 5));
      t.equal(probabilities.length, 3);
      for (const p of probabilities) t.ok(p >= 0 && p <= 1, `${p} is a probability`);
    });

    t.test('digital silence is not speech', async (t) => {
      const vad = await open(t);
      const zeros = await framewise(vad, new Int16Array(2 * SECOND));
      t.ok(Math.max(...zeros) < 0.5, `silence peaks at ${Math.max(...zeros).toFixed(3)}`);
    });

    t.test('faint hiss is not speech', async (t) => {
      const vad = await open(t);
      const hiss = Int16Array.from(makeNoise('white', 3 * SECOND, 5), (v) => Math.round(v * 33)); // about -60 dBFS
      const probabilities = await framewise(vad, hiss);
      const late = probabilities.slice(Math.ceil(SECOND / vad.windowSamples));
      t.ok(late.every((p) => p < 0.5), `after the first second, hiss peaks at ${Math.max(...late).toFixed(3)}`);
    });

    t.test('speech is speech, the quiet around it is not', async (t) => {
      const vad = await open(t);
      const samples = SECOND + story.length + SECOND;
      const scene = mixScene({ samples, speech: [{ pcm: story, at: SECOND }], noise: { signal: makeNoise('white', samples, 7), snrDb: 40 } });
      const probabilities = await framewise(vad, scene.pcm);
      const { speech, quiet } = windowsByLabel(scene, vad.windowSamples, probabilities.length, 0.3 * SECOND);
      const hit = share(speech, probabilities, (p) => p >= 0.5);
      const calm = share(quiet, probabilities, (p) => p < 0.5);
      t.ok(hit >= 0.8, `${(hit * 100).toFixed(0)}% of speech windows heard as speech`);
      t.ok(calm >= 0.95, `${(calm * 100).toFixed(0)}% of quiet windows heard as quiet`);
    });

    for (const kind of STEADY_NOISES) {
      t.test(`steady ${kind} noise is not speech, speech over it is`, async (t) => {
        const vad = await open(t);
        const lead = 4 * SECOND;
        const samples = lead + cow.length + SECOND;
        // Speech at -26 dBFS and 15 dB above the noise: a fan near a toy.
        const scene = mixScene({ samples, speech: [{ pcm: cow, at: lead }], noise: { signal: makeNoise(kind, samples, 11), snrDb: 15 } });
        const probabilities = await framewise(vad, scene.pcm);
        const settled = Math.ceil((2.5 * SECOND) / vad.windowSamples);
        const noiseOnly = probabilities.slice(settled, Math.floor((lead - 0.3 * SECOND) / vad.windowSamples));
        const calm = noiseOnly.filter((p) => p < 0.5).length / noiseOnly.length;
        t.ok(calm >= 0.95, `${(calm * 100).toFixed(0)}% of noise windows after 2.5 s heard as quiet`);
        const { speech } = windowsByLabel(scene, vad.windowSamples, probabilities.length, 0);
        const hit = share(speech, probabilities, (p) => p >= 0.5);
        t.ok(hit >= 0.7, `${(hit * 100).toFixed(0)}% of speech windows heard as speech`);
      });
    }

    t.test('reset() forgets the stream', async (t) => {
      const vad = await open(t);
      const fresh = await framewise(vad, cow);
      await framewise(vad, Int16Array.from(makeNoise('pink', 2 * SECOND, 3), (v) => Math.round(v * 3000)));
      await vad.process(story.subarray(0, 1234)); // leaves a partial window behind
      vad.reset();
      const again = await framewise(vad, cow);
      t.equal(again.length, fresh.length);
      t.ok(again.every((p, i) => Math.abs(p - (fresh[i] as number)) < 1e-5), 'the same probabilities as a new detector');
    });

    t.test('any cutting of the stream gives the probabilities of 60 ms frames', async (t) => {
      const samples = SECOND + story.length;
      const scene = mixScene({ samples, speech: [{ pcm: story, at: SECOND / 2 }], noise: { signal: makeNoise('pink', samples, 2), snrDb: 20 } });
      const byFrame = await framewise(await open(t), scene.pcm);
      const vad = await open(t);
      const random = seededUniform(42);
      const cut: number[] = [];
      for (let at = 0; at < scene.pcm.length; ) {
        const n = Math.floor(random() * 2500);
        cut.push(...(await vad.process(scene.pcm.subarray(at, at + n))));
        at += n;
      }
      t.equal(cut.length, byFrame.length);
      t.ok(cut.every((p, i) => Math.abs(p - (byFrame[i] as number)) < 1e-5), 'the same probabilities');
    });

    t.test('calls not awaited are answered in the order made', async (t) => {
      const byFrame = await framewise(await open(t), cow);
      const vad = await open(t);
      const pending: Promise<Float32Array>[] = [];
      for (let i = 0; i < cow.length; i += FRAME) pending.push(vad.process(cow.subarray(i, i + FRAME)));
      const all = (await Promise.all(pending)).flatMap((p) => [...p]);
      t.ok(all.length === byFrame.length && all.every((p, i) => Math.abs(p - (byFrame[i] as number)) < 1e-5), 'the same probabilities');
    });
  });
}
