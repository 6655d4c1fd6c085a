import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

/**
 * dist/ is what a Pi or a server runs and nothing more: the product build's
 * program (tsconfig.build.json, with every file an import pulls in, not just
 * those its include names) holds no test support, test or bench. The benches
 * build apart (tsconfig.bench.json) into dist-bench/. TypeScript is asked which
 * files each program holds, without type checking, so this stays quick.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Why `path` (relative to the repository, '/'-separated) does not belong in the product, or undefined. */
export function notProduct(path: string): string | undefined {
  const parts = path.split('/');
  if (parts.includes('testing')) return 'test support';
  if (/\.test\.ts$/.test(path)) return 'a test';
  if (parts[0] === 'test') return 'an end-to-end test or its harness';
  if (parts[0] === 'bench') return 'a bench';
  return undefined;
}

async function tsc(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [TSC, ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** The repository's own files in a config's program (type definitions from node_modules left out). */
async function programFiles(config: string): Promise<string[]> {
  return (await tsc('-p', config, '--listFilesOnly'))
    .split('\n')
    .filter((line) => line !== '')
    .map((file) => relative(ROOT, file).split(sep).join('/'))
    .filter((path) => !path.startsWith('..') && !path.split('/').includes('node_modules'));
}

async function outDir(config: string): Promise<string> {
  const shown = JSON.parse(await tsc('-p', config, '--showConfig')) as { compilerOptions?: { outDir?: string } };
  return shown.compilerOptions?.outDir ?? '';
}

// Both programs at once: each takes TypeScript a second or two to list.
const product = programFiles('tsconfig.build.json');
const benches = programFiles('tsconfig.bench.json');

t.test('the product build holds the product and no test support, test or bench', async (t) => {
  const files = await product;
  t.ok(files.includes('cli/main.ts'), 'the command is built');
  t.ok(files.includes('cloud/gateway-main.ts'), 'the gateway is built');
  t.same(
    files.flatMap((path) => {
      const why = notProduct(path);
      return why === undefined ? [] : [`${path}: ${why}`];
    }),
    [],
  );
  t.equal(await outDir('tsconfig.build.json'), './dist');
});

t.test('the benches build apart, with what they import, into dist-bench/', async (t) => {
  const files = await benches;
  for (const bench of ['bench/latency.ts', 'bench/latency-gateway.ts', 'bench/device-memory.ts', 'bench/device-memory-device.ts', 'bench/vad.ts']) {
    t.ok(files.includes(bench), bench);
  }
  t.ok(files.includes('cloud/providers/testing/simulated/simulated-llm.ts'), 'the simulated providers the latency bench runs');
  t.same(files.filter((path) => /\.test\.ts$/.test(path) || path.startsWith('test/')), [], 'no tests');
  t.equal(await outDir('tsconfig.bench.json'), './dist-bench');
});

t.test('what counts as not the product', async (t) => {
  t.equal(notProduct('hardware/sim/sim-speaker.ts'), undefined);
  t.equal(notProduct('cloud/vad/silero-vad.ts'), undefined, 'an optional adapter is product');
  t.equal(notProduct('hardware/testing/speaker-contract.ts'), 'test support');
  t.equal(notProduct('cloud/providers/testing/simulated/simulated-stt.ts'), 'test support');
  t.equal(notProduct('cloud/store/sqlite-store.test.ts'), 'a test');
  t.equal(notProduct('test/harness.ts'), 'an end-to-end test or its harness');
  t.equal(notProduct('bench/latency.ts'), 'a bench');
});
