import t from 'tap';
import { ElevenLabsTts } from './elevenlabs-tts.js';
import { EspeakTts } from './espeak-tts.js';
import { FakeElevenLabs } from './testing/fake-elevenlabs.js';
import { SimulatedTts } from '../testing/simulated/simulated-tts.js';
import { ttsContract } from './testing/tts-contract.js';

ttsContract(t, 'EspeakTts', async () => ({ tts: new EspeakTts() }));

ttsContract(t, 'ElevenLabsTts against the fake server', async () => {
  const fake = await FakeElevenLabs.start();
  const tts = new ElevenLabsTts({ apiKey: fake.apiKey, baseUrl: fake.url, defaultVoiceId: 'contract-voice' });
  return {
    tts,
    released: async () => {
      const last = fake.requests.at(-1);
      if (last === undefined) throw new Error('no request reached the fake');
      const ending = await last.ended;
      if (ending === 'server-cut') throw new Error('the fake cut the stream itself');
    },
    close: () => fake.close(),
  };
});

ttsContract(t, 'SimulatedTts', async () => ({ tts: new SimulatedTts({ firstByteMs: 5 }) }));
