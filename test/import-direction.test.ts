import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * Which folder may import which: the arrows of the README's "How it fits
 * together", checked on every source file (tests included, except
 * where a rule says otherwise), so that a wrong import fails the suite instead
 * of growing into a cycle.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What each top-level folder may import besides itself. Test support and tests follow the same rule. */
const TOP_LEVEL: Readonly<Record<string, readonly string[]>> = {
  protocol: [],
  log: [],
  audio: [],
  // hardware/ may take the audio parameters from protocol/ (the sample rates its drivers run at), nothing else of it.
  hardware: ['audio', 'protocol/audio-params.ts'],
  device: ['protocol', 'log', 'audio', 'hardware'],
  cloud: ['protocol', 'log', 'audio'],
  cli: ['protocol', 'log', 'audio', 'hardware', 'device', 'cloud'],
  bench: ['protocol', 'log', 'audio', 'hardware', 'device', 'cloud', 'cli'],
  systemd: ['device'],
  test: ['protocol', 'log', 'audio', 'hardware', 'device', 'cloud', 'cli'],
};

/**
 * The gateway's wings, highest first: a wing may import the wings below it, never one above.
 * The files at cloud/'s top (the composition root) may import every wing.
 */
const CLOUD_WINGS = ['session', 'turn', 'memory', 'store', 'vad', 'providers', 'toy'] as const;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

/** Every relative specifier a file imports, statically or with import(). */
export function relativeImports(source: string): string[] {
  const code = stripComments(source);
  return [
    ...[...code.matchAll(/^\s*(?:import|export)\s[^'"]*?['"](\.\.?\/[^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...code.matchAll(/\bimport\(\s*['"](\.\.?\/[^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
  ];
}

const isTestFile = (path: string) => /\.test\.ts$/.test(path);
/** Test support: contract suites, fakes, fixtures, scene generators. Never part of the product. */
const isTestSupport = (path: string) => path.split('/').includes('testing');
/** What runs on a toy or a server. */
const isProduct = (path: string) => !isTestFile(path) && !isTestSupport(path) && !['bench', 'test', 'systemd'].includes(path.split('/')[0]!);

/** What is wrong with `from` importing `to` (paths relative to the repository, '/'-separated), or undefined. */
export function problem(from: string, to: string): string | undefined {
  const fromTop = from.split('/')[0]!;
  const toTop = to.split('/')[0]!;
  const allowed = TOP_LEVEL[fromTop];
  if (allowed === undefined) return `${fromTop}/ has no import rule`;
  if (isTestFile(to)) return 'imports a test file';
  if (isProduct(from) && !isProduct(to)) return 'product code imports test support or benches';
  if (fromTop !== toTop && !allowed.some((rule) => to === rule || toTop === rule)) return `${fromTop}/ may not import ${toTop}/`;
  if (fromTop === 'cloud' && toTop === 'cloud') {
    const wing = (path: string) => {
      const parts = path.split('/');
      return parts.length > 2 ? parts[1]! : undefined;
    };
    const fromWing = wing(from);
    const toWing = wing(to);
    if (fromWing === undefined || fromWing === toWing) return undefined;
    if (toWing === undefined) return `cloud/${fromWing}/ may not import the gateway's composition root`;
    const rank = (name: string) => CLOUD_WINGS.indexOf(name as (typeof CLOUD_WINGS)[number]);
    if (rank(fromWing) < 0) return `cloud/${fromWing}/ is not in the wings' order`;
    if (rank(toWing) < 0) return `cloud/${toWing}/ is not in the wings' order`;
    if (rank(toWing) < rank(fromWing)) return `cloud/${fromWing}/ may not import cloud/${toWing}/, which is above it`;
  }
  return undefined;
}

const folders = Object.keys(TOP_LEVEL);
const files = folders.flatMap((folder) => sourceFiles(join(ROOT, folder)));

t.test('every top-level source folder has a rule', async (t) => {
  const tops = readdirSync(ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !['node_modules', 'dist', 'dist-bench', 'convex', 'image-build', 'scripts'].includes(entry.name))
    .filter((entry) => sourceFiles(join(ROOT, entry.name)).length > 0)
    .map((entry) => entry.name);
  t.same(tops.filter((name) => !(name in TOP_LEVEL)), []);
});

t.test('every cloud/ folder is a wing in the order', async (t) => {
  const wings = readdirSync(join(ROOT, 'cloud'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  t.same(wings.filter((name) => !(CLOUD_WINGS as readonly string[]).includes(name)), []);
});

for (const folder of folders) {
  t.test(`${folder}/ imports only what it may`, async (t) => {
    const findings: string[] = [];
    for (const file of files.filter((path) => relative(ROOT, path).split(sep)[0] === folder)) {
      const from = relative(ROOT, file).split(sep).join('/');
      for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
        const to = relative(ROOT, join(dirname(file), specifier.replace(/\.js$/, '.ts'))).split(sep).join('/');
        const found = problem(from, to);
        if (found) findings.push(`${from} -> ${to}: ${found}`);
      }
    }
    t.same(findings, []);
  });
}

t.test('the rules catch what they should', async (t) => {
  t.equal(problem('cloud/turn/turn-pipeline.ts', 'cloud/providers/tts/tts.ts'), undefined, 'a wing imports one below');
  t.equal(problem('cloud/gateway-main.ts', 'cloud/session/gateway-server.ts'), undefined, 'the composition root imports a wing');
  t.match(problem('cloud/providers/create-providers.ts', 'cloud/turn/turn-pipeline.ts'), /above it/, 'providers/ importing turn/ runs upward');
  t.match(problem('cloud/store/store.ts', 'cloud/session/device-session.ts'), /above it/);
  t.match(problem('cloud/turn/turn-pipeline.ts', 'cloud/gateway-main.ts'), /composition root/);
  t.match(problem('cloud/session/device-session.ts', 'device/device-runner.ts'), /may not import device/);
  t.match(problem('device/device-runner.ts', 'cloud/session/device-session.ts'), /may not import cloud/);
  t.match(problem('hardware/sim/sim-speaker.ts', 'protocol/messages.ts'), /may not import protocol/);
  t.equal(problem('hardware/sim/sim-speaker.ts', 'protocol/audio-params.ts'), undefined, "hardware/ takes protocol's audio parameters");
  t.match(problem('cloud/store/sqlite-store.ts', 'cloud/store/testing/store-contract.ts'), /test support/);
  t.equal(problem('cloud/store/sqlite-store.test.ts', 'cloud/store/testing/store-contract.ts'), undefined, 'a test uses test support');
  t.match(problem('cloud/store/sqlite-store.ts', 'cloud/store/sqlite-store.test.ts'), /test file/);
  t.match(problem('device/device-main.ts', 'bench/latency.ts'), /test support or benches/);
  // Spelled in two halves so that this file's own scan does not take the example for an import.
  const dynamic = 'const c = await im' + "port('../c/c.js');";
  t.same(relativeImports(`import a from './a.js';\nimport {\n  b,\n} from '../b.js';\n// import z from '../z.js'\n${dynamic}\nimport x from 'ws';`), ['./a.js', '../b.js', '../c/c.js']);
});
