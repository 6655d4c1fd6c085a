import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * protocol/ is shared by the device, the gateway, the dashboard and Convex, so
 * it may depend on nothing: no npm package, no node: module, no Node global,
 * and nothing of the repository outside protocol/.
 */

const HERE = fileURLToPath(new URL('.', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) && !/\.test\.[a-z]+$/.test(entry.name) ? [path] : [];
  });
}

/** Source with comments removed, so words in documentation do not count. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

interface Finding {
  readonly specifier: string;
  readonly problem: string;
}

/** Every import of a file, and what is wrong with each one that is not a sibling in protocol/. */
function check(source: string, fileDir: string, root: string): Finding[] {
  const code = stripComments(source);
  const findings: Finding[] = [];
  const specifiers = [
    ...[...code.matchAll(/\b(?:from|import)\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!),
    ...[...code.matchAll(/\bimport\s*\(([^)]*)\)/g)].map((m) => `import(${m[1]!.trim()})`),
  ];
  for (const specifier of specifiers) {
    if (specifier.startsWith('import(')) {
      findings.push({ specifier, problem: 'dynamic import' });
      continue;
    }
    if (!specifier.startsWith('./') && !specifier.startsWith('../')) {
      findings.push({ specifier, problem: 'not a relative import (a package or node: module)' });
      continue;
    }
    if (!specifier.endsWith('.js')) {
      findings.push({ specifier, problem: "relative imports end in '.js'" });
      continue;
    }
    const target = join(fileDir, specifier.replace(/\.js$/, '.ts'));
    const inside = relative(root, target);
    if (inside.startsWith('..')) findings.push({ specifier, problem: 'outside protocol/' });
    else if (/\.test\.ts$/.test(target)) findings.push({ specifier, problem: 'imports a test' });
    else if (!existsSync(target)) findings.push({ specifier, problem: 'no such file' });
  }
  for (const m of code.matchAll(/\brequire\s*\(/g)) findings.push({ specifier: m[0], problem: 'require' });
  for (const m of source.matchAll(/\/\/\/\s*<reference[^>]*>/g)) findings.push({ specifier: m[0], problem: 'triple-slash reference' });
  for (const m of code.matchAll(/\b(process|Buffer|__dirname|__filename|global|setImmediate)\b/g)) {
    findings.push({ specifier: m[1]!, problem: 'a Node global' });
  }
  return findings;
}

const files = sourceFiles(HERE);

t.test('protocol/ has its source files', async (t) => {
  const names = files.map((f) => relative(HERE, f));
  for (const name of ['index.ts', 'messages.ts', 'parse-message.ts', 'audio-frame.ts', 'version.ts']) t.ok(names.includes(name), name);
});

for (const file of files) {
  t.test(`${relative(HERE, file)} imports nothing outside protocol/`, async (t) => {
    const source = readFileSync(file, 'utf8');
    t.same(check(source, join(file, '..'), HERE), []);
  });
}

t.test('index.ts re-exports every module and does nothing else', async (t) => {
  const index = stripComments(readFileSync(join(HERE, 'index.ts'), 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  t.same(index.filter((line) => !/^export \* from '\.\/[a-z0-9-]+\.js';$/.test(line)), [], 'only export-star lines');
  const exported = index.map((line) => /'\.\/([a-z0-9-]+)\.js'/.exec(line)?.[1]).sort();
  const modules = files
    .map((f) => relative(HERE, f))
    .filter((name) => name !== 'index.ts')
    .map((name) => name.replace(/\.ts$/, ''))
    .filter((name) => name !== 'field-reader') // internal to the parser
    .sort();
  t.same(exported, modules);
});

t.test('the check itself catches what it should', async (t) => {
  const problems = (source: string) => check(source, HERE, HERE).map((f) => f.problem);
  t.same(problems("import { x } from './messages.js';\nimport type { Y } from './audio-params.js';"), []);
  t.same(problems("export * from './version.js';"), []);
  t.same(problems("// import fs from 'node:fs'\n/* require('x') process */ const a = 1;"), [], 'comments do not count');
  t.same(problems("import { readFileSync } from 'node:fs';"), ['not a relative import (a package or node: module)']);
  t.same(problems("import WebSocket from 'ws';"), ['not a relative import (a package or node: module)']);
  t.same(problems("import type { Foo } from '../device/foo.js';"), ['outside protocol/']);
  t.same(problems("export { x } from '../cloud/x.js';"), ['outside protocol/']);
  t.same(problems("import './side-effect';"), ["relative imports end in '.js'"]);
  t.same(problems("import { x } from './nowhere.js';"), ['no such file']);
  t.same(problems("import { x } from './audio-frame.test.js';"), ['imports a test']);
  t.same(problems("const m = await import('node:crypto');"), ['dynamic import']);
  t.same(problems("const fs = require('fs');"), ['require']);
  t.same(problems('/// <reference types="node" />\n'), ['triple-slash reference']);
  t.same(problems('const b = Buffer.from([1]);'), ['a Node global']);
  t.same(problems("if (process.env['X']) {}"), ['a Node global']);
});
