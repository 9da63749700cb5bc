// The test tiers (docs/testing.md), each ending in one line "N passed, N failed, N skipped" and every skipped test with
// its reason, so a green run cannot hide what it did not run:
//   node test/run-all.ts        `npm test`: the fast tier (Vitest projects "unit" and "integration": unit, integration,
//                               security), then the renderer build and the fast end-to-end specs (Playwright project
//                               "fast" in Chromium)
//   node test/run-all.ts unit   the fast tier's Vitest part only;  e2e: the build and every Playwright spec
//   node test/run-all.ts slow   `npm run test:slow`: the slow tier (Vitest project "slow": *.slow.test.ts, real CLI
//                               processes and terminals), then the build and the slow end-to-end specs (Playwright
//                               project "slow": the files listed in test/e2e/tiers.ts)
// Each step prints its wall time and the CPU time of its processes (Linux), so runs can be compared on a busy machine.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// Reports go to a temp folder: Playwright empties test-results/ when it starts.
const out = mkdtempSync(path.join(os.tmpdir(), 'ecps-test-report-'));
const vitestJson = path.join(out, 'vitest.json');
const playwrightJson = path.join(out, 'playwright.json');

/** CPU seconds (user + system) of the children this process has waited for; null where /proc is missing. */
function childrenCpuSeconds(): number | null {
  try {
    // Fields after the command name: utime(14) stime(15) cutime(16) cstime(17), in clock ticks (100 per second on Linux).
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

const timings: string[] = [];
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const run = (label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  console.log(`\n== ${label}: ${[path.basename(cmd), ...args].join(' ')}`);
  const started = Date.now();
  const cpuBefore = childrenCpuSeconds();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const cpuAfter = childrenCpuSeconds();
  const cpu = cpuBefore === null || cpuAfter === null ? '' : `, CPU ${(cpuAfter - cpuBefore).toFixed(0)} s`;
  timings.push(`  ${label}: wall ${((Date.now() - started) / 1000).toFixed(0)} s${cpu}`);
  return r.status ?? 1;
};

const tier = process.argv[2]; // 'unit' | 'e2e' | 'slow' | undefined (the fast tier: unit then e2e)
if (tier !== undefined && !['unit', 'e2e', 'slow'].includes(tier)) {
  console.error(`unknown tier "${tier}": use unit, e2e, slow or nothing`);
  process.exit(2);
}
const vitestProjects = tier === 'slow' ? ['slow'] : ['unit', 'integration'];
const runsVitest = tier !== 'e2e';
const runsE2e = tier !== 'unit';
// Playwright projects (playwright.config.ts, test/e2e/tiers.ts): the fast tier's specs, the slow tier's, or both.
const e2eProjects = tier === 'slow' ? ['slow'] : tier === 'e2e' ? ['fast', 'slow'] : ['fast'];
let failedSteps = 0;
if (runsVitest) {
  const what = tier === 'slow' ? 'slow tier: real processes and terminals (vitest)' : 'unit, integration, security (vitest)';
  failedSteps += run(what, bin('vitest'), [
    'run', ...vitestProjects.flatMap((p) => ['--project', p]), '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`,
  ]) === 0 ? 0 : 1;
}
if (runsE2e) {
  const built = run('renderer build (vite)', bin('vite'), ['build', '--logLevel', 'warn']);
  if (built !== 0) failedSteps += 1;
  else
    failedSteps += run(`end to end (playwright, chromium, ${e2eProjects.join(' + ')} specs)`, bin('playwright'), ['test', ...e2eProjects.flatMap((p) => ['--project', p]), '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
    }) === 0 ? 0 : 1;
}

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedList: string[] = [];
const failedList: string[] = [];
const flakyList: string[] = [];

if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8')) as {
    testResults: Array<{ name: string; status: string; message?: string; assertionResults: Array<{ fullName: string; status: string; failureMessages?: string[] }> }>;
  };
  for (const file of v.testResults) {
    // A file that fails outside its tests (a hook, an import) reports its tests as skipped: that is a failure.
    const fileFailed = file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed');
    if (fileFailed) {
      failed++;
      failedList.push(`${path.relative(root, file.name)} (outside any test): ${(file.message ?? '').split('\n')[0]}`);
      continue;
    }
    for (const t of file.assertionResults) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') {
        failed++;
        failedList.push(`${path.relative(root, file.name)} > ${t.fullName}: ${(t.failureMessages?.[0] ?? '').split('\n')[0]?.slice(0, 300)}`);
      } else {
        skipped++;
        skippedList.push(`${path.relative(root, file.name)} > ${t.fullName}`);
      }
    }
  }
} else if (runsVitest) {
  failed++;
  failedList.push('vitest wrote no report (it did not finish)');
}

interface PwSpec { title: string; tests: Array<{ status: string; annotations?: Array<{ type: string; description?: string }> }> }
interface PwSuite { title: string; specs?: PwSpec[]; suites?: PwSuite[] }
if (existsSync(playwrightJson)) {
  const p = JSON.parse(readFileSync(playwrightJson, 'utf8')) as { suites: PwSuite[] };
  const walk = (s: PwSuite, trail: string) => {
    for (const spec of s.specs ?? [])
      for (const t of spec.tests) {
        if (t.status === 'expected') passed++;
        else if (t.status === 'flaky') {
          passed++;
          flakyList.push(`${trail} > ${spec.title}`);
        }
        else if (t.status === 'skipped') {
          skipped++;
          const why = t.annotations?.find((a) => a.type === 'skip')?.description ?? 'no reason given';
          skippedList.push(`${trail} > ${spec.title}: ${why}`);
        } else {
          failed++;
          failedList.push(`${trail} > ${spec.title} (${t.status})`);
        }
      }
    for (const child of s.suites ?? []) walk(child, `${trail} > ${child.title}`);
  };
  for (const s of p.suites) walk(s, s.title);
} else if (runsE2e) {
  failed++;
  failedList.push('playwright wrote no report (the build failed or it did not finish)');
}

if (skippedList.length) {
  console.log('\nSkipped (not run here, with the reason):');
  for (const s of skippedList) console.log(`  - ${s}`);
}
if (flakyList.length) {
  console.log('\nPassed only on a second try (flaky: failed once, then passed; to be fixed):');
  for (const f of flakyList) console.log(`  - ${f}`);
}
if (failedList.length) {
  console.log('\nFailed:');
  for (const f of failedList) console.log(`  - ${f}`);
}
console.log(`\nTimes (load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}):\n${timings.join('\n')}`);
const summary = `${passed} passed, ${failed} failed, ${skipped} skipped`;
console.log(`\n${summary}`);
// .ci/run names a file here and prints every tier's failures again at the very end, where a truncated log still shows them.
if (process.env.ECPS_TEST_SUMMARY)
  appendFileSync(process.env.ECPS_TEST_SUMMARY, [
      `${tier ?? 'fast'} tier: ${summary}${flakyList.length ? ` (${flakyList.length} passed only on a second try)` : ''}`,
      ...flakyList.map((f) => `  - flaky: ${f}`),
      ...failedList.map((f) => `  - FAILED: ${f}`),
    ].join('\n') + '\n');
rmSync(out, { recursive: true, force: true });
process.exit(failed > 0 || failedSteps > 0 ? 1 : 0);
