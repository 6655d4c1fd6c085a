import type { ProviderError } from '../providers/provider-error.js';
import type { Stt, Transcript } from '../providers/stt/stt.js';
import { delay } from '../providers/delay.js';
import { attempts, stageSignal, stageTime, type StageTime, type TurnBudget } from './turn-budget.js';

/**
 * Speech to text under the turn's budget. The recogniser hears the child while
 * they speak, so its clock starts only when the audio ends (listen stop): a
 * long question is not a slow recogniser. The audio is kept, so a retryable
 * failure can be retried with the whole utterance while the stage's time allows.
 */
export async function transcribeWithinBudget(
  stt: Stt,
  audio: AsyncIterable<Int16Array>,
  budget: () => TurnBudget,
  signal: AbortSignal,
  onRetry: (error: ProviderError, attempt: number) => void,
): Promise<Transcript> {
  const recorded: Int16Array[] = [];
  // Set at the end of the utterance; before it there is nothing whole to retry with.
  let time: StageTime | undefined;
  const guard = stageSignal(signal, undefined, 'stt');
  async function* recording(): AsyncIterable<Int16Array> {
    for await (const pcm of audio) {
      recorded.push(pcm);
      yield pcm;
    }
    time = stageTime('stt', budget());
    guard.refresh(time.attemptMs(1));
  }
  try {
    return await stt.transcribe(recording(), guard.signal);
  } catch (error) {
    const wait = time?.retryWait(error, signal, 1);
    if (time === undefined || wait === undefined) throw error;
    onRetry(error as ProviderError, 1);
    await delay(wait, signal);
    return attempts('stt', time, signal, (retrySignal) => stt.transcribe(replay(recorded), retrySignal), onRetry, 2);
  } finally {
    guard.dispose();
  }
}

async function* replay(chunks: readonly Int16Array[]): AsyncIterable<Int16Array> {
  yield* chunks;
}
