import { personalInfoSeverity } from '../providers/safety/personal-info.js';
import type { ConversationMessage } from '../store/store.js';
import { capTokens, estimateTokens } from './token-estimate.js';

/** How many of the child's latest words a plain summary keeps, and how long each may be. */
const QUESTIONS_KEPT = 3;
const QUESTION_TOKENS = 25;

/**
 * The running summary made without a language model, for when none is at hand, has failed, or
 * has not answered yet: the previous summary and the child's last few things said, within
 * `maxTokens`. The newest words win: the previous summary is cut from its start to make room.
 */
export function fallbackSummary(previous: string, trimmed: readonly ConversationMessage[], maxTokens: number): string {
  const said = trimmed
    // Words the safety filter finds personal (an address, a phone number, said in words too) are not kept at all.
    .filter((message) => message.role === 'user' && personalInfoSeverity(message.content, 'input') === 0)
    .map((message) => capTokens(redactPersonal(oneLine(message.content)), QUESTION_TOKENS))
    .filter((text) => text !== '' && text !== '…')
    .slice(-QUESTIONS_KEPT);
  let line = '';
  while (said.length > 0) {
    line = `The child said to me: ${said.map((text) => `"${text}"`).join('; ')}.`;
    if (estimateTokens(line) <= maxTokens) break;
    said.shift();
    line = '';
  }
  const room = line === '' ? maxTokens : maxTokens - estimateTokens(line) - 1;
  const kept = previous.trim() === '' || room < 8 ? '' : capTokens(previous.trim(), room, 'end');
  return [kept, line].filter((part) => part !== '').join(' ');
}

/**
 * Takes out what most plainly identifies or locates a child: numbers of two digits or more
 * (phones, house numbers, dates) and email addresses. A net, not a guarantee: the summary prompt
 * asks the model to leave out names of places, schools and people, which no pattern can find.
 */
export function redactPersonal(text: string): string {
  return text
    .replace(/[^\s@]+@[^\s@]+\.[^\s@]+/gu, '…')
    .replace(/[+(]*\p{N}(?:[\s().-]*\p{N})+\)?/gu, '…');
}

function oneLine(text: string): string {
  return text.replace(/\s+/gu, ' ').replace(/"/gu, "'").trim();
}
