import { abortError } from '../provider-error.js';
import type { ToyProfile } from '../../toy/toy-profile.js';
import type { ChatMessage, Llm, LlmRequest } from './llm.js';
import { COMPANION_JOKES } from './companion-jokes.js';
import { companionPhrases } from './companion-phrases.js';
import { COMPANION_SONGS } from './companion-songs.js';
import { COMPANION_STORIES } from './companion-stories.js';
import { understand } from './companion-intent.js';
import type { Intent } from './companion-intent.js';
import * as replies from './companion-replies.js';

export interface OfflineCompanionOptions {
  /**
   * A source of numbers in [0, 1). When given, stories, songs and jokes are picked at random
   * (never the same one twice in a row); without it they come in turn, so none repeats early.
   */
  readonly random?: () => number;
}

type Collection = 'story' | 'song' | 'joke';

/**
 * The toy's voice when no cloud model is reachable: it understands the phrases of a small
 * grammar and answers from its own stories, songs, jokes and facts, in the toy's name.
 */
export class OfflineCompanion implements Llm {
  readonly name = 'offline-companion';
  private readonly random: (() => number) | undefined;
  private readonly lastPicked: Record<Collection, number> = { story: -1, song: -1, joke: -1 };

  constructor(options: OfflineCompanionOptions = {}) {
    this.random = options.random;
  }

  /** Every sentence this companion understands, for the offline recogniser's grammar. */
  phrases(toy: ToyProfile): string[] {
    return companionPhrases(toy);
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    if (signal.aborted) throw abortError(signal);
    const sentences = this.answer(lastUserText(request.messages), request.toy);
    for (let i = 0; i < sentences.length; i++) {
      // Yield to the event loop between sentences so the answer is truly streamed and an abort can land.
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal.aborted) throw abortError(signal);
      // A trailing space tells a sentence splitter downstream that this sentence is complete.
      yield i < sentences.length - 1 ? `${sentences[i]} ` : sentences[i]!;
    }
  }

  /** The answer to one transcript, as the sentences that will be streamed. */
  answer(transcript: string, toy: ToyProfile): string[] {
    return this.reply(understand(transcript, toy), toy);
  }

  private reply(intent: Intent, toy: ToyProfile): string[] {
    switch (intent.kind) {
      case 'story':
        return replies.storyReply(COMPANION_STORIES[this.pick('story', COMPANION_STORIES.length)]!);
      case 'song':
        return replies.songReply(toy, COMPANION_SONGS[this.pick('song', COMPANION_SONGS.length)]!);
      case 'joke':
        return replies.jokeReply(COMPANION_JOKES[this.pick('joke', COMPANION_JOKES.length)]!);
      case 'animal':
        return replies.animalReply(intent.animal);
      case 'fact':
        return replies.factReply(intent.fact.answer);
      case 'name':
        return replies.nameReply(toy);
      case 'help':
        return replies.helpReply(toy);
      case 'birthday':
        return replies.birthdayReply(toy);
      case 'feeling':
        return replies.feelingReply(intent.feeling);
      case 'thanks':
        return replies.thanksReply(toy);
      case 'love':
        return replies.loveReply(toy);
      case 'greeting':
        return replies.greetingReply(toy, intent.greeting);
      case 'unknown':
        return replies.unknownReply(toy);
    }
  }

  private pick(collection: Collection, count: number): number {
    const last = this.lastPicked[collection];
    let index: number;
    if (this.random === undefined) {
      index = (last + 1) % count;
    } else {
      index = Math.min(count - 1, Math.floor(this.random() * count));
      if (index === last && count > 1) index = (index + 1) % count;
    }
    this.lastPicked[collection] = index;
    return index;
  }
}

function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role === 'user') return message.content;
  }
  return '';
}
