import type { ToyProfile } from '../../toy/toy-profile.js';
import type { CompanionAnimal } from './companion-animals.js';
import type { CompanionJoke } from './companion-jokes.js';
import type { CompanionSong } from './companion-songs.js';
import type { CompanionStory } from './companion-stories.js';
import type { Feeling, Greeting } from './companion-intent.js';

/** The companion's answers, each as the sentences it speaks one after another. */

export function greetingReply(toy: ToyProfile, greeting: Greeting): string[] {
  switch (greeting) {
    case 'hello':
      return [`Hello, friend! It is me, ${toy.name}.`, 'What shall we do today?'];
    case 'morning':
      return ['Good morning, sunshine!', 'Did you sleep well?', 'I am ready for a happy day with you.'];
    case 'afternoon':
      return ['Good afternoon!', `${toy.name} is so happy to see you.`];
    case 'evening':
      return ['Good evening!', 'Would you like a cozy story before bed?'];
    case 'night':
      return ['Good night!', 'Sweet dreams, and sleep tight.', 'I will be right here when you wake up.'];
    case 'how_are_you':
      return ['I feel wonderful, thank you for asking!', `I am ${toy.personality}, so every day is a good day.`, 'How are you?'];
    case 'goodbye':
      return ['Bye bye!', `${toy.name} will miss you.`, 'Come back and play soon!'];
  }
}

export function nameReply(toy: ToyProfile): string[] {
  return [`My name is ${toy.name}!`, `I am ${toy.personality}.`];
}

export function helpReply(toy: ToyProfile): string[] {
  return [
    `${toy.name} can tell you stories, sing songs and tell jokes.`,
    'I know what the animals say, and lots of fun facts too.',
    'What would you like?',
  ];
}

export function birthdayReply(toy: ToyProfile): string[] {
  return ['Happy birthday to you!', `${toy.name} wishes you the happiest day ever.`, 'Hip hip, hooray!'];
}

const FEELING_REPLIES: Readonly<Record<Feeling, readonly string[]>> = {
  sad: ['I am sorry you feel sad.', 'Here is a big soft hug for you.', 'It can help to tell a grown-up how you feel, too.'],
  scared: ['It is okay to feel scared sometimes.', 'I am right here with you.', 'A grown-up you trust can help you feel safe.'],
  angry: ['It is okay to feel cross.', 'Let us take a big slow breath together.', 'In, and out. That feels a little better.'],
  tired: ['Maybe it is time for a little rest.', 'Shall I tell you a quiet story?'],
  bored: ['Let us have some fun!', 'I can tell you a story, sing a song or tell a joke.'],
  hungry: ['Oh, a rumbly tummy!', 'Maybe a grown-up can help you find a yummy snack.'],
  happy: ['Hooray!', 'I am so happy that you are happy!'],
};

export function feelingReply(feeling: Feeling): string[] {
  return [...FEELING_REPLIES[feeling]];
}

export function thanksReply(toy: ToyProfile): string[] {
  return ['You are very welcome!', `${toy.name} is always happy to help.`];
}

export function loveReply(toy: ToyProfile): string[] {
  return ['Aww, I love you too!', `You are ${toy.name}'s very best friend.`];
}

export function animalReply(animal: CompanionAnimal): string[] {
  const sound = animal.sound[0]!.toUpperCase() + animal.sound.slice(1);
  return [`The ${animal.name} says ${animal.sound}!`, `${sound}!`, `Can you say ${animal.sound} too?`];
}

export function factReply(answer: string): string[] {
  return answer.split(/(?<=[.!?])\s+/).filter((s) => s !== '');
}

export function storyReply(story: CompanionStory): string[] {
  return [`Here is a story called ${story.title}.`, ...story.sentences, 'The end.'];
}

export function songReply(toy: ToyProfile, song: CompanionSong): string[] {
  return [`${toy.name} will sing a song called ${song.title}.`, ...song.lines];
}

export function jokeReply(joke: CompanionJoke): string[] {
  return [...joke, 'Hee hee!'];
}

export function unknownReply(toy: ToyProfile): string[] {
  return ["Hmm, I don't know that one yet.", `${toy.name} is still learning!`, 'Would you like a story, a song or a joke?'];
}
