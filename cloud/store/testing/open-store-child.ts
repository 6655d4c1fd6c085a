import { SqliteStore } from '../sqlite-store.js';
import { sampleTurn } from './store-contract.js';

/**
 * For tests that need a process of its own (a file-size limit, a full disk): opens the store at
 * argv[2], reads its devices, tries to save a turn, and prints what happened as one JSON line.
 */
const path = process.argv[2] ?? '';
try {
  const store = await SqliteStore.open(path);
  const devices = (await store.listDevices()).map((device) => device.id);
  let saveError: string | undefined;
  try {
    await store.saveTurn(sampleTurn({ id: 'on-a-full-disk', transcript: 'x'.repeat(40_000) }));
  } catch (error) {
    saveError = (error as { code?: string }).code;
  }
  process.stdout.write(`${JSON.stringify({ opened: true, degraded: store.degraded, devices, saveError })}\n`);
  await store.close();
} catch (error) {
  process.stdout.write(`${JSON.stringify({ opened: false, error: (error as Error).message })}\n`);
}
