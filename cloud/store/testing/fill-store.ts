import { ProviderError } from '../../providers/provider-error.js';
import type { Store } from '../store.js';
import { sampleTurn } from './store-contract.js';

/**
 * For tests of a size-capped store: saves turns for device 'filler', big ones then small ones,
 * until the store refuses even a small one. Returns how many fitted and the refusal.
 */
export async function fillStore(store: Store): Promise<{ saved: number; error: ProviderError }> {
  let saved = 0;
  for (const transcript of ['blah '.repeat(400), 'blah']) {
    for (;;) {
      if (saved > 10_000) throw new Error('the store never filled up; is it capped?');
      try {
        await store.saveTurn(sampleTurn({ id: `filler-${saved}`, deviceId: 'filler', transcript, reply: '' }));
        saved++;
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        if (transcript === 'blah') return { saved, error: err };
        break;
      }
    }
  }
  throw new Error('unreachable');
}
