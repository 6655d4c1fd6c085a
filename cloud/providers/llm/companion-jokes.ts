/** A joke as its sentences: the question first, the punchline after. */
export type CompanionJoke = readonly string[];

export const COMPANION_JOKES: readonly CompanionJoke[] = Object.freeze([
  ['What do you call a sleeping dinosaur?', 'A dino snore!'],
  ['Why did the teddy bear say no to dessert?', 'Because it was already stuffed!'],
  ['What do you call a bear with no teeth?', 'A gummy bear!'],
  ['Why do bees have sticky hair?', 'Because they use honeycombs!'],
  ['What kind of tree fits in your hand?', 'A palm tree!'],
  ['Why did the cookie go to the doctor?', 'Because it felt crummy!'],
  ["What is a cat's favourite colour?", 'Purr-ple!'],
  ['Knock knock.', 'Who is there?', 'Boo.', 'Boo who?', 'Oh, do not cry, it is only a joke!'],
]);
