import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Test support: an `aplay` first on PATH that reads its input and then keeps
 * "playing" for half a minute, like a card's buffer after the input ends, and
 * records its pid so a test can see whether it was silenced.
 */
export async function installFakeAplay(dir: string): Promise<{ firstPid(): Promise<number>; alive(pid: number): boolean; restore(): void }> {
  const pidDir = join(dir, 'pids');
  await mkdir(pidDir, { recursive: true });
  const script = join(dir, 'aplay');
  await writeFile(script, `#!/bin/sh\necho $$ > "${pidDir}/$$"\ncat > /dev/null\nexec sleep 30\n`);
  await chmod(script, 0o755);
  const path = process.env['PATH'];
  process.env['PATH'] = `${dir}:${path ?? ''}`;
  return {
    /** The pid of the first fake aplay started, once it has started (within 5 s). */
    async firstPid() {
      let pids: string[] = [];
      await eventuallyAsync(async () => (pids = await readdir(pidDir)).length > 0, 5000, 'aplay starting');
      return Number(pids[0]);
    },
    alive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    },
    restore() {
      process.env['PATH'] = path;
    },
  };
}

/** Resolves once `check` holds, looking every 10 ms; rejects after `ms` naming `what`. */
export function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  return eventuallyAsync(async () => check(), ms, what);
}

async function eventuallyAsync(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); ) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
