import { FrameChunker } from '../../audio/frame-chunker.js';
import type { OpusEncoder } from '../../audio/opus-codec.js';
import { frameSamples, type AudioParams } from '../../protocol/index.js';
import { BoundedQueue } from './bounded-queue.js';
import { paceFrames, type PacingOptions } from './pace-frames.js';
import { ProviderError } from '../providers/provider-error.js';
import type { ChatMessage } from '../providers/llm/llm.js';
import { gentleRedirect } from '../providers/safety/gentle-redirect.js';
import type { Tts } from '../providers/tts/tts.js';
import type { ReplyCache } from './reply-cache.js';
import { splitSentences } from './sentence-splitter.js';
import { startAhead } from './start-ahead.js';
import type { SafetyRecord, TurnOutcome } from '../store/store.js';
import { systemPrompt } from '../toy/system-prompt.js';
import { DIDNT_CATCH, DIDNT_HEAR, FALLBACK } from '../toy/fixed-lines.js';
import type { ToyProfile } from '../toy/toy-profile.js';
import type { TurnProviders } from '../providers/turn-providers.js';
import { transcribeWithinBudget } from './transcribe-within-budget.js';
import { DEFAULT_TURN_BUDGET, TurnBudget, streamWithinBudget, withinBudget, type BudgetStage, type TurnBudgetOptions } from './turn-budget.js';

/** Where a turn's results go: the session turns these into protocol messages. */
export interface TurnOutput {
  transcript(text: string): void;
  reply(index: number, text: string): void;
  speakStart(): void;
  /** One Opus packet of one downlink frame, paced to real time. */
  audio(packet: Uint8Array): void;
}

export interface TurnInput {
  /** The child's voice, 16 kHz PCM; the iteration ends at listen stop. */
  readonly audio: AsyncIterable<Int16Array>;
  /** When listen stop arrived (performance.now()); the clock all timings start from. */
  readonly listenStoppedAt: () => number | undefined;
  /**
   * What the language model is sent for the child's words: the system prompt (with what the toy
   * knows of them) and the conversation so far. Asked while the input check runs. Without it,
   * the toy's system prompt and the words alone.
   */
  readonly messages?: (transcript: string, signal: AbortSignal) => Promise<readonly ChatMessage[]>;
  readonly toy: ToyProfile;
  /** Nothing has been said yet in this conversation: a cached reply to its first words fits. */
  readonly conversationStart?: boolean;
  /**
   * The model is told nothing of this child (no memory of earlier talks): its answer may be
   * cached for other children. A reply that could mention one child's past must never be.
   */
  readonly anonymous?: boolean;
}

export interface TurnOptions {
  readonly downlink: AudioParams;
  readonly encoder: OpusEncoder;
  readonly pacing: Omit<PacingOptions, 'frameMs'>;
  /** Sentences checked and waiting for their turn to be spoken. */
  readonly sentenceQueue: number;
  /** The time to the first sound, shared out to the stages as timeouts. */
  readonly budget?: TurnBudgetOptions;
  /** Hears of every retry, for the log. */
  readonly onRetry?: (stage: BudgetStage, error: ProviderError, attempt: number) => void;
  /** Replies to the words children open a conversation with: served, and learned, at conversation starts. */
  readonly replies?: ReplyCache;
  readonly now?: () => number;
}

export interface TurnResult {
  readonly transcript: string;
  readonly reply: string;
  readonly outcome: TurnOutcome;
  readonly safety: readonly SafetyRecord[];
  readonly timings: Readonly<Record<string, number>>;
  /** True once the first audio frame went out: the child heard something. */
  readonly spoke: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The first chunk goes to the voice at a pause once it has this many words (bench/latency splits the same way). */
export const FIRST_CHUNK_COMMA_WORDS = 4;
/** Sentences whose synthesis starts before they are spoken: one is enough to hide a voice's first byte. */
const SENTENCES_AHEAD = 1;
/** Audio chunks a sentence made ahead may hold before its voice is asked to wait. */
const MAX_CHUNKS_AHEAD = 256;

interface Synthesis {
  readonly text: string;
  readonly audio: AsyncIterable<Int16Array>;
}
/**
 * One turn as a streaming chain: STT, safety on the input, the LLM, sentence
 * splitting, safety on each sentence, TTS, Opus, paced downlink. The first
 * sentence is spoken while the LLM is still writing the next; the output check
 * of sentence n+1 runs while sentence n is synthesized and sent. One signal
 * cancels every stage.
 */
export async function runTurn(
  input: TurnInput,
  providers: TurnProviders,
  output: TurnOutput,
  options: TurnOptions,
  signal: AbortSignal,
): Promise<TurnResult> {
  const now = options.now ?? (() => performance.now());
  const timings: Record<string, number> = {};
  const mark = (name: string) => {
    const from = input.listenStoppedAt();
    if (timings[name] === undefined && from !== undefined) timings[name] = Math.max(0, Math.round(now() - from));
  };
  /** A stage's own time to its first byte (`<stage>Ttfb`), from when it was asked; the first occurrence counts. */
  const ttfb = (stage: string, askedAt: number) => {
    const name = `${stage}Ttfb`;
    if (timings[name] === undefined) timings[name] = Math.max(0, Math.round(now() - askedAt));
  };
  const budgetOptions = options.budget ?? DEFAULT_TURN_BUDGET;
  let budget: TurnBudget | undefined;
  // The budget runs from listen stop: the child's talking is not the toy's delay.
  const turnBudget = () => (budget ??= new TurnBudget(budgetOptions, input.listenStoppedAt() ?? now(), now));
  /** Sentences after the first have no first sound to race for: each gets the stall limit. */
  const sentenceBudget = () => new TurnBudget({ ...budgetOptions, totalMs: budgetOptions.stallMs }, now(), now);
  const retried = (stage: BudgetStage) => (error: ProviderError, attempt: number) => options.onRetry?.(stage, error, attempt);
  let ttsFailed = false;
  const safety: SafetyRecord[] = [];
  const spoken: string[] = [];
  let transcript = '';
  let sentenceIndex = 0;
  let started = false;

  /** `firstBudget`: the first sentence's time; normally what is left of the turn's budget. */
  const speak = async (sentences: AsyncIterable<string>, tts: Tts = providers.tts, firstBudget: () => TurnBudget = turnBudget) => {
    const frames = synthesize(sentences, tts, firstBudget, (text) => {
      spoken.push(text);
      output.reply(sentenceIndex++, text);
    });
    await paceFrames(frames, (packet) => {
      if (!started) {
        started = true;
        output.speakStart();
        mark('firstAudio');
      }
      output.audio(packet);
    }, { ...options.pacing, frameMs: options.downlink.frameMs }, signal);
  };

  /**
   * Sentences to Opus frames. The next sentence's synthesis starts while this one is still
   * being sent, so a slow voice's first byte is hidden behind the audio already playing.
   */
  async function* synthesize(sentences: AsyncIterable<string>, tts: Tts, firstBudget: () => TurnBudget, announce: (text: string) => void): AsyncIterable<Uint8Array> {
    const chunker = new FrameChunker(frameSamples(options.downlink));
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const start = (text: string, index: number): Synthesis => {
      const stageBudget = index === 0 ? firstBudget() : sentenceBudget();
      const audio = new BoundedQueue<Int16Array>(MAX_CHUNKS_AHEAD);
      const askedAt = now();
      void (async () => {
        try {
          for await (const pcm of streamWithinBudget('tts', stageBudget, stop.signal, (s) => tts.synthesize(text, input.toy.voice, s), retried('tts'))) {
            mark('ttsFirstByte');
            ttfb('tts', askedAt);
            await audio.whenWritable();
            if (!audio.push(pcm)) return;
          }
          audio.end();
        } catch (error) {
          if (!stop.signal.aborted) ttsFailed = true;
          audio.fail(error);
        }
      })();
      return { text, audio };
    };
    try {
      for await (const sentence of startAhead(sentences, start, { depth: SENTENCES_AHEAD })) {
        announce(sentence.text);
        for await (const pcm of sentence.audio) {
          for (const frame of chunker.push(pcm)) yield options.encoder.encode(frame);
        }
      }
      const last = chunker.flush();
      if (last) yield options.encoder.encode(last);
    } finally {
      // A sentence made ahead but never spoken (the turn was cut) stops costing anything.
      stop.abort(new Error('speaking ended'));
      signal.removeEventListener('abort', onAbort);
    }
  }

  const finish = (outcome: TurnOutcome, error?: unknown): TurnResult => {
    mark('total');
    const result = { transcript, reply: spoken.join(' '), outcome, safety, timings, spoke: started };
    if (error === undefined) return result;
    const e = error as { code?: string; message?: string };
    return { ...result, error: { code: e.code ?? 'internal', message: String(e.message ?? error) } };
  };

  try {
    const heard = await transcribeWithinBudget(providers.stt, input.audio, turnBudget, signal, retried('stt'));
    transcript = heard.text;
    mark('stt');
    output.transcript(transcript);
    if (transcript === '') {
      await speak(once(heard.rejected ? DIDNT_CATCH : DIDNT_HEAR));
      return finish('not_understood');
    }

    const replies = input.conversationStart ? options.replies : undefined;
    const cached = replies?.lookup(input.toy, transcript);
    if (cached !== undefined) {
      // The same words were checked, answered and checked again when this reply was made.
      mark('replyCache');
      // The verdicts stand for these words: the record shows what this child said, not the cached prompt.
      safety.push(...cached.safety.map((record) => (record.direction === 'input' ? { ...record, text: transcript } : record)));
      await speak(list(cached.sentences));
      return finish('answered');
    }

    const safetyAskedAt = now();
    // The prompt (memory, knowledge) is gathered while the words are checked: it costs no time of its own.
    const prompt = (input.messages ?? plainMessages(input.toy))(transcript, signal);
    prompt.catch(() => undefined);
    const inputVerdict = await withinBudget('safetyIn', turnBudget(), signal, (s) => providers.safety.check(transcript, 'input', s), retried('safetyIn'));
    safety.push({ ...inputVerdict, direction: 'input', text: transcript });
    mark('safetyIn');
    ttfb('safetyIn', safetyAskedAt);
    if (!inputVerdict.allowed) {
      await speak(once(gentleRedirect(input.toy, inputVerdict.category, 'input')));
      return finish('blocked');
    }

    const messages = await prompt;
    const checked = new BoundedQueue<string>(options.sentenceQueue);
    let blocked = false;
    const generation = new AbortController();
    const stopGeneration = () => generation.abort(signal.reason);
    signal.addEventListener('abort', stopGeneration, { once: true });
    const producing = (async () => {
      try {
        const llmAskedAt = now();
        const stream = streamWithinBudget('llm', turnBudget(), generation.signal, (s) => providers.llm.stream({ messages, toy: input.toy }, s), retried('llm'));
        const tokens = tap(stream, () => {
          mark('llmFirstToken');
          ttfb('llm', llmAskedAt);
        });
        let firstSentence = true;
        // The first words go to the voice at the first pause, not the first full stop: the child hears sooner.
        for await (const sentence of splitSentences(tokens, { firstChunkCommaWords: FIRST_CHUNK_COMMA_WORDS })) {
          mark('firstSentence');
          const checkBudget = firstSentence ? turnBudget() : sentenceBudget();
          firstSentence = false;
          const checkAskedAt = now();
          const verdict = await withinBudget('safetyOut', checkBudget, signal, (s) => providers.safety.check(sentence, 'output', s), retried('safetyOut'));
          ttfb('safetyOut', checkAskedAt);
          safety.push({ ...verdict, direction: 'output', text: sentence });
          await checked.whenWritable();
          if (!verdict.allowed) {
            blocked = true;
            checked.push(gentleRedirect(input.toy, verdict.category, 'output'));
            generation.abort(new Error('output blocked'));
            break;
          }
          checked.push(sentence);
        }
        checked.end();
      } catch (error) {
        checked.fail(error);
      } finally {
        signal.removeEventListener('abort', stopGeneration);
      }
    })();
    try {
      await speak(checked);
    } catch (error) {
      // Speaking failed or was cut: stop the writer too, so it is not left waiting for room.
      generation.abort(error);
      checked.fail(error);
      throw error;
    } finally {
      await producing;
    }
    if (!blocked && input.anonymous === true) replies?.learn(input.toy, transcript, { sentences: spoken, safety });
    return finish(blocked ? 'blocked' : 'answered');
  } catch (error) {
    if (signal.aborted) return finish('aborted', { code: 'aborted', message: String((signal.reason as Error)?.message ?? signal.reason) });
    // Whatever broke, the child hears something kind rather than silence, if nothing was said yet.
    if (!started) {
      try {
        // If the voice is what failed, the fallback voice says it.
        // A fallback line made ahead in the toy's own voice needs no network; otherwise the offline voice says it.
        const ready = providers.tts.has?.(FALLBACK, input.toy.voice) === true;
        const voiceFailed = providers.fallbackTts !== undefined && ttsFailed && !ready;
        // The failure may have spent the turn's budget: the fallback gets a sentence's own time.
        await speak(once(FALLBACK), voiceFailed ? providers.fallbackTts : providers.tts, sentenceBudget);
      } catch {
        // The voice itself failed; the session reports the error to the device.
      }
    }
    return finish('failed', error instanceof ProviderError ? error : { code: 'internal', message: (error as Error).message });
  }
}

async function* once(text: string): AsyncIterable<string> {
  yield text;
}

function plainMessages(toy: ToyProfile) {
  return async (transcript: string): Promise<readonly ChatMessage[]> => [
    { role: 'system', content: systemPrompt(toy) },
    { role: 'user', content: transcript },
  ];
}

async function* list(texts: readonly string[]): AsyncIterable<string> {
  yield* texts;
}

async function* tap<T>(source: AsyncIterable<T>, first: () => void): AsyncIterable<T> {
  for await (const item of source) {
    first();
    yield item;
  }
}
