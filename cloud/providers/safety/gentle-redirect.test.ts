import t from 'tap';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import type { ToyProfile } from '../../toy/toy-profile.js';
import { gentleRedirect } from './gentle-redirect.js';
import { LocalSafetyFilter } from './local-safety-filter.js';

const OWL: ToyProfile = { ...DEFAULT_TOY, id: 'olly', name: 'Olly' };

t.test('self-harm from the child gets a caring answer that points to a trusted grown-up', async (t) => {
  const reply = gentleRedirect(OWL, 'self_harm', 'input');
  t.match(reply, /Olly cares about you/);
  t.match(reply, /tell a grown-up you trust/);
  t.notMatch(reply, /story|song|joke/, 'no cheerful change of subject');
});

t.test('private details get a lesson about keeping them safe', async (t) => {
  t.match(gentleRedirect(OWL, 'personal_info', 'input'), /private/);
});

t.test('other blocked input is redirected to something to do', async (t) => {
  for (const category of [undefined, 'hate', 'sexual', 'profanity', 'violence'] as const) {
    t.match(gentleRedirect(OWL, category, 'input'), /story/, String(category));
  }
});

t.test("a blocked reply of the toy's own is covered up in its own name", async (t) => {
  for (const category of [undefined, 'self_harm', 'sexual', 'personal_info'] as const) {
    const reply = gentleRedirect(OWL, category, 'output');
    t.match(reply, /Olly got a little muddled/);
    t.match(reply, /Let's talk about something else!/);
  }
});

t.test("a parent's blocklist gets a neutral answer that hands the subject to the grown-ups", async (t) => {
  const reply = gentleRedirect(OWL, 'blocklist', 'input');
  t.match(reply, /grown-ups/);
  t.match(reply, /story|song/);
  t.notMatch(reply, /list|blocked|not allowed|naughty/i, 'no lecture and no hint of a rule');
  t.match(gentleRedirect(OWL, 'blocklist', 'output'), /Olly got a little muddled/);
  const local = new LocalSafetyFilter();
  for (const direction of ['input', 'output'] as const) {
    t.ok(local.checkNow(gentleRedirect(OWL, 'blocklist', direction), 'output').allowed, `the ${direction} redirect is itself safe to say`);
  }
});
