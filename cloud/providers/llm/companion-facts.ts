import type { ToyFact } from '../../toy/toy-profile.js';

/**
 * A few things every toy knows about the world, asked the way a small child asks.
 * The toy's own knowledge comes first; these only answer what it does not cover.
 */
export const COMPANION_FACTS: readonly ToyFact[] = Object.freeze([
  {
    keywords: ['sky'],
    questions: ['why is the sky blue'],
    answer: 'Sunlight is made of many colours, and the air scatters the blue light all around. That is why the sky looks blue!',
  },
  {
    keywords: ['rainbow', 'rainbows'],
    questions: ['what is a rainbow', 'how is a rainbow made'],
    answer: 'A rainbow appears when sunshine shines through tiny raindrops. The light splits into red, orange, yellow, green, blue and purple!',
  },
  {
    keywords: ['spider', 'spiders'],
    questions: ['how many legs does a spider have'],
    answer: 'A spider has eight legs. That is a lot of legs for dancing!',
  },
  {
    keywords: ['bee', 'bees', 'honey'],
    questions: ['what do bees make'],
    answer: 'Bees make honey from the sweet nectar inside flowers. Buzz, buzz!',
  },
  {
    keywords: ['moon'],
    questions: ['what is the moon'],
    answer: 'The moon is a big round rock that travels around our Earth. It glows at night because the sun shines on it!',
  },
  {
    keywords: ['stars'],
    questions: ['what are stars'],
    answer: 'Stars are giant balls of hot glowing gas, very very far away. Our sun is a star too!',
  },
  {
    keywords: ['sun'],
    questions: ['where does the sun go at night'],
    answer: 'The sun does not really go away. Our Earth spins around, and when our side faces away from the sun, it is night time!',
  },
  {
    keywords: ['dinosaur', 'dinosaurs'],
    questions: ['tell me about dinosaurs'],
    answer: 'Dinosaurs were amazing animals that lived a very long time ago. Some were as tall as a house, and some were as small as a chicken!',
  },
  {
    keywords: ['purr', 'purrs'],
    questions: ['why do cats purr'],
    answer: 'Cats often purr when they feel happy and cozy. It sounds like a tiny engine going rumble, rumble!',
  },
]);
