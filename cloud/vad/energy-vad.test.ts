import t from 'tap';
import { EnergyVad } from './energy-vad.js';
import { makeNoise } from './testing/scene/make-noise.js';
import { mixScene } from './testing/scene/mix-scene.js';
import { speakPhrase } from './testing/scene/speak-phrase.js';
import { framewise, vadContract } from './testing/vad-contract.js';

const SECOND = 16_000;

vadContract(t, 'EnergyVad', async () => new EnergyVad());

t.test('rejects a floor memory it cannot use', async (t) => {
  t.throws(() => new EnergyVad({ floorMemoryMs: 10 }), /floorMemoryMs/);
  t.throws(() => new EnergyVad({ floorMemoryMs: Number.NaN }), /floorMemoryMs/);
});

t.test('a fan switched on reads as speech only until the floor has caught up', async (t) => {
  const vad = new EnergyVad({ floorMemoryMs: 1500 });
  const quiet = Int16Array.from(makeNoise('white', 2 * SECOND, 1), (v) => Math.round(v * 30));
  const fan = Int16Array.from(makeNoise('pink', 6 * SECOND, 2), (v) => Math.round(v * 1500));
  await framewise(vad, quiet);
  const probabilities = await framewise(vad, fan);
  const speechFor = probabilities.findIndex((p) => p < 0.5);
  t.ok(speechFor >= 0 && speechFor * vad.windowSamples <= 2 * SECOND, `speech for ${((speechFor * vad.windowSamples) / 16).toFixed(0)} ms after the fan starts`);
  const after = probabilities.slice(speechFor);
  t.ok(after.filter((p) => p < 0.5).length >= 0.98 * after.length, 'then quiet, but for the odd 30 ms window (no turn starts on those)');
});

t.test('a stream that begins with speech finds its noise at the first pause', async (t) => {
  const phrase = await speakPhrase('hello there, what is your name');
  const gap = SECOND;
  const samples = phrase.length + gap + phrase.length + SECOND;
  const scene = mixScene({
    samples,
    speech: [
      { pcm: phrase, at: 0 },
      { pcm: phrase, at: phrase.length + gap },
    ],
    noise: { signal: makeNoise('pink', samples, 4), snrDb: 15 },
  });
  const vad = new EnergyVad();
  const probabilities = await framewise(vad, scene.pcm);
  const second = scene.utterances[1];
  if (second === undefined) throw new Error('two utterances expected');
  const inSecond = probabilities.slice(Math.ceil(second.start / vad.windowSamples), Math.floor(second.end / vad.windowSamples));
  const heard = inSecond.filter((p) => p >= 0.5).length / inSecond.length;
  t.ok(heard >= 0.7, `${(heard * 100).toFixed(0)}% of the second utterance heard as speech`);
  const pause = probabilities.slice(Math.ceil((phrase.length + 0.4 * SECOND) / vad.windowSamples), Math.floor((phrase.length + gap) / vad.windowSamples));
  t.ok(pause.filter((p) => p < 0.5).length >= pause.length * 0.8, 'the pause between them is mostly quiet');
});
