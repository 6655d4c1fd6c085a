import t from 'tap';
import { ElevenLabsTts } from './elevenlabs-tts.js';
import { EspeakTts } from './espeak-tts.js';
import { FakeElevenLabs } from './testing/fake-elevenlabs.js';
import { SimulatedTts } from '../testing/simulated/simulated-tts.js';
import { ttsContract } from './testing/tts-contract.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { silentLog } from '../../../log/log.js';
import { BreakerTts } from './breaker-tts.js';

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

// As the gateway runs it: the cloud voice behind its circuit breaker, which must change nothing while the voice answers.
ttsContract(t, 'BreakerTts around ElevenLabsTts', async () => {
  const fake = await FakeElevenLabs.start();
  const inner = new ElevenLabsTts({ apiKey: fake.apiKey, baseUrl: fake.url, defaultVoiceId: 'contract-voice' });
  return {
    tts: new BreakerTts(inner, new CircuitBreaker(inner.name, 'tts', silentLog)),
    released: async () => {
      const last = fake.requests.at(-1);
      if (last === undefined) throw new Error('no request reached the fake');
      const ending = await last.ended;
      if (ending === 'server-cut') throw new Error('the fake cut the stream itself');
    },
    close: () => fake.close(),
  };
});
