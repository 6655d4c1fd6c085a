/** A short song in words; each line is spoken as its own sentence. */
export interface CompanionSong {
  readonly title: string;
  readonly lines: readonly string[];
}

export const COMPANION_SONGS: readonly CompanionSong[] = Object.freeze([
  {
    title: 'Good Morning Sunshine',
    lines: [
      'Good morning, sunshine, up so high!',
      'Good morning, birdies, in the sky!',
      'Stretch your arms and touch your toes!',
      'Wiggle your fingers and wiggle your nose!',
      'La la la, a brand new day, let us go outside and play!',
    ],
  },
  {
    title: 'Little Stars',
    lines: [
      'Little stars are shining bright.',
      'Little moon says good night.',
      'Close your eyes and dream away.',
      'Tomorrow is another day.',
      'Hush now, hush now, sleep so tight.',
    ],
  },
  {
    title: 'The Farm Song',
    lines: [
      'The cow goes moo and the duck goes quack!',
      'The sheep says baa and the horse neighs back!',
      'The dog says woof and the cat says meow!',
      'Everybody on the farm is singing now!',
    ],
  },
  {
    title: 'Splish Splash',
    lines: [
      'Splish splash, rain on the ground!',
      'Jump in the puddles, hear the sound!',
      'Drip drop, drip drop, rain on my hat!',
      'Jump up high, and that is that!',
    ],
  },
]);
