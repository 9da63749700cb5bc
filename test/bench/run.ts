// `npm run bench`: runs every test/bench/*.bench.ts and prints each measurement as a ratio against the baseline
// measured in the same run. Targets are reported, never enforced as test failures (the machines are noisy).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchResult } from './types.ts';

const dir = import.meta.dirname;
// `npm run bench -- ca-revocation` or `-- --ca-revocation` (the leading dashes matched no file and ran nothing).
const filter = process.argv[2]?.replace(/^--/, '');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

const results: Array<BenchResult & { file: string }> = [];
for (const file of files) {
  console.log(`\n== ${file}`);
  const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { run: () => Promise<BenchResult[]> };
  for (const r of await mod.run()) {
    results.push({ ...r, file });
    console.log(
      `  ${r.name}: measured ${fmt(r.measured)} ${r.unit}, baseline ${fmt(r.baseline)} ${r.unit}, ratio ${r.ratio.toFixed(3)} (target ${r.target}) ${r.pass ? 'MET' : 'NOT MET'}${r.note ? ` - ${r.note}` : ''}`,
    );
  }
}

console.log('\nSummary');
console.log('| benchmark | measured | baseline | ratio | target | |');
console.log('|---|---|---|---|---|---|');
for (const r of results)
  console.log(`| ${r.name} | ${fmt(r.measured)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} | ${r.ratio.toFixed(3)} | ${r.target} | ${r.pass ? 'met' : 'NOT met'} |`);
const missed = results.filter((r) => !r.pass).length;
console.log(`\n${results.length - missed} targets met, ${missed} not met`);

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3);
}
