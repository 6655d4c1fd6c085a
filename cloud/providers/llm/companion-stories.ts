/** A short story the offline companion tells, one sentence per entry so it can be streamed. */
export interface CompanionStory {
  readonly title: string;
  readonly sentences: readonly string[];
}

export const COMPANION_STORIES: readonly CompanionStory[] = Object.freeze([
  {
    title: 'The Sleepy Star',
    sentences: [
      'Once upon a time, a little star named Twinkle was too sleepy to shine.',
      'The moon tucked her in with a soft blanket made of moonbeams.',
      'Twinkle took a tiny nap behind a fluffy cloud.',
      'When she woke up, she shone brighter than ever before.',
      'All the children below waved and whispered, good night, Twinkle!',
    ],
  },
  {
    title: 'Sam the Slow Snail',
    sentences: [
      'A little snail named Sam wanted to see the top of the garden wall.',
      'The wall was very high, and Sam was very slow.',
      'Every day he climbed a tiny bit, and his friend the ladybug cheered him on.',
      'At last he reached the top and saw the whole garden glowing in the sunset.',
      'Sam learned that small steady steps can take you a very long way.',
    ],
  },
  {
    title: 'The Wolf Who Wanted a Friend',
    sentences: [
      'Once there was a wolf who huffed and puffed because he felt lonely.',
      'Three little pigs peeked out of their brick house and asked him what was wrong.',
      'I just want someone to play with, said the wolf.',
      'So the pigs invited him in for warm soup and a game of hide and seek.',
      'From that day on, the wolf and the pigs were the very best of friends.',
    ],
  },
  {
    title: 'Bo and the Magic Paint',
    sentences: [
      'One rainy morning, a little bear named Bo found a box of magic paint.',
      'He painted stripes of red, orange, yellow, green, blue and purple across the sky.',
      'The rain stopped to look, and the sun came out to smile.',
      'Everyone in the forest came outside to see the very first rainbow.',
      'Bo was happy, because sharing beautiful things makes them even more beautiful.',
    ],
  },
  {
    title: 'The Lost Mitten',
    sentences: [
      'A kitten named Pip lost her red mitten in the snow.',
      'She asked the rabbit, the fox and the owl, but nobody had seen it.',
      'Then she heard a tiny squeak coming from under the old tree.',
      'A little mouse had made the mitten into a cozy bed!',
      'Pip smiled and said, you can keep it, little mouse, I have a warm scarf instead.',
    ],
  },
  {
    title: 'Ziggy the Bubble Dragon',
    sentences: [
      'In a castle on a hill lived a small green dragon named Ziggy.',
      'Other dragons puffed out smoke, but Ziggy could only blow bubbles.',
      'At first he felt shy, but the children in the village loved his shiny bubbles.',
      'Every summer they held a bubble party, and Ziggy was the star of the show.',
      'Ziggy learned that being different is what makes you special.',
    ],
  },
]);
