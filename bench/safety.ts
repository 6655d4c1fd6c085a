import { parseArgs } from 'node:util';
import { LocalSafetyFilter } from '../cloud/providers/safety/local-safety-filter.js';
import { GUARDIAN_CATEGORIES, HELD_OUT_SHA256, corpusHash, readCorpus, type CorpusLine, type CorpusPart } from '../cloud/providers/safety/testing/safety-corpus.js';
import { UsageError, runBench } from './bench-cli.js';

/**
 * bench/safety: the local safety filter on the labelled corpus, by default its held-out part
 * (written by someone who had not seen the filter, and never tuned on): unsafe recall and the
 * rate of safe sentences blocked, overall and per category, disclosures caught, and the corpus's
 * hash, so a figure can be tied to the sentences it was measured on.
 */

const HELP = `node dist-bench/bench/safety.js [options]

  --part P       held-out (default) or tune
  --misses N     list up to N sentences the filter got wrong, per kind (default 0)
  --json         print only the JSON line on stdout
  -h, --help     this text

A block counts as caught; for a line whose label is allow (safe, or a child giving personal details
that are to be taken out, not blocked) a block is a false block. Exits 0, 1 when the corpus is not
the one committed (its hash differs), 2 on bad usage.`;

interface Rate {
  readonly of: number;
  readonly hit: number;
  readonly rate: number | null;
}

const rate = (hit: number, of: number): Rate => ({ of, hit, rate: of === 0 ? null : Math.round((hit / of) * 1000) / 1000 });

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      part: { type: 'string', default: 'held-out' },
      misses: { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.part !== 'held-out' && values.part !== 'tune') throw new UsageError(`--part must be held-out or tune, got '${values.part}'`);
  const misses = Number(values.misses);
  if (!Number.isInteger(misses) || misses < 0) throw new UsageError(`--misses must be a whole number, got '${values.misses}'`);
  const part = values.part as CorpusPart;
  const lines = readCorpus(part);
  const hash = corpusHash(part);
  const filter = new LocalSafetyFilter();
  const signal = new AbortController().signal;
  const judged: { line: CorpusLine; blocked: boolean; found: readonly string[] }[] = [];
  for (const line of lines) {
    const verdict = await filter.check(line.text, line.direction, signal);
    judged.push({ line, blocked: !verdict.allowed, found: Object.keys(verdict.categories) });
  }
  const unsafe = judged.filter((j) => j.line.verdict === 'block');
  const safe = judged.filter((j) => j.line.verdict === 'allow');
  const perCategory: Record<string, { recall: Rate; falseBlocks: Rate }> = {};
  for (const category of GUARDIAN_CATEGORIES) {
    const blockLines = unsafe.filter((j) => j.line.categories.includes(category));
    const allowLines = safe.filter((j) => j.line.categories.includes(category));
    perCategory[category] = { recall: rate(blockLines.filter((j) => j.blocked).length, blockLines.length), falseBlocks: rate(allowLines.filter((j) => j.blocked).length, allowLines.length) };
  }
  const care = judged.filter((j) => j.line.action === 'care');
  const figures = {
    type: 'safety',
    filter: filter.name,
    part,
    lines: lines.length,
    sha256: hash,
    committed: part === 'tune' ? null : hash === HELD_OUT_SHA256,
    unsafeRecall: rate(unsafe.filter((j) => j.blocked).length, unsafe.length),
    falseBlocks: rate(safe.filter((j) => j.blocked).length, safe.length),
    hardSafeFalseBlocks: rate(safe.filter((j) => j.blocked && j.line.categories.length === 0).length, safe.filter((j) => j.line.categories.length === 0).length),
    disclosuresCaught: rate(care.filter((j) => j.blocked).length, care.length),
    perCategory,
  };
  if (!values.json) {
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const show = (r: Rate) => (r.rate === null ? 'n/a' : `${r.rate.toFixed(3)} (${r.hit} of ${r.of})`);
    out(`safety: ${filter.name} on the ${part} part, ${lines.length} lines, sha256 ${hash}${figures.committed === false ? ' (NOT the committed held-out part)' : ''}`);
    out(`unsafe recall ${show(figures.unsafeRecall)}; safe blocked ${show(figures.falseBlocks)} (with no category at all: ${show(figures.hardSafeFalseBlocks)}); disclosures caught ${show(figures.disclosuresCaught)}`);
    out('category        recall                  allowed lines blocked');
    for (const [category, r] of Object.entries(perCategory)) out(`${category.padEnd(15)} ${show(r.recall).padEnd(23)} ${show(r.falseBlocks)}`);
    if (misses > 0) {
      const missed = unsafe.filter((j) => !j.blocked).slice(0, misses);
      const wrong = safe.filter((j) => j.blocked).slice(0, misses);
      out(`missed (${missed.length} shown):`);
      for (const j of missed) out(`  [${j.line.direction} ${j.line.categories.join(',')}] ${j.line.text}`);
      out(`blocked though allowed (${wrong.length} shown):`);
      for (const j of wrong) out(`  [${j.line.direction} found ${j.found.join(',') || '-'}] ${j.line.text}`);
    }
  }
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  return figures.committed === false ? 1 : 0;
}

runBench('safety', main);
