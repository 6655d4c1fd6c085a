/** What an animal says, for "what does a cow say". */
export interface CompanionAnimal {
  readonly name: string;
  /** The word a child uses for more than one of them. */
  readonly plural: string;
  readonly sound: string;
}

export const COMPANION_ANIMALS: readonly CompanionAnimal[] = Object.freeze([
  { name: 'cow', plural: 'cows', sound: 'moo' },
  { name: 'dog', plural: 'dogs', sound: 'woof woof' },
  { name: 'cat', plural: 'cats', sound: 'meow' },
  { name: 'duck', plural: 'ducks', sound: 'quack quack' },
  { name: 'sheep', plural: 'sheep', sound: 'baa' },
  { name: 'pig', plural: 'pigs', sound: 'oink oink' },
  { name: 'horse', plural: 'horses', sound: 'neigh' },
  { name: 'lion', plural: 'lions', sound: 'roar' },
  { name: 'owl', plural: 'owls', sound: 'hoo hoo' },
  { name: 'frog', plural: 'frogs', sound: 'ribbit' },
  { name: 'chicken', plural: 'chickens', sound: 'cluck cluck' },
  { name: 'mouse', plural: 'mice', sound: 'squeak squeak' },
]);
