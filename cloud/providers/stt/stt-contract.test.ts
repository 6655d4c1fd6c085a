import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { FakeOpenAiTranscriptions } from './testing/fake-openai-transcriptions.js';
import { COMPANION_PHRASES } from './testing/fixtures/companion-phrases.js';
import { spokenAudio } from './testing/fixtures/spoken-audio.js';
import { OpenAiStt } from './openai-stt.js';
import { PocketsphinxStt } from './pocketsphinx-stt.js';
import { SimulatedStt } from '../testing/simulated/simulated-stt.js';
import { simulatedSpeech } from '../testing/simulated/simulated-speech.js';
import { sttContract } from './testing/stt-contract.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { silentLog } from '../../../log/log.js';
import { BreakerStt } from './breaker-stt.js';

sttContract(t, 'PocketsphinxStt', async () => {
  const stt = new PocketsphinxStt({ phrases: COMPANION_PHRASES, warn: () => {} });
  return {
    stt,
    // en-us+f3 is a voice the grammar decoder gets right for both contract phrases.
    say: (text) => spokenAudio(text, 'en-us+f3'),
    busy: () => runningChildren('pocketsphinx_co'),
    cleanup: () => stt.close(),
  };
});

for (const model of ['whisper-1', 'gpt-4o-mini-transcribe']) {
  sttContract(t, `OpenAiStt (${model}) against a fake server`, async () => {
    const fake = await FakeOpenAiTranscriptions.start({ apiKey: 'sk-contract-test-key' });
    // Until something is said, the server hears nothing.
    fake.defaultAnswer = { text: '' };
    const stt = new OpenAiStt({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, model });
    return {
      stt,
      say: async (text) => {
        // The answer the real API would give, capitals and punctuation included.
        fake.defaultAnswer = { text: `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.?!]$/.test(text) ? '' : '.'}` };
        return spokenAudio(text);
      },
      busy: () => fake.openRequests,
      cleanup: () => fake.close(),
    };
  });
}

// As the gateway runs it: the cloud recogniser behind its circuit breaker, which must change nothing while it answers.
sttContract(t, 'BreakerStt around OpenAiStt (whisper-1)', async () => {
  const fake = await FakeOpenAiTranscriptions.start({ apiKey: 'sk-contract-test-key' });
  fake.defaultAnswer = { text: '' };
  const inner = new OpenAiStt({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, model: 'whisper-1' });
  return {
    stt: new BreakerStt(inner, new CircuitBreaker(inner.name, 'stt', silentLog)),
    say: async (text) => {
      fake.defaultAnswer = { text: `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.?!]$/.test(text) ? '' : '.'}` };
      return spokenAudio(text);
    },
    busy: () => fake.openRequests,
    cleanup: () => fake.close(),
  };
});

/** Live (not zombie) child processes of this test whose name starts with `name` (comm is cut at 15 characters). */
function runningChildren(name: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && comm.startsWith(name) && state !== 'Z' && state !== 'X') count++;
    } catch {
      // Gone while we looked.
    }
  }
  return count;
}

sttContract(t, 'SimulatedStt', async () => {
  let said = '';
  // A few milliseconds: the contract is about behaviour, not the latency a benchmark gives it.
  const stt = new SimulatedStt({ text: () => said, latencyMs: 5 });
  return {
    stt,
    say: async (text) => {
      said = text;
      return simulatedSpeech(1.2);
    },
    busy: () => stt.busy,
  };
});
