// `npm test`: unit + integration + security tests (Vitest), then the renderer build and the end-to-end tests
// (Playwright in Chromium). Prints one closing line "N passed, N failed, N skipped" and every skipped test with its
// reason, so a green run cannot hide what it did not run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// Reports go to a temp folder: Playwright empties test-results/ when it starts.
const out = mkdtempSync(path.join(os.tmpdir(), 'ecps-test-report-'));
const vitestJson = path.join(out, 'vitest.json');
const playwrightJson = path.join(out, 'playwright.json');

const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const run = (label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  console.log(`\n== ${label}: ${[path.basename(cmd), ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
};

const only = process.argv[2]; // 'unit' | 'e2e' | undefined (both)
let failedSteps = 0;
if (only !== 'e2e') {
  failedSteps += run('unit, integration, security (vitest)', bin('vitest'), [
    'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`,
  ]) === 0 ? 0 : 1;
}
if (only !== 'unit') {
  const built = run('renderer build (vite)', bin('vite'), ['build', '--logLevel', 'warn']);
  if (built !== 0) failedSteps += 1;
  else
    failedSteps += run('end to end (playwright, chromium)', bin('playwright'), ['test', '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
    }) === 0 ? 0 : 1;
}

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedList: string[] = [];

if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8')) as {
    testResults: Array<{ name: string; status: string; message?: string; assertionResults: Array<{ fullName: string; status: string }> }>;
  };
  for (const file of v.testResults) {
    // A file that fails outside its tests (a hook, an import) reports its tests as skipped: that is a failure.
    const fileFailed = file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed');
    if (fileFailed) {
      failed++;
      console.log(`\nFAILED (outside any test): ${path.relative(root, file.name)}: ${(file.message ?? '').split('\n')[0]}`);
      continue;
    }
    for (const t of file.assertionResults) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') failed++;
      else {
        skipped++;
        skippedList.push(`${path.relative(root, file.name)} > ${t.fullName}`);
      }
    }
  }
} else if (only !== 'e2e') failed++;

interface PwSpec { title: string; tests: Array<{ status: string; annotations?: Array<{ type: string; description?: string }> }> }
interface PwSuite { title: string; specs?: PwSpec[]; suites?: PwSuite[] }
if (existsSync(playwrightJson)) {
  const p = JSON.parse(readFileSync(playwrightJson, 'utf8')) as { suites: PwSuite[] };
  const walk = (s: PwSuite, trail: string) => {
    for (const spec of s.specs ?? [])
      for (const t of spec.tests) {
        if (t.status === 'expected' || t.status === 'flaky') passed++;
        else if (t.status === 'skipped') {
          skipped++;
          const why = t.annotations?.find((a) => a.type === 'skip')?.description ?? 'no reason given';
          skippedList.push(`${trail} > ${spec.title}: ${why}`);
        } else failed++;
      }
    for (const child of s.suites ?? []) walk(child, `${trail} > ${child.title}`);
  };
  for (const s of p.suites) walk(s, s.title);
} else if (only !== 'unit') failed++;

if (skippedList.length) {
  console.log('\nSkipped (not run here, with the reason):');
  for (const s of skippedList) console.log(`  - ${s}`);
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
rmSync(out, { recursive: true, force: true });
process.exit(failed > 0 || failedSteps > 0 ? 1 : 0);
