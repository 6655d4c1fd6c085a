import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { decodeWav } from '../audio/wav-file.js';
import type { ButtonEvent } from './button.js';
import { createHardware } from './hardware-factory.js';
import type { HardwareConfig } from './hardware-factory.js';

t.test('builds the scripted simulator, with its extra controls typed', async (t) => {
  const wavPath = join(t.testdir({}), 'speaker.wav');
  const hw = await createHardware({ button: 'scripted', leds: 'recording', microphone: 'wav', speaker: 'sim', speed: 20, speakerWavPath: wavPath });
  const heard: ButtonEvent[] = [];
  hw.button.subscribe((e) => heard.push(e));
  hw.button.press();
  hw.button.release();
  t.same(heard, ['press', 'release']);
  hw.leds.show({ name: 'idle', color: [0, 0, 0], animation: 'off' });
  t.same(hw.leds.names, ['idle']);
  t.equal(hw.microphone.speed, 20);
  t.equal(hw.microphone.sampleRate, 16000);
  hw.microphone.load(new Int16Array(320));
  t.equal(hw.speaker.sampleRate, 24000, 'the downlink rate by default');
  t.equal(hw.speaker.speed, 20);
  t.equal(hw.speaker.usesSoundCard, false, 'no sound card unless asked for');
  await hw.speaker.write(new Int16Array(2400).fill(42));
  await hw.speaker.drain();
  await hw.close();
  await hw.close();
  const wav = decodeWav(await readFile(wavPath));
  t.equal(wav.pcm.length, 2400, 'closing finished the WAV file');
  await t.rejects(hw.speaker.write(new Int16Array(1)), { code: 'speaker_closed' });
  t.throws(() => hw.microphone.load(new Int16Array(1)), { code: 'mic_closed' });
});

t.test('builds the interactive simulator', async (t) => {
  const hw = await createHardware({ button: 'keyboard', leds: 'terminal', microphone: 'alsa', speaker: 'sim', alsaCaptureDevice: 'plughw:1,0', speakerSampleRate: 16000 }, { soundCards: withCards(CARDS) });
  t.equal(hw.microphone.device, 'plughw:1,0');
  t.equal(hw.speaker.sampleRate, 16000);
  t.equal(hw.speaker.speed, 1);
  await hw.close();
});

t.test('a config read at run time gets the plain interfaces', async (t) => {
  const config: HardwareConfig = JSON.parse('{"button":"scripted","leds":"recording","microphone":"wav","speaker":"sim","speed":20}');
  const hw = await createHardware(config);
  t.type(hw.button.subscribe, 'function');
  t.type(hw.speaker.drain, 'function');
  await hw.close();
});

/** /proc/asound/cards of a Pi with HDMI audio and a USB sound card. */
const CARDS = ` 0 [vc4hdmi        ]: vc4-hdmi - vc4-hdmi
                      vc4-hdmi
 1 [Device         ]: USB-Audio - USB Audio Device
                      C-Media Electronics Inc. USB Audio Device at usb-3f980000.usb-1.2, full speed
`;
const withCards = (cards: string | undefined) => ({ readCards: async () => cards, run: async () => undefined });

const offPi = !existsSync('/dev/gpiochip0');
const piChoices: Array<[Partial<HardwareConfig>, RegExp]> = [
  [{ button: 'gpio' }, /\/dev\/gpiochip0/],
  [{ button: 'gpio', gpioBackend: 'sysfs' }, /sysfs GPIO/],
  [{ leds: 'neopixel' }, /WS281x|rpi-ws281x/],
  [{ leds: 'rgb' }, /\/dev\/gpiochip0/],
];
for (const [choice, message] of piChoices) {
  t.test(`off a Raspberry Pi, ${JSON.stringify(choice)} is driver_unavailable naming what is missing`, { skip: offPi ? false : 'this machine has GPIO' }, async (t) => {
    const config: HardwareConfig = { button: 'scripted', leds: 'recording', microphone: 'wav', speaker: 'sim', ...choice };
    await t.rejects(createHardware(config), { code: 'driver_unavailable', retryable: false, message });
  });
}

t.test('the ALSA speaker and microphone use the named devices', async (t) => {
  const hw = await createHardware({ button: 'scripted', leds: 'recording', microphone: 'alsa', speaker: 'alsa', alsaCaptureDevice: 'plughw:1,0', alsaPlaybackDevice: 'plughw:1,0' }, { soundCards: withCards(CARDS) });
  t.equal(hw.speaker.device, 'plughw:1,0');
  t.equal(hw.speaker.sampleRate, 24000);
  t.equal(hw.microphone.device, 'plughw:1,0');
  await hw.close();
});

t.test('a sound card that is not there is named at start-up, not at the first turn', async (t) => {
  const base = { button: 'scripted', leds: 'recording', microphone: 'wav', speaker: 'sim' } as const;
  await t.rejects(createHardware({ ...base, speaker: 'alsa', alsaPlaybackDevice: 'plughw:2,0' }, { soundCards: withCards(CARDS) }), {
    code: 'driver_unavailable',
    message: /speaker: sound card 2 of ALSA device 'plughw:2,0' does not exist: the cards are 0 \(vc4hdmi\), 1 \(Device\)/,
  });
  await t.rejects(createHardware({ ...base, microphone: 'alsa' }, { soundCards: withCards(undefined) }), { code: 'driver_unavailable', message: /microphone: no sound card for ALSA device 'default'/ });
  const byName = await createHardware({ ...base, speaker: 'alsa', alsaPlaybackDevice: 'plughw:CARD=Device,DEV=0' }, { soundCards: withCards(CARDS) });
  await byName.close();
  const plugin = await createHardware({ ...base, speaker: 'alsa', alsaPlaybackDevice: 'dmix' }, { soundCards: withCards(undefined) });
  await plugin.close();
  t.pass('a card by name, and a plugin name, are accepted');
});

const badConfigs: Array<[Partial<HardwareConfig>, string]> = [
  [{ button: 'gpio', buttonLine: -1 }, 'buttonLine'],
  [{ button: 'gpio', buttonDebounceMs: 2.5 }, 'buttonDebounceMs'],
  [{ button: 'gpio', gpioChip: 'zero' as unknown as number }, 'gpioChip'],
  [{ button: 'gpio', gpioBackend: 'mmap' as 'sysfs' }, 'gpioBackend'],
  [{ leds: 'rgb', rgbLines: [1, 2] as unknown as [number, number, number] }, 'rgbLines'],
  [{ leds: 'neopixel', neopixelCount: 0 }, 'neopixelCount'],
  [{ leds: 'neopixel', neopixelBrightness: 300 }, 'neopixelBrightness'],
  [{ speaker: 'alsa', speakerSampleRate: 12.5 }, 'speakerSampleRate'],
];
for (const [choice, key] of badConfigs) {
  t.test(`a bad ${key} is refused, naming the key`, async (t) => {
    const config: HardwareConfig = { button: 'scripted', leds: 'recording', microphone: 'wav', speaker: 'sim', ...choice };
    await t.rejects(createHardware(config), { code: 'config_invalid', message: new RegExp(`hardware config ${key} `) });
  });
}
