import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './fake-aplay.js';
import { readRawSamples } from './read-raw-samples.js';
import { joinSamples } from './join-samples.js';

const FINISH_BOUND_MS = 5000;

export interface FilePluginCard {
  /** The ALSA device to give aplay. */
  device: string;
  /**
   * Everything every aplay on `device` played, in the order they started. Call it after the
   * last drain: it waits (within a bound) for every aplay to have finished, so one that a
   * stop failed to silence, still playing a cut reply, fails the test instead of hiding.
   */
  played: () => Promise<Int16Array>;
}

/**
 * ALSA's file plugin standing in for a sound card in a test, one raw file in `dir` per
 * aplay, named by when it opened the device. The plain plugin (`file:PATH,raw`) starts one
 * file afresh for each aplay, so audio an earlier aplay went on playing would be hidden by
 * the next one; a file each also keeps an aplay that is still finishing from mixing into
 * the next one's samples. A file is `.part` while its aplay plays and `.raw` once it ended.
 */
export function filePluginCard(dir: string): FilePluginCard {
  // The path goes to a shell inside an ALSA string, where ALSA also expands %: none of these passes through.
  if (/['"%]/.test(dir)) throw new Error(`${dir} holds a quote or a %, which ALSA's file plugin cannot be given`);
  const file = (ext: string) => `'${dir}'/$n.${ext}`;
  // %% is ALSA's escape for the % of date's format: nanoseconds since the epoch, in start order.
  const device = `file:"|n=$(date +%%s%%N); cat > ${file('part')} && mv ${file('part')} ${file('raw')}",raw`;
  return {
    device,
    async played() {
      let names: string[] = [];
      const finished = (): boolean => {
        names = readdirSync(dir);
        return !names.some((name) => name.endsWith('.part'));
      };
      await eventually(finished, FINISH_BOUND_MS, 'every aplay finishing after the last drain');
      names = names.filter((name) => /^\d+\.raw$/.test(name));
      names.sort((a, b) => (BigInt(a.slice(0, -4)) < BigInt(b.slice(0, -4)) ? -1 : 1));
      return joinSamples(...(await Promise.all(names.map((name) => readRawSamples(join(dir, name))))));
    },
  };
}
