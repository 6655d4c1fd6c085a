import { simulatedTokens } from '../cloud/providers/testing/simulated/simulated-llm.js';
import type { SimulatedLatencies } from '../cloud/providers/testing/simulated/simulated-latencies.js';
import { splitSentences } from '../cloud/turn/sentence-splitter.js';
import { FIRST_CHUNK_COMMA_WORDS } from '../cloud/turn/turn-pipeline.js';

export interface CriticalPath {
  /** What the voice is first asked to say. */
  readonly firstChunk: string;
  /** Tokens the model must have streamed before that chunk is complete. */
  readonly firstChunkTokens: number;
  readonly ms: number;
  /** The sum spelled out. */
  readonly explained: string;
}

/**
 * The providers' own part of voice-to-voice, with nothing for the gateway: the transcript, the
 * input check, the tokens up to the end of the first chunk, that chunk's output check and the
 * voice's first audio, one after the other, as the turn needs them.
 */
export async function criticalPath(latencies: SimulatedLatencies, reply: string): Promise<CriticalPath> {
  const tokens = simulatedTokens(reply);
  let pulled = 0;
  async function* stream(): AsyncIterable<string> {
    for (const token of tokens) {
      pulled++;
      yield token;
    }
  }
  let firstChunk = '';
  // The splitter reads no further than it must, so the tokens read when it yields are the ones needed.
  for await (const chunk of splitSentences(stream(), { firstChunkCommaWords: FIRST_CHUNK_COMMA_WORDS })) {
    firstChunk = chunk;
    break;
  }
  const { sttMs, safetyMs, llmFirstTokenMs, llmTokenMs, ttsFirstByteMs } = latencies;
  const more = Math.max(0, pulled - 1);
  return {
    firstChunk,
    firstChunkTokens: pulled,
    ms: sttMs + safetyMs + llmFirstTokenMs + more * llmTokenMs + safetyMs + ttsFirstByteMs,
    explained: `STT ${sttMs} + safety ${safetyMs} + first token ${llmFirstTokenMs} + ${more} more × ${llmTokenMs} + safety ${safetyMs} + TTS first byte ${ttsFirstByteMs}`,
  };
}
