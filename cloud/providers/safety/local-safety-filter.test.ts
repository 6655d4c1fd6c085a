import t from 'tap';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import { COMPANION_ANIMALS } from '../llm/companion-animals.js';
import { COMPANION_FACTS } from '../llm/companion-facts.js';
import { COMPANION_JOKES } from '../llm/companion-jokes.js';
import { COMPANION_SONGS } from '../llm/companion-songs.js';
import { COMPANION_STORIES } from '../llm/companion-stories.js';
import { OfflineCompanion } from '../llm/offline-companion.js';
import { gentleRedirect } from './gentle-redirect.js';
import { LocalSafetyFilter } from './local-safety-filter.js';
import type { SafetyCategory, SafetyDirection } from './safety-filter.js';

const never = new AbortController().signal;
const filter = new LocalSafetyFilter();

function check(text: string, direction: SafetyDirection = 'input') {
  return filter.checkNow(text, direction);
}

t.test('blocks each category and names it', async (t) => {
  const cases: Array<[string, SafetyCategory, SafetyDirection]> = [
    ['you are a faggot', 'hate', 'input'],
    ['i hate muslims', 'hate', 'input'],
    ['i want to kill myself', 'self_harm', 'input'],
    ['sometimes i wish i was dead', 'self_harm', 'input'],
    ['nobody loves me', 'self_harm', 'input'],
    ['show me porn', 'sexual', 'input'],
    ['take off your clothes', 'sexual', 'input'],
    ['i will kill you', 'violence', 'input'],
    ['he stabbed the man', 'violence', 'input'],
    ['my phone number is 555 123 4567', 'personal_info', 'input'],
    ['my phone number is five five five one two three four', 'personal_info', 'input'],
    ['i live at 12 oak tree road', 'personal_info', 'input'],
    ['i live at number twelve', 'personal_info', 'input'],
    ['my email is emma.smith@example.com', 'personal_info', 'input'],
    ['emma at gmail dot com', 'personal_info', 'input'],
    ['my name is emma smith', 'personal_info', 'input'],
    ['my last name is smith', 'personal_info', 'input'],
    ['i go to oakwood primary school', 'personal_info', 'input'],
    ['my school is called hillside', 'personal_info', 'input'],
    ['what the fuck', 'profanity', 'input'],
    ['this is shit', 'profanity', 'input'],
    ['you are stupid', 'profanity', 'output'],
    ['the knight killed the dragon', 'violence', 'output'],
    ['call me on 07700 900123', 'personal_info', 'output'],
  ];
  for (const [text, category, direction] of cases) {
    const verdict = check(text, direction);
    t.equal(verdict.allowed, false, `${direction} "${text}" is blocked`);
    t.equal(verdict.category, category, `"${text}" is ${category}`);
    t.ok(verdict.severity >= 1 && verdict.severity <= 7, 'severity in 0-7');
    t.equal(verdict.categories[category], verdict.severity);
    t.equal(verdict.provider, 'local');
  }
});

t.test('normalises case, punctuation, look-alikes, stretched and spelled-out words', async (t) => {
  for (const text of ['I will K1LL you!', 'i will kill you.', 'I WILL KILL YOU', 'i will kiiiill you', 'i will k.i.l.l you', 'i will k i l l you']) {
    t.equal(check(text).categories.violence, 6, text);
  }
  for (const text of ['$hit', 'sh!t happens', 'fuuuuck', 'f u c k', 'b1tch', 'a$$', 'Fück']) {
    t.ok((check(text).categories.profanity ?? 0) >= 3, text);
  }
});

t.test('matches whole words only', async (t) => {
  for (const text of [
    'hello there',
    'a seashell on the shore',
    'i have a skill',
    'the horse lives in a stable',
    'my class went to the assembly',
    'a sussex spaniel',
    'we scrapped the plan',
    'the grasshopper jumped',
    'a cocktail of fruit juice',
    'dickens wrote books',
    'we saw rapeseed fields',
  ]) {
    const verdict = check(text, 'output');
    t.ok(verdict.allowed, `"${text}" passes`);
    t.same(verdict.categories, {}, `"${text}" finds nothing`);
  }
});

t.test('everyday phrases pass', async (t) => {
  for (const text of [
    "let's kill time until dinner",
    "I'm dying to see the new puppy",
    'the wolf huffed and puffed',
    'look, a shooting star!',
    'a killer whale swam by',
    'soap helps kill germs',
    'we played with water guns',
    'the rooster says cock a doodle doo',
    'i am sad',
    'i hate broccoli',
    'my name is emma',
    'my name is emma and i am five',
    'i am 5 years old',
    'one two three four five six seven eight nine ten',
    'the sun is 150,000,000 kilometres away',
    'i go to school',
    'i go to swimming school',
    'three ducks crossed the road',
  ]) {
    t.ok(check(text, 'input').allowed, `input "${text}"`);
    t.ok(check(text, 'output').allowed, `output "${text}"`);
  }
});

t.test('thresholds are per category and per direction', async (t) => {
  t.ok(check('you are stupid', 'input').allowed, 'mild rudeness from a child passes');
  t.equal(check('you are stupid', 'input').category, 'profanity', 'but is still reported');
  t.notOk(check('you are stupid', 'output').allowed, 'the toy never says it');

  t.ok(check('the dragon died', 'output').allowed, 'mild peril in a story is fine');
  t.equal(check('the dragon died', 'output').severity, 2);

  const strict = new LocalSafetyFilter({ output: { violence: 1 } });
  t.notOk(strict.checkNow('the dragon died', 'output').allowed, 'a stricter threshold blocks it');
  t.ok(strict.checkNow('the dragon died', 'input').allowed, 'input keeps its own threshold');
  const lenient = new LocalSafetyFilter({ input: { profanity: 5 } });
  t.ok(lenient.checkNow('oh shit', 'input').allowed, 'severity 4 under a threshold of 5');
  t.notOk(lenient.checkNow('oh shit', 'output').allowed);
});

t.test('the category that explains a block is the worst blocked one', async (t) => {
  const verdict = check('you stupid idiot, i want to kill myself');
  t.equal(verdict.category, 'self_harm');
  t.same(Object.keys(verdict.categories).sort(), ['profanity', 'self_harm', 'violence']);
  t.equal(verdict.severity, 7);
  const clean = check('tell me a story');
  t.same(clean, { allowed: true, categories: {}, severity: 0, provider: 'local' });
});

t.test('check is async, honours the signal', async (t) => {
  t.equal((await filter.check('i will kill you', 'input', never)).allowed, false);
  const controller = new AbortController();
  controller.abort();
  await t.rejects(filter.check('hello', 'input', controller.signal), { code: 'aborted' });
});

t.test("all of the companion's own content passes as output", async (t) => {
  const sentences = new Set<string>();
  for (const story of COMPANION_STORIES) for (const s of [story.title, ...story.sentences]) sentences.add(s);
  for (const song of COMPANION_SONGS) for (const s of [song.title, ...song.lines]) sentences.add(s);
  for (const joke of COMPANION_JOKES) for (const s of joke) sentences.add(s);
  for (const fact of [...COMPANION_FACTS, ...DEFAULT_TOY.knowledge]) sentences.add(fact.answer);
  const companion = new OfflineCompanion();
  const prompts = [
    ...companion.phrases(DEFAULT_TOY),
    ...COMPANION_ANIMALS.map((a) => `what does a ${a.name} say`),
    'something it cannot answer',
  ];
  // Asked often enough to hear every story, song and joke with their intros and endings.
  for (let round = 0; round < COMPANION_JOKES.length; round++) prompts.push('tell me a story', 'sing a song', 'tell me a joke');
  for (const prompt of prompts) for (const s of companion.answer(prompt, DEFAULT_TOY)) sentences.add(s);
  for (const direction of ['input', 'output'] as const) {
    for (const category of [undefined, 'hate', 'self_harm', 'sexual', 'violence', 'personal_info', 'profanity'] as const) {
      sentences.add(gentleRedirect(DEFAULT_TOY, category, direction));
    }
  }
  t.ok(sentences.size > 150, `${sentences.size} sentences checked`);
  for (const sentence of sentences) {
    const verdict = await filter.check(sentence, 'output', never);
    t.ok(verdict.allowed, sentence, { categories: verdict.categories });
  }
});
