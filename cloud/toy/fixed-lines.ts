/** The toy says these without asking the language model, so they can be made ahead in its voice. */
export const DIDNT_CATCH = "I didn't catch that. Can you say it again?";
export const DIDNT_HEAR = "I didn't hear anything. Hold my button while you talk to me!";
/** Said when a stage failed and the turn has nothing else to say. */
export const FALLBACK = 'Oh dear, my thinking got a bit muddled. Can you ask me again?';

export const FIXED_LINES: readonly string[] = Object.freeze([DIDNT_CATCH, DIDNT_HEAR, FALLBACK]);
