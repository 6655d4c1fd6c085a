import { existsSync } from 'node:fs';
import t from 'tap';
import { captureCardsListed, cardsPresent, hasCaptureDevice, hasPlaybackDevice, playbackDevices } from './sound-card.js';
import type { SoundCardProbe } from './sound-card.js';

const CARDS = ' 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n                      HDA Intel PCH at 0xf7f10000 irq 32\n 1 [Device         ]: USB-Audio - USB PnP Sound Device\n';
const APLAY_L = 'null\n    Discard all samples (playback) or generate zero samples (capture)\ndefault\n    Default ALSA Output (currently PulseAudio Sound Server)\nhw:CARD=PCH,DEV=0\n    HDA Intel PCH, ALC892 Analog\n';
const APLAY_L_NONE = 'null\n    Discard all samples (playback) or generate zero samples (capture)\n';
const ARECORD_L = '**** List of CAPTURE Hardware Devices ****\ncard 1: Device [USB PnP Sound Device], device 0: USB Audio [USB Audio]\n  Subdevices: 1/1\n';

function probe(cards: string | undefined, outputs: Record<string, string | undefined>): SoundCardProbe {
  return { readCards: async () => cards, run: async (command) => outputs[command] };
}

t.test('parses /proc/asound/cards', async (t) => {
  t.equal(cardsPresent(CARDS), true);
  t.equal(cardsPresent('--- no soundcards ---\n'), false);
  t.equal(cardsPresent(''), false);
  t.equal(cardsPresent(undefined), false, 'no /proc/asound at all (a container)');
});

t.test('lists playback devices other than null', async (t) => {
  t.same(playbackDevices(APLAY_L), ['default', 'hw:CARD=PCH,DEV=0']);
  t.same(playbackDevices(APLAY_L_NONE), []);
});

t.test('spots capture cards in arecord -l', async (t) => {
  t.equal(captureCardsListed(ARECORD_L), true);
  t.equal(captureCardsListed('**** List of CAPTURE Hardware Devices ****\n'), false);
});

t.test('both the kernel and ALSA must agree', async (t) => {
  t.equal(await hasPlaybackDevice(probe(CARDS, { aplay: APLAY_L })), true);
  t.equal(await hasPlaybackDevice(probe(CARDS, { aplay: APLAY_L_NONE })), false, 'a card ALSA cannot use');
  t.equal(await hasPlaybackDevice(probe(undefined, { aplay: APLAY_L })), false, 'ALSA config without a card');
  t.equal(await hasPlaybackDevice(probe(CARDS, {})), false, 'aplay missing');
  t.equal(await hasCaptureDevice(probe(CARDS, { arecord: ARECORD_L })), true);
  t.equal(await hasCaptureDevice(probe(CARDS, { arecord: '' })), false);
  t.equal(await hasCaptureDevice(probe('--- no soundcards ---', { arecord: ARECORD_L })), false);
});

t.test('the real checks run on this machine', async (t) => {
  const playback = await hasPlaybackDevice();
  const capture = await hasCaptureDevice();
  t.type(playback, 'boolean');
  t.type(capture, 'boolean');
  if (!existsSync('/proc/asound/cards')) {
    t.equal(playback, false, 'no sound card here');
    t.equal(capture, false, 'no sound card here');
  }
});
