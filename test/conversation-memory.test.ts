import t from 'tap';
import { FakeChatCompletions } from '../cloud/providers/llm/testing/fake-chat-completions.js';
import { OFFLINE_SETTINGS } from '../cloud/providers/provider-settings.js';
import { deviceConfig } from '../device/device-config.js';
import { startDevice } from '../device/device-main.js';
import { silentLog } from '../log/log.js';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import { DEVICE_ID, DEVICE_SECRET, Reports, SPEED, gatewayFor, sayToToy } from './harness.js';

type Message = { role: string; content: string };

/**
 * What the language model is sent: the toy's knowledge found for the child's
 * words, and the conversation so far, which outlives the connection.
 */
t.test("the model gets the toy's knowledge for the words, and the conversation survives a reconnect", async (t) => {
  const dir = t.testdir();
  const llm = await FakeChatCompletions.start({
    apiKey: 'sk-test',
    basePath: '/api/v1',
    answer: (_request, index) => ({ kind: 'stream', pieces: [`Answer number ${index}. `, 'That is all.'] }),
  });
  t.teardown(() => llm.close());
  const gateway = await gatewayFor(dir, 0, { ...OFFLINE_SETTINGS, llm: { kind: 'openai-compatible', apiKey: 'sk-test', baseUrl: llm.baseUrl } });
  t.teardown(() => gateway.stop());
  await gateway.firstReplies;
  const turnRequests = () => llm.requests.slice(-1);

  const session = async () => {
    const speaker = await SimSpeaker.create({ sampleRate: 24_000, speed: SPEED, soundCard: 'off' });
    const hardware = { button: new ScriptedButton(), leds: new RecordingLeds(), microphone: new WavMicrophone({ speed: SPEED }), speaker };
    const reports = new Reports();
    const device = startDevice(deviceConfig({ gatewayUrl: gateway.url, deviceId: DEVICE_ID, secret: DEVICE_SECRET }), hardware, silentLog, reports.observe);
    await reports.wait((r) => r.type === 'state' && r.state === 'idle', 'the device to come online');
    return {
      say: (text: string) => sayToToy(hardware, reports, text),
      async stop() {
        await device.stop();
        await speaker.close();
      },
    };
  };

  const first = await session();
  t.match(await first.say('what is your favourite colour'), { end: 'played' });
  const [asked] = turnRequests();
  const messages = asked?.body['messages'] as Message[];
  t.same(messages.at(-1), { role: 'user', content: 'what is your favourite colour' });
  t.match(messages[0]?.content, /orange, just like a crunchy carrot/, "the toy's fact about its colour is in the system prompt");
  t.notMatch(messages[0]?.content, /burrow/, 'facts that do not fit the words are left out');
  const answer = 'Answer number ' + String(llm.requests.length - 1) + '. That is all.';
  // Straight back: the new session reads the memory only once the old one has saved it.
  await first.stop();

  const second = await session();
  t.match(await second.say('tell me a story'), { end: 'played' });
  const [later] = turnRequests();
  const history = (later?.body['messages'] as Message[]).slice(1);
  t.same(history, [
    { role: 'user', content: 'what is your favourite colour' },
    { role: 'assistant', content: answer },
    { role: 'user', content: 'tell me a story' },
  ], 'the last session is remembered');
  await second.stop();

  const deleted = await gateway.store.deleteTurns(DEVICE_ID);
  t.equal(deleted, 2);
  t.equal(await gateway.store.conversation(DEVICE_ID, 'pommai'), undefined, "a parent's delete removes the conversation too");
});
