import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import type { ToyProfile } from '../../toy/toy-profile.js';
import { COMPANION_ANIMALS } from './companion-animals.js';
import { understand } from './companion-intent.js';
import { COMPANION_JOKES } from './companion-jokes.js';
import { companionPhraseGroups } from './companion-phrases.js';
import { COMPANION_SONGS } from './companion-songs.js';
import { COMPANION_STORIES } from './companion-stories.js';
import type { ChatMessage } from './llm.js';
import { OfflineCompanion } from './offline-companion.js';

const TURTLE: ToyProfile = {
  id: 'tilly',
  name: 'Tilly',
  personality: 'a gentle turtle who loves the sea',
  voice: { espeakVoice: 'en-gb', pitch: 50, speed: 140 },
  knowledge: [
    { keywords: ['shell'], questions: ['why do you have a shell'], answer: 'My shell is my cozy little house. I take it everywhere!' },
    { keywords: ['ice cream'], questions: ['do you like ice cream'], answer: 'Seaweed ice cream is my favourite!' },
  ],
};

const DONT_KNOW = "Hmm, I don't know that one yet.";
const CMU_DICT = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';

async function pieces(companion: OfflineCompanion, text: string, toy: ToyProfile = DEFAULT_TOY): Promise<string[]> {
  const out: string[] = [];
  const messages: ChatMessage[] = [{ role: 'user', content: text }];
  for await (const piece of companion.stream({ messages, toy }, new AbortController().signal)) out.push(piece);
  return out;
}

async function say(companion: OfflineCompanion, text: string, toy: ToyProfile = DEFAULT_TOY): Promise<string> {
  return (await pieces(companion, text, toy)).join('');
}

t.test('answers every intent', async (t) => {
  const companion = new OfflineCompanion();
  const cases: Array<[string, RegExp]> = [
    ['hello', /Hello, friend! It is me, Pommai\./],
    ['hi there pommai', /Hello, friend!/],
    ['good morning', /Good morning/],
    ['good afternoon', /Good afternoon/],
    ['good evening', /Good evening/],
    ['good night', /Sweet dreams/],
    ['goodnight', /Sweet dreams/],
    ['how are you', /I feel wonderful/],
    ['bye bye', /Bye bye!/],
    ['see you later', /Come back and play soon/],
    ['what is your name', /My name is Pommai!/],
    ["what's your name", /My name is Pommai!/],
    ['who are you', /My name is Pommai!/],
    ['what can you do', /tell you stories/],
    ['tell me a story', /Here is a story called/],
    ['story please', /Here is a story called/],
    ['sing me a song', /will sing a song called/],
    ['can you sing', /will sing a song called/],
    ['tell me a joke', /\?/],
    ['say something funny', /Hee hee!/],
    ['what does a cow say', /The cow says moo!/],
    ['what does the dog say', /The dog says woof woof!/],
    ['what do cows say', /The cow says moo!/],
    ['what noise does a duck make', /The duck says quack quack!/],
    ['how old are you', /five bunny years old/],
    ['what is your favorite color', /orange/],
    ['what is your favourite colour', /orange/],
    ['what do you like to eat', /carrots/],
    ['where do you live', /burrow/],
    ['why is the sky blue', /scatters the blue light/],
    ['how many legs does a spider have', /eight legs/],
    ['why do cats purr', /purr when they feel happy/],
    ['thank you', /You are very welcome!/],
    ['thanks a lot', /You are very welcome!/],
    ['i love you', /I love you too!/],
    ['you are my best friend', /I love you too!/],
    ['i am sad', /hug/],
    ["i'm scared", /right here with you/],
    ['i am bored', /have some fun/],
    ['it is my birthday', /Happy birthday/],
    ['can you fly a rocket to mars', /don't know that one yet/],
  ];
  for (const [text, expected] of cases) t.match(await say(companion, text), expected, text);
});

t.test('speaks in the name and personality of the toy it is given', async (t) => {
  const companion = new OfflineCompanion();
  const name = await say(companion, 'what is your name', TURTLE);
  t.match(name, /My name is Tilly!/);
  t.match(name, /I am a gentle turtle who loves the sea\./);
  t.match(await say(companion, 'how are you', TURTLE), /a gentle turtle who loves the sea/);
  t.match(await say(companion, 'hello', TURTLE), /It is me, Tilly\./);
  t.match(await say(companion, 'sing a song', TURTLE), /^Tilly will sing a song called/);
  t.match(await say(companion, 'what are you unable to answer', TURTLE), /Tilly is still learning!/);
  t.notMatch(await say(companion, 'hello', TURTLE), /Pommai/);
});

t.test("uses the toy's own knowledge, keyword phrases included, before general facts", async (t) => {
  const companion = new OfflineCompanion();
  t.match(await say(companion, 'why do you have a shell', TURTLE), /cozy little house/);
  t.match(await say(companion, 'tell me about your shell', TURTLE), /cozy little house/, 'by keyword');
  t.match(await say(companion, 'do you like ice cream', TURTLE), /Seaweed ice cream/);
  t.match(await say(companion, 'how old are you', TURTLE), /don't know that one yet/, 'another toy’s fact is not its own');
});

t.test('streams each sentence as its own piece', async (t) => {
  const companion = new OfflineCompanion();
  const story = await pieces(companion, 'tell me a story');
  t.ok(story.length >= 6, `a story comes in ${story.length} pieces`);
  t.match(story[0], /^Here is a story called The Sleepy Star\. $/);
  t.equal(story.at(-1), 'The end.', 'the last piece has no trailing space');
  for (const piece of story.slice(0, -1)) t.match(piece, /[.!?] $/, 'every other piece is one finished sentence');

  // The generator must not have produced the second sentence before it is asked for.
  const iterator = companion
    .stream({ messages: [{ role: 'user', content: 'tell me a story' }], toy: DEFAULT_TOY }, new AbortController().signal)
    [Symbol.asyncIterator]();
  const first = await iterator.next();
  t.notOk(first.done);
  const second = await iterator.next();
  t.notOk(second.done);
  t.not(first.value, second.value);
  await iterator.return?.();
});

t.test('answers the last thing the child said', async (t) => {
  const companion = new OfflineCompanion();
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You are a toy.' },
    { role: 'user', content: 'tell me a joke' },
    { role: 'assistant', content: 'What do you call a sleeping dinosaur? A dino snore!' },
    { role: 'user', content: 'what does a lion say' },
  ];
  const out: string[] = [];
  for await (const piece of companion.stream({ messages, toy: DEFAULT_TOY }, new AbortController().signal)) out.push(piece);
  t.match(out.join(''), /The lion says roar!/);
});

t.test('an empty transcript gets the kind fallback, not an error', async (t) => {
  t.match(await say(new OfflineCompanion(), ''), /don't know that one yet/);
});

t.test('stories, songs and jokes come in turn without repeating', async (t) => {
  const companion = new OfflineCompanion();
  const titles = new Set<string>();
  for (let i = 0; i < COMPANION_STORIES.length; i++) titles.add((await pieces(companion, 'tell me a story'))[0]!);
  t.equal(titles.size, COMPANION_STORIES.length, 'every story once');
  const songs = new Set<string>();
  for (let i = 0; i < COMPANION_SONGS.length; i++) songs.add((await pieces(companion, 'sing a song'))[0]!);
  t.equal(songs.size, COMPANION_SONGS.length, 'every song once');
  const jokes = new Set<string>();
  for (let i = 0; i < COMPANION_JOKES.length; i++) jokes.add((await pieces(companion, 'tell me a joke'))[0]!);
  t.equal(jokes.size, COMPANION_JOKES.length, 'every joke once');
  t.match((await pieces(companion, 'tell me a story'))[0], /The Sleepy Star/, 'and round again');
});

t.test('picks at random with an injected source, never the same twice in a row', async (t) => {
  const stuck = new OfflineCompanion({ random: () => 0 });
  const first = (await pieces(stuck, 'tell me a story'))[0];
  const second = (await pieces(stuck, 'tell me a story'))[0];
  t.match(first, /The Sleepy Star/);
  t.not(first, second);
  const high = new OfflineCompanion({ random: () => 0.99 });
  t.match((await pieces(high, 'tell me a story'))[0], /Ziggy the Bubble Dragon/);
});

t.test('the content is short and gentle in shape', async (t) => {
  for (const story of COMPANION_STORIES) {
    t.ok(story.sentences.length >= 4 && story.sentences.length <= 6, `${story.title} has 4-6 sentences`);
  }
  t.ok(COMPANION_STORIES.length >= 3);
  t.ok(COMPANION_SONGS.length >= 3);
  t.ok(COMPANION_JOKES.length >= 3);
});

t.test('abort stops the stream', async (t) => {
  const companion = new OfflineCompanion();
  const controller = new AbortController();
  const got: string[] = [];
  const run = (async () => {
    for await (const piece of companion.stream({ messages: [{ role: 'user', content: 'tell me a story' }], toy: DEFAULT_TOY }, controller.signal)) {
      got.push(piece);
      controller.abort(new Error('barge-in'));
    }
  })();
  await t.rejects(run, { code: 'aborted', retryable: false });
  t.equal(got.length, 1, 'nothing after the abort');

  const already = new AbortController();
  already.abort();
  const iterator = companion.stream({ messages: [{ role: 'user', content: 'hello' }], toy: DEFAULT_TOY }, already.signal)[Symbol.asyncIterator]();
  await t.rejects(iterator.next(), { code: 'aborted' });
});

t.test('the phrase list for the recogniser', async (t) => {
  const companion = new OfflineCompanion();
  const phrases = companion.phrases(DEFAULT_TOY);
  t.ok(phrases.length >= 60 && phrases.length <= 120, `${phrases.length} phrases`);
  t.equal(new Set(phrases).size, phrases.length, 'no duplicates');
  for (const phrase of phrases) t.match(phrase, /^[a-z]+( [a-z]+)*$/, 'lower case words, no punctuation');
  t.ok(companion.phrases(TURTLE).includes('why do you have a shell'), "the toy's questions feed the grammar");

  for (const group of companionPhraseGroups(DEFAULT_TOY)) {
    for (const phrase of group.phrases) {
      t.equal(understand(phrase, DEFAULT_TOY).kind, group.kind, `"${phrase}" is understood as ${group.kind}`);
      t.notMatch(await say(companion, phrase), DONT_KNOW, `"${phrase}" gets a real answer`);
    }
  }
  for (const animal of COMPANION_ANIMALS) {
    t.match(await say(companion, `what sound does a ${animal.name} make`), `says ${animal.sound}!`);
  }
});

t.test('every phrase word is in the recogniser dictionary', { skip: existsSync(CMU_DICT) ? false : 'no CMU dictionary here' }, async (t) => {
  const words = new Set(
    readFileSync(CMU_DICT, 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[0]!),
  );
  const phrases = new OfflineCompanion().phrases(DEFAULT_TOY);
  const missing = [...new Set(phrases.flatMap((p) => p.split(' ')))].filter((w) => !words.has(w));
  t.same(missing, [], 'all words known');
});
