import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** How the checks look at the system; tests hand in canned answers. */
export interface SoundCardProbe {
  /** Contents of /proc/asound/cards, or undefined when it does not exist. */
  readCards(): Promise<string | undefined>;
  /** A command's standard output, or undefined when it cannot run. */
  run(command: string, args: readonly string[]): Promise<string | undefined>;
}

export const systemProbe: SoundCardProbe = {
  async readCards() {
    try {
      return await readFile('/proc/asound/cards', 'utf8');
    } catch {
      return undefined;
    }
  },
  run(command, args) {
    return new Promise((resolve) => {
      execFile(command, [...args], { timeout: 3000, maxBuffer: 256 * 1024 }, (error, stdout) => {
        resolve(error === null ? stdout : undefined);
      });
    });
  },
};

/** True when the kernel lists at least one sound card. */
export function cardsPresent(cards: string | undefined): boolean {
  if (cards === undefined) return false;
  return /^\s*\d+\s+\[/m.test(cards) && !cards.includes('no soundcards');
}

/** PCM names from `aplay -L`, without ALSA's always-present 'null' device. */
export function playbackDevices(aplayList: string): string[] {
  return aplayList
    .split('\n')
    .filter((line) => line.length > 0 && !/^\s/.test(line))
    .map((line) => line.trim())
    .filter((name) => name !== 'null');
}

/** True when `arecord -l` lists a capture card. */
export function captureCardsListed(arecordList: string): boolean {
  return /^card \d+:/m.test(arecordList);
}

/**
 * Whether something can play sound. Both checks matter: a container may see
 * ALSA's configuration (so `aplay -L` answers) without any card behind it.
 */
export async function hasPlaybackDevice(probe: SoundCardProbe = systemProbe): Promise<boolean> {
  if (!cardsPresent(await probe.readCards())) return false;
  const list = await probe.run('aplay', ['-L']);
  return list !== undefined && playbackDevices(list).length > 0;
}

/** Whether something can record sound. */
export async function hasCaptureDevice(probe: SoundCardProbe = systemProbe): Promise<boolean> {
  if (!cardsPresent(await probe.readCards())) return false;
  const list = await probe.run('arecord', ['-l']);
  return list !== undefined && captureCardsListed(list);
}

/**
 * Why the named ALSA device cannot exist, or undefined when it may. A card
 * named by number or name (hw:1,0, plughw:CARD=Device) must be in
 * /proc/asound/cards; 'default' needs some card; other names (plugins, a
 * maker's own asound.conf entries) are left to ALSA to judge when opened.
 */
export async function alsaDeviceProblem(device: string, probe: SoundCardProbe = systemProbe): Promise<string | undefined> {
  const cards = await probe.readCards();
  const listed = cardsPresent(cards) ? (cards as string) : '';
  const card = /^(?:plug)?hw:(?:CARD=)?([^,\s]+)/.exec(device)?.[1];
  if (card === undefined) {
    return device === 'default' && listed === '' ? `no sound card for ALSA device 'default': /proc/asound/cards lists none` : undefined;
  }
  const found = /^\d+$/.test(card) ? new RegExp(`^\\s*${card}\\s+\\[`, 'm').test(listed) : new RegExp(`^\\s*\\d+\\s+\\[${card.replace(/[^\w]/g, '\\$&')}\\s*\\]`, 'm').test(listed);
  if (found) return undefined;
  const names = [...listed.matchAll(/^\s*(\d+)\s+\[(\S+)\s*\]/gm)].map((m) => `${m[1]} (${m[2]})`);
  return `sound card ${card} of ALSA device '${device}' does not exist: ${names.length === 0 ? '/proc/asound/cards lists none' : `the cards are ${names.join(', ')}`}`;
}
