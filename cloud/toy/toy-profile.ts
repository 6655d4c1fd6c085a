/** A fact the toy knows about itself or its world, found by its keywords. */
export interface ToyFact {
  /** Words that make this fact the answer, lower case ("colour", "color"). */
  readonly keywords: readonly string[];
  /** How a child would ask, used to teach the offline recogniser ("what is your favourite colour"). */
  readonly questions: readonly string[];
  readonly answer: string;
}

export interface ToyVoice {
  /** espeak-ng voice name (en-us, en-gb, en-us+f3, ...). */
  readonly espeakVoice: string;
  /** espeak-ng pitch, 0-99. */
  readonly pitch: number;
  /** Words per minute. */
  readonly speed: number;
  /** The ElevenLabs voice for this toy; without one the gateway's default ElevenLabs voice speaks. */
  readonly elevenLabsVoiceId?: string;
}

/** Who the toy is: its name, its manner, its voice and what it knows. */
export interface ToyProfile {
  readonly id: string;
  readonly name: string;
  /** One line the companion and an LLM's system prompt both use ("a cheerful bunny who loves carrots"). */
  readonly personality: string;
  readonly voice: ToyVoice;
  readonly knowledge: readonly ToyFact[];
}

export const DEFAULT_TOY: ToyProfile = Object.freeze({
  id: 'pommai',
  name: 'Pommai',
  personality: 'a cheerful, curious bunny who loves carrots, songs and stories',
  voice: Object.freeze({ espeakVoice: 'en-us+f3', pitch: 70, speed: 150 }),
  knowledge: Object.freeze([
    {
      keywords: ['colour', 'color'],
      questions: ['what is your favourite colour', 'what is your favorite color'],
      answer: 'My favourite colour is orange, just like a crunchy carrot!',
    },
    {
      keywords: ['old', 'age'],
      questions: ['how old are you'],
      answer: 'I am five bunny years old. That is quite grown up for a bunny!',
    },
    {
      keywords: ['food', 'eat'],
      questions: ['what is your favourite food', 'what do you like to eat'],
      answer: 'I love carrots most of all, and a little bit of lettuce too.',
    },
    {
      keywords: ['live', 'home'],
      questions: ['where do you live'],
      answer: 'I live right here with you, and my burrow is wherever you are!',
    },
  ]),
});
