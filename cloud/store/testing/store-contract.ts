import type { Test } from 'tap';
import { INTERRUPTED_ERROR, MAX_CONVERSATION_CHARS, MAX_CONVERSATION_MESSAGES, MAX_KNOWLEDGE_FACTS, type ConversationMessage, type KnowledgeFactInput, type Store, type TurnRecord } from '../store.js';

/** A turn with every field filled, including the optional ones; override what a test cares about. */
export function sampleTurn(overrides: Partial<TurnRecord> = {}): TurnRecord {
  return {
    id: 'turn-1',
    deviceId: 'toy-1',
    sessionId: 'session-1',
    turn: 1,
    startedAt: '2024-05-01T10:00:00.000Z',
    transcript: 'can you tell me a story about a "brave" dragon?\nplease 🐉',
    reply: 'Once upon a time, a small dragon was afraid of the dark…',
    outcome: 'answered',
    safety: [
      { direction: 'input', text: 'can you tell me a story', allowed: true, categories: {}, severity: 0, provider: 'local' },
      {
        direction: 'output',
        text: 'Once upon a time',
        allowed: false,
        categories: { violence: 4, hate: 2 },
        category: 'violence',
        severity: 4,
        provider: 'azure',
      },
    ],
    timings: { stt: 312, safetyIn: 71, llmFirstToken: 402, ttsFirstByte: 251, firstAudio: 640.5, total: 1820 },
    error: { code: 'tts_timeout', message: 'the voice took too long' },
    ...overrides,
  };
}

/** A toy's knowledge for the search tests: some facts share words, so ranking matters. */
export const SAMPLE_FACTS: readonly KnowledgeFactInput[] = [
  { id: 'colour', text: 'My favourite colour is orange, just like a crunchy carrot!', keywords: ['colour', 'color'] },
  { id: 'age', text: 'I am five bunny years old.', keywords: ['old', 'age'] },
  { id: 'food', text: 'I love carrots most of all, and a little bit of lettuce too.', keywords: ['food', 'eat'] },
  { id: 'home', text: 'My burrow is wherever you are!', keywords: ['live', 'home'] },
  { id: 'song', text: 'My favourite song is about a moon made of cheese.', keywords: ['song', 'sing', 'music'] },
];

/** Words a child might say that are search syntax to a full-text engine, or just odd. */
export const ODD_QUERIES: readonly string[] = [
  '"',
  '"unbalanced quote colour',
  'colour*',
  'NEAR(colour song)',
  '-colour',
  'colour AND NOT song OR',
  'col:our',
  '^song',
  '{song} (carrot) [eat]',
  "'); DROP TABLE knowledge; --",
  '🥕🥕 carrot 🥕',
  'ça va? ¿qué? Ärger — straße',
  'carrot\u0000lettuce',
  '\\ / % _ + = ~ ` | < > & $ # @ !',
  'colour '.repeat(5000),
];

/**
 * The behaviour every Store must show, SQLite today and Convex later. Each subtest gets a store of
 * its own from `make` and closes it afterwards, so no subtest depends on another.
 */
export function storeContract(t: Test, name: string, make: () => Promise<Store>): void {
  t.test(`${name} keeps the Store contract`, async (t) => {
    const open = async (t: Test): Promise<Store> => {
      const store = await make();
      t.teardown(() => store.close());
      return store;
    };

    t.test('a new store is empty', async (t) => {
      const store = await open(t);
      t.strictSame(await store.listTurns({}), []);
      t.strictSame(await store.listDevices(), []);
      t.equal(await store.deleteTurns('toy-1'), 0);
    });

    t.test('round-trips every field of a turn', async (t) => {
      const store = await open(t);
      const full = sampleTurn();
      const bare = sampleTurn({ id: 'turn-2', turn: 2, startedAt: '2024-05-01T10:01:00.000Z', safety: [], timings: {} });
      delete (bare as { error?: unknown }).error;
      await store.saveTurn(full);
      await store.saveTurn(bare);
      const [second, first] = await store.listTurns({ deviceId: 'toy-1' });
      t.strictSame(first, full);
      t.equal(second?.error, undefined, 'a turn without an error comes back without one');
      t.strictSame({ ...second, error: undefined }, { ...bare, error: undefined });
    });

    t.test('lists newest first, for all devices or one, within a limit', async (t) => {
      const store = await open(t);
      const at = (minute: number) => `2024-05-01T10:0${minute}:00.000Z`;
      await store.saveTurn(sampleTurn({ id: 'a2', deviceId: 'a', startedAt: at(2) }));
      await store.saveTurn(sampleTurn({ id: 'b1', deviceId: 'b', startedAt: at(1) }));
      await store.saveTurn(sampleTurn({ id: 'a4', deviceId: 'a', startedAt: at(4) }));
      await store.saveTurn(sampleTurn({ id: 'b3', deviceId: 'b', startedAt: at(3) }));
      await store.saveTurn(sampleTurn({ id: 'a0', deviceId: 'a', startedAt: at(0) }));
      const ids = (turns: TurnRecord[]) => turns.map((turn) => turn.id);
      t.strictSame(ids(await store.listTurns({})), ['a4', 'b3', 'a2', 'b1', 'a0']);
      t.strictSame(ids(await store.listTurns({ deviceId: 'a' })), ['a4', 'a2', 'a0']);
      t.strictSame(ids(await store.listTurns({ deviceId: 'b', limit: 1 })), ['b3']);
      t.strictSame(ids(await store.listTurns({ limit: 2 })), ['a4', 'b3']);
      t.strictSame(await store.listTurns({ deviceId: 'nobody' }), []);
    });

    t.test('orders by the instant a turn started, not by how its time is written', async (t) => {
      const store = await open(t);
      await store.saveTurn(sampleTurn({ id: 'plain', startedAt: '2024-05-01T10:00:00Z' }));
      await store.saveTurn(sampleTurn({ id: 'half-second-later', startedAt: '2024-05-01T10:00:00.500Z' }));
      await store.saveTurn(sampleTurn({ id: 'one-second-later', startedAt: '2024-05-01T12:00:01+02:00' }));
      const turns = await store.listTurns({ deviceId: 'toy-1' });
      t.strictSame(turns.map((turn) => turn.id), ['one-second-later', 'half-second-later', 'plain']);
      t.equal(turns[0]?.startedAt, '2024-05-01T12:00:01+02:00', 'startedAt comes back as it was written');
    });

    t.test('saving a turn id again replaces it instead of duplicating it', async (t) => {
      const store = await open(t);
      await store.saveTurn(sampleTurn());
      await store.saveTurn(sampleTurn({ reply: 'a better ending', outcome: 'blocked' }));
      const turns = await store.listTurns({});
      t.equal(turns.length, 1);
      t.equal(turns[0]?.reply, 'a better ending');
      t.equal(turns[0]?.outcome, 'blocked');
    });

    t.test('a turn goes from started to heard to its end, and a late save of an earlier stage changes nothing', async (t) => {
      const store = await open(t);
      const bare = { transcript: '', reply: '', safety: [], timings: {} };
      await store.saveTurn(sampleTurn({ ...bare, outcome: 'started' }));
      t.equal((await store.listTurns({}))[0]?.outcome, 'started');
      await store.saveTurn(sampleTurn({ ...bare, outcome: 'heard', transcript: 'hello' }));
      t.match((await store.listTurns({}))[0], { outcome: 'heard', transcript: 'hello' });
      await store.saveTurn(sampleTurn({ outcome: 'answered' }));
      await store.saveTurn(sampleTurn({ ...bare, outcome: 'started' }));
      await store.saveTurn(sampleTurn({ ...bare, outcome: 'heard', transcript: 'hello' }));
      const [turn] = await store.listTurns({});
      t.equal(turn?.outcome, 'answered');
      t.equal(turn?.reply, sampleTurn().reply, 'the ended record stands');
      t.equal(await store.interruptUnfinishedTurns(), 0, 'an ended turn is not interrupted');
    });

    t.test('turns still under way at start-up become interrupted; ended ones stay as they are', async (t) => {
      const store = await open(t);
      const bare = { transcript: '', reply: '', safety: [], timings: {} };
      await store.saveTurn(sampleTurn({ ...bare, id: 'cut-early', outcome: 'started', startedAt: '2024-05-01T10:00:00.000Z' }));
      await store.saveTurn(sampleTurn({ ...bare, id: 'cut-late', outcome: 'heard', transcript: 'tell me a story', startedAt: '2024-05-01T10:01:00.000Z' }));
      await store.saveTurn(sampleTurn({ id: 'ended', outcome: 'aborted', startedAt: '2024-05-01T10:02:00.000Z' }));
      t.equal(await store.interruptUnfinishedTurns(), 2);
      const turns = await store.listTurns({});
      t.strictSame(turns.map((turn) => [turn.id, turn.outcome]), [['ended', 'aborted'], ['cut-late', 'interrupted'], ['cut-early', 'interrupted']]);
      t.match(turns[1], { transcript: 'tell me a story', error: INTERRUPTED_ERROR }, 'what it had heard stays');
      t.equal(await store.interruptUnfinishedTurns(), 0, 'marking twice marks nothing more');
      await store.saveTurn(sampleTurn({ ...bare, id: 'cut-early', outcome: 'started' }));
      t.equal((await store.listTurns({})).find((turn) => turn.id === 'cut-early')?.outcome, 'interrupted', 'an interrupted turn is an ended one');
    });

    t.test("deleteTurns removes one device's turns and says how many", async (t) => {
      const store = await open(t);
      await store.saveTurn(sampleTurn({ id: 'a1', deviceId: 'a' }));
      await store.saveTurn(sampleTurn({ id: 'a2', deviceId: 'a', startedAt: '2024-05-01T11:00:00.000Z' }));
      await store.saveTurn(sampleTurn({ id: 'b1', deviceId: 'b' }));
      t.equal(await store.deleteTurns('a'), 2);
      t.strictSame(await store.listTurns({ deviceId: 'a' }), []);
      t.strictSame((await store.listTurns({})).map((turn) => turn.id), ['b1']);
      t.equal(await store.deleteTurns('a'), 0, 'deleting again finds nothing');
    });

    t.test('addDevice returns a fresh secret that verifies, and nothing else does', async (t) => {
      const store = await open(t);
      const secret = await store.addDevice('toy-1');
      const other = await store.addDevice('toy-2');
      t.match(secret, /^[A-Za-z0-9_-]{32,}$/, 'at least 24 random bytes, base64url');
      t.not(secret, other);
      t.equal(await store.verifyDevice('toy-1', secret), true);
      t.equal(await store.verifyDevice('toy-2', other), true);
      t.equal(await store.verifyDevice('toy-1', `${secret}x`), false, 'wrong secret');
      t.equal(await store.verifyDevice('toy-1', secret.slice(0, -1)), false, 'a prefix of the secret');
      t.equal(await store.verifyDevice('toy-1', ''), false, 'empty secret');
      t.equal(await store.verifyDevice('toy-1', other), false, "another device's secret");
      t.equal(await store.verifyDevice('toy-3', secret), false, 'unknown device');
    });

    t.test('adding a device again replaces its secret and keeps the device', async (t) => {
      const store = await open(t);
      const first = await store.addDevice('toy-1');
      const [before] = await store.listDevices();
      const second = await store.addDevice('toy-1');
      t.not(first, second);
      t.equal(await store.verifyDevice('toy-1', first), false, 'the old secret no longer works');
      t.equal(await store.verifyDevice('toy-1', second), true);
      t.strictSame(await store.listDevices(), [before], 'still one device, created when it was first added');
    });

    t.test('addDeviceWithSecret registers or replaces with the caller’s secret', async (t) => {
      const store = await open(t);
      await store.addDeviceWithSecret('sim-1', 'simulator pairing secret');
      t.equal(await store.verifyDevice('sim-1', 'simulator pairing secret'), true);
      t.equal(await store.verifyDevice('sim-1', 'simulator pairing secreT'), false);
      const generated = await store.addDevice('sim-1');
      t.equal(await store.verifyDevice('sim-1', 'simulator pairing secret'), false);
      await store.addDeviceWithSecret('sim-1', 'a new pairing');
      t.equal(await store.verifyDevice('sim-1', generated), false);
      t.equal(await store.verifyDevice('sim-1', 'a new pairing'), true);
    });

    t.test('listDevices lists every device with when it was added', async (t) => {
      const store = await open(t);
      const before = Date.now();
      await store.addDevice('toy-b');
      await store.addDeviceWithSecret('toy-a', 'secret a');
      const devices = await store.listDevices();
      t.strictSame(devices.map((device) => device.id).sort(), ['toy-a', 'toy-b']);
      for (const device of devices) {
        const created = Date.parse(device.createdAt);
        t.ok(created >= before - 1000 && created <= Date.now() + 1000, `${device.id} has a plausible createdAt`);
      }
    });

    t.test("a parent's settings: only what was chosen is kept, null goes back to the default", async (t) => {
      const store = await open(t);
      await store.addDevice('toy-1');
      await store.addDevice('toy-2');
      t.strictSame(await store.deviceSettings('toy-1'), {}, 'nothing chosen yet');
      t.strictSame(await store.updateDeviceSettings('toy-1', { maxVolume: 60, locked: true }), { maxVolume: 60, locked: true });
      t.strictSame(await store.updateDeviceSettings('toy-1', { volume: 40 }), { maxVolume: 60, locked: true, volume: 40 }, 'a change merges');
      t.strictSame(await store.updateDeviceSettings('toy-1', { locked: null }), { maxVolume: 60, volume: 40 }, 'null clears');
      t.strictSame(await store.deviceSettings('toy-1'), { maxVolume: 60, volume: 40 });
      t.strictSame(await store.deviceSettings('toy-2'), {}, 'other devices untouched');
      t.strictSame(await store.deviceSettings('nobody'), {});
      await store.addDevice('toy-1');
      t.strictSame(await store.deviceSettings('toy-1'), { maxVolume: 60, volume: 40 }, 'a new secret keeps the settings');
      t.strictSame((await store.listDevices()).find((d) => d.id === 'toy-1')?.settings, { maxVolume: 60, volume: 40 });
    });

    t.test('bad settings and unknown devices are refused with a code', async (t) => {
      const store = await open(t);
      await store.addDevice('toy-1');
      await t.rejects(store.updateDeviceSettings('toy-1', { maxVolume: 101 }), { code: 'invalid_settings', message: /maxVolume/ });
      await t.rejects(store.updateDeviceSettings('toy-1', { volume: 2.5 }), { code: 'invalid_settings' });
      await t.rejects(store.updateDeviceSettings('toy-1', { locked: 'yes' as unknown as boolean }), { code: 'invalid_settings', message: /locked/ });
      await t.rejects(store.updateDeviceSettings('toy-1', { colour: 'red' } as never), { code: 'invalid_settings', message: /colour/ });
      await t.rejects(store.updateDeviceSettings('ghost', { locked: true }), { code: 'unknown_device' });
      t.strictSame(await store.deviceSettings('toy-1'), {}, 'nothing half-applied');
    });

    t.test('a toy remembers nothing of a child it has not talked with', async (t) => {
      const store = await open(t);
      t.equal(await store.conversation('toy-1', 'pommai'), undefined);
    });

    t.test('round-trips a conversation, and saving again replaces it', async (t) => {
      const store = await open(t);
      const messages: ConversationMessage[] = [
        { role: 'user', content: 'can you tell me a story about a "brave" dragon?\nplease 🐉' },
        { role: 'assistant', content: 'Once upon a time, a small dragon… 🌙' },
      ];
      const before = Date.now();
      await store.saveConversation('toy-1', 'pommai', { summary: 'We talked about dragons — and carrots.', messages });
      const saved = await store.conversation('toy-1', 'pommai');
      t.equal(saved?.summary, 'We talked about dragons — and carrots.');
      t.strictSame(saved?.messages, messages);
      const updated = Date.parse(saved?.updatedAt ?? '');
      t.ok(updated >= before - 1000 && updated <= Date.now() + 1000, 'updatedAt is when it was saved');
      await store.saveConversation('toy-1', 'pommai', { summary: '', messages: [{ role: 'user', content: 'hi' }] });
      const replaced = await store.conversation('toy-1', 'pommai');
      t.equal(replaced?.summary, '');
      t.strictSame(replaced?.messages, [{ role: 'user', content: 'hi' }]);
    });

    t.test('keeps only role and content of each message', async (t) => {
      const store = await open(t);
      const message = { role: 'user', content: 'hello', secret: 'not for the store' } as ConversationMessage;
      await store.saveConversation('toy-1', 'pommai', { summary: '', messages: [message] });
      t.strictSame((await store.conversation('toy-1', 'pommai'))?.messages, [{ role: 'user', content: 'hello' }]);
    });

    t.test('a conversation belongs to one device and one toy', async (t) => {
      const store = await open(t);
      await store.saveConversation('toy-1', 'pommai', { summary: 'one', messages: [] });
      await store.saveConversation('toy-1', 'robo', { summary: 'two', messages: [] });
      await store.saveConversation('toy-2', 'pommai', { summary: 'three', messages: [] });
      t.equal((await store.conversation('toy-1', 'pommai'))?.summary, 'one');
      t.equal((await store.conversation('toy-1', 'robo'))?.summary, 'two');
      t.equal((await store.conversation('toy-2', 'pommai'))?.summary, 'three');
      t.equal(await store.conversation('toy-2', 'robo'), undefined);
    });

    t.test("deleting a child's data deletes what every toy remembers of it", async (t) => {
      const store = await open(t);
      await store.saveTurn(sampleTurn({ deviceId: 'toy-1' }));
      await store.saveConversation('toy-1', 'pommai', { summary: 'one', messages: [{ role: 'user', content: 'hi' }] });
      await store.saveConversation('toy-1', 'robo', { summary: 'two', messages: [] });
      await store.saveConversation('toy-2', 'pommai', { summary: 'three', messages: [] });
      t.equal(await store.deleteTurns('toy-1'), 1, 'the count is of turns');
      t.equal(await store.conversation('toy-1', 'pommai'), undefined);
      t.equal(await store.conversation('toy-1', 'robo'), undefined);
      t.equal((await store.conversation('toy-2', 'pommai'))?.summary, 'three', 'other children keep theirs');
      await store.saveConversation('toy-3', 'pommai', { summary: 'four', messages: [] });
      t.equal(await store.deleteTurns('toy-3'), 0, 'a device with memory but no turns');
      t.equal(await store.conversation('toy-3', 'pommai'), undefined);
    });

    t.test('an oversized or malformed conversation is refused and nothing is saved', async (t) => {
      const store = await open(t);
      const kept = { summary: 'kept', messages: [{ role: 'user', content: 'hi' }] as ConversationMessage[] };
      await store.saveConversation('toy-1', 'pommai', kept);
      const many = Array.from({ length: MAX_CONVERSATION_MESSAGES + 1 }, () => ({ role: 'user', content: 'hi' }) as ConversationMessage);
      await t.rejects(store.saveConversation('toy-1', 'pommai', { summary: '', messages: many }), { code: 'conversation_too_large', retryable: false });
      await t.rejects(
        store.saveConversation('toy-1', 'pommai', { summary: 'x'.repeat(MAX_CONVERSATION_CHARS - 1), messages: [{ role: 'user', content: 'hi' }] }),
        { code: 'conversation_too_large', message: /characters/ },
      );
      await t.rejects(store.saveConversation('toy-1', 'pommai', { summary: '', messages: [{ role: 'system', content: 'obey' } as never] }), { code: 'invalid_conversation' });
      await t.rejects(store.saveConversation('toy-1', 'pommai', { summary: 5 as never, messages: [] }), { code: 'invalid_conversation' });
      await t.rejects(store.saveConversation('', 'pommai', kept), { code: 'invalid_device_id' });
      await t.rejects(store.saveConversation('toy-1', '', kept), { code: 'invalid_toy_id' });
      const still = await store.conversation('toy-1', 'pommai');
      t.equal(still?.summary, 'kept');
      t.strictSame(still?.messages, kept.messages);
    });

    t.test('finds a fact by a word of its text or one of its keywords', async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      const ids = async (query: string) => (await store.searchKnowledge('pommai', query, 5)).map((fact) => fact.id);
      t.strictSame(await ids('lettuce'), ['food'], 'a word of the text');
      t.strictSame(await ids('What COLOR are you?'), ['colour'], 'a keyword, whatever its case');
      t.strictSame(await store.searchKnowledge('pommai', 'do you like music', 5), [SAMPLE_FACTS[4]], 'the whole fact comes back');
    });

    t.test('ranks the better match first', async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      const ids = async (query: string) => (await store.searchKnowledge('pommai', query, 5)).map((fact) => fact.id);
      t.strictSame(await ids('what is your favourite song?'), ['song', 'colour']);
      t.strictSame(await ids('do you eat carrots'), ['food', 'colour']);
    });

    t.test('an empty query, stop words alone or no matching word find nothing', async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      for (const query of ['', '   ', '?!', 'what is it?', 'zebra', 'can you tell me about it']) {
        t.strictSame(await store.searchKnowledge('pommai', query, 5), [], JSON.stringify(query));
      }
      t.strictSame(await store.searchKnowledge('nobody', 'carrot', 5), [], 'a toy without knowledge');
    });

    t.test('search syntax and odd punctuation in a child’s words never raise an error', async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      for (const query of ODD_QUERIES) {
        const found = await store.searchKnowledge('pommai', query, 5);
        t.ok(Array.isArray(found), `${JSON.stringify(query.slice(0, 40))} gives a list`);
      }
      const first = async (query: string) => (await store.searchKnowledge('pommai', query, 5))[0]?.id;
      t.equal(await first('colour*'), 'colour', 'a star is not a prefix search');
      t.equal(await first('-colour'), 'colour', 'a minus is not a negation');
      t.equal(await first('NEAR(song)'), 'song', 'NEAR is a word');
    });

    t.test("one toy's knowledge is never another's", async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      await store.putKnowledge('robo', [{ id: 'colour', text: 'I am shiny silver, the colour of the moon.', keywords: ['colour'] }]);
      t.strictSame((await store.searchKnowledge('robo', 'colour', 5)).map((fact) => fact.text), ['I am shiny silver, the colour of the moon.']);
      t.strictSame((await store.searchKnowledge('pommai', 'colour', 5)).map((fact) => fact.id), ['colour']);
      t.strictSame(await store.searchKnowledge('robo', 'lettuce', 5), []);
    });

    t.test('returns at most the limit', async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      const everything = 'favourite colour song carrots eat old live';
      t.equal((await store.searchKnowledge('pommai', everything, 10)).length, 5);
      t.equal((await store.searchKnowledge('pommai', everything, 2)).length, 2);
      t.strictSame(await store.searchKnowledge('pommai', everything, 0), []);
      await t.rejects(store.searchKnowledge('pommai', everything, -1), { code: 'invalid_query' });
      await t.rejects(store.searchKnowledge('pommai', everything, 1.5), { code: 'invalid_query' });
    });

    t.test("putKnowledge replaces a toy's whole set, and putting it again changes nothing", async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      const first = await store.searchKnowledge('pommai', 'favourite carrot', 5);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      t.strictSame(await store.searchKnowledge('pommai', 'favourite carrot', 5), first, 'idempotent');
      await store.putKnowledge('pommai', [{ text: 'I can juggle three carrots.' }, { text: 'I sleep in a teacup.', keywords: ['bed'] }]);
      t.strictSame(await store.searchKnowledge('pommai', 'lettuce', 5), [], 'the old facts are gone');
      t.strictSame(await store.searchKnowledge('pommai', 'juggle', 5), [{ id: '1', text: 'I can juggle three carrots.', keywords: [] }], 'ids from positions');
      t.strictSame(await store.searchKnowledge('pommai', 'bed', 5), [{ id: '2', text: 'I sleep in a teacup.', keywords: ['bed'] }]);
      await store.putKnowledge('pommai', []);
      t.strictSame(await store.searchKnowledge('pommai', 'juggle', 5), [], 'an empty set forgets all');
    });

    t.test('bad knowledge is refused with a code and nothing changes', async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      await t.rejects(store.putKnowledge('pommai', [{ id: 'a', text: 'one' }, { id: 'a', text: 'two' }]), { code: 'invalid_knowledge', message: /twice/ });
      await t.rejects(store.putKnowledge('pommai', [{ text: '  ' }]), { code: 'invalid_knowledge' });
      await t.rejects(store.putKnowledge('pommai', [{ text: 'ok', keywords: [7 as never] }]), { code: 'invalid_knowledge' });
      await t.rejects(store.putKnowledge('pommai', Array.from({ length: MAX_KNOWLEDGE_FACTS + 1 }, (_, i) => ({ text: `fact ${i}` }))), { code: 'invalid_knowledge' });
      await t.rejects(store.putKnowledge('', SAMPLE_FACTS), { code: 'invalid_toy_id' });
      t.strictSame((await store.searchKnowledge('pommai', 'lettuce', 5)).map((fact) => fact.id), ['food'], 'the old set stands');
    });

    t.test("a parent's delete keeps the toy's knowledge: it is not the child's data", async (t) => {
      const store = await open(t);
      await store.putKnowledge('pommai', SAMPLE_FACTS);
      await store.deleteTurns('toy-1');
      t.equal((await store.searchKnowledge('pommai', 'lettuce', 5)).length, 1);
    });

    t.test('device secrets and turns do not mix', async (t) => {
      const store = await open(t);
      const secret = await store.addDevice('toy-1');
      await store.saveTurn(sampleTurn());
      t.equal(await store.deleteTurns('toy-1'), 1);
      t.equal(await store.verifyDevice('toy-1', secret), true, "deleting a device's turns keeps the device");
    });
  });
}
