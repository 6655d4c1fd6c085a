import { ProviderError } from './provider-error.js';
import type { Stt, Transcript } from './providers/stt/stt.js';
import { stageSignal, withinBudget, type TurnBudget } from './turn-budget.js';

/**
 * Speech to text under the turn's budget. The recogniser hears the child while
 * they speak, so its clock starts only when the audio ends (listen stop): a
 * long question is not a slow recogniser. The audio is kept, so a retryable
 * failure can be retried with the whole utterance while the budget allows.
 */
export async function transcribeWithinBudget(
  stt: Stt,
  audio: AsyncIterable<Int16Array>,
  budget: () => TurnBudget,
  signal: AbortSignal,
  onRetry: (error: ProviderError, attempt: number) => void,
): Promise<Transcript> {
  const recorded: Int16Array[] = [];
  let ended = false;
  const guard = stageSignal(signal, 0, 'stt');
  guard.clear();
  async function* recording(): AsyncIterable<Int16Array> {
    for await (const pcm of audio) {
      recorded.push(pcm);
      yield pcm;
    }
    ended = true;
    guard.refresh(budget().timeoutFor('stt'));
  }
  try {
    return await stt.transcribe(recording(), guard.signal);
  } catch (error) {
    // Before the end of the utterance there is nothing whole to retry with.
    if (!ended || signal.aborted || !(error instanceof ProviderError) || !error.retryable) throw error;
    if (budget().remaining() - (error.retryAfterMs ?? 0) < budget().options.minRetryMs) throw error;
    onRetry(error, 1);
    await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? 0));
    return withinBudget('stt', budget(), signal, (retrySignal) => stt.transcribe(replay(recorded), retrySignal), (e, attempt) => onRetry(e, attempt + 1));
  } finally {
    guard.dispose();
  }
}

async function* replay(chunks: readonly Int16Array[]): AsyncIterable<Int16Array> {
  yield* chunks;
}
