import { readFile } from 'node:fs/promises';
import { pcmFromBytes } from '../../audio/pcm-bytes.js';

/**
 * The samples in a raw S16_LE file, such as the one ALSA's file plugin writes for a test
 * standing in for a card. No file is no samples: an aplay stopped before it opened its
 * device never created it.
 */
export async function readRawSamples(path: string): Promise<Int16Array> {
  try {
    return pcmFromBytes(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Int16Array(0);
    throw error;
  }
}
