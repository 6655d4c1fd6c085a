import t from 'tap';
import { rms } from '../../../audio/pcm-level.js';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import { ElevenLabsTts } from './elevenlabs-tts.js';

// Talks to the real API and spends a few dozen characters of quota. Only this test reads the
// environment: ELEVENLABS_API_KEY, and optionally ELEVENLABS_VOICE_ID and ELEVENLABS_BASE_URL.
const apiKey = process.env.ELEVENLABS_API_KEY;
// "George", the premade voice ElevenLabs' own API examples use.
const voiceId = process.env.ELEVENLABS_VOICE_ID || 'JBFqnCBsd6RMkjVDRZzb';
const baseUrl = process.env.ELEVENLABS_BASE_URL;

t.test('ElevenLabs speaks one sentence as 24 kHz PCM', { skip: apiKey ? false : 'set ELEVENLABS_API_KEY to run against the real API' }, async (t) => {
  const tts = new ElevenLabsTts({ apiKey: apiKey ?? '', defaultVoiceId: voiceId, timeoutMs: 10_000, ...(baseUrl ? { baseUrl } : {}) });
  const started = performance.now();
  let firstChunkMs: number | undefined;
  const chunks: Int16Array[] = [];
  for await (const chunk of tts.synthesize('Hello! I am Pommai, and I love crunchy carrots.', DEFAULT_TOY.voice, new AbortController().signal)) {
    firstChunkMs ??= performance.now() - started;
    chunks.push(chunk);
  }
  const pcm = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (pcm.set(c, at), at + c.length), 0);
  const seconds = pcm.length / tts.sampleRate;
  t.ok(seconds > 0.5 && seconds < 10, `${seconds.toFixed(2)} s of audio in ${chunks.length} chunks`);
  t.ok(rms(pcm) > 300, `RMS ${rms(pcm).toFixed(0)}: speech, not silence`);
  t.comment(`first audio after ${firstChunkMs?.toFixed(0)} ms, all of it after ${(performance.now() - started).toFixed(0)} ms`);
});
