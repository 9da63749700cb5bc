// Fleet table benchmark: filter + render time at 100,000 robots vs 1,000 robots (virtualisation and SQL paging
// should keep the ratio near 1; target <= 2), the renderer's JS heap at 100,000 robots (target < 200 MB), and the
// main process's resident memory (this process hosts the console and the browser host). Chromium via Playwright
// against the real browser host; robots seeded through the fleet repository in one transaction.
// Run: npx vite build && npm run bench -- fleet-table
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright';
import { createConsole } from '../../electron/app.ts';
import { startBrowserHost } from '../../electron/host/browserHost.ts';
import { ROBOT_STATUSES } from '../../shared/domain.ts';
import { SEED_SITES, seededRobot, seedRobots, type SeededRobot } from '../e2e/support/fleetSeed.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const OPERATOR = 'Bench Officer';
const PASSPHRASE = 'bench passphrase 0123';
const RENDERER_DIR = path.resolve(import.meta.dirname, '..', '..', 'dist', 'renderer');

interface Measured {
  filterMs: number;
  sortMs: number;
  heapMb: number;
  rssMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Change = { kind: 'select'; label: 'Status' | 'Site'; value: string } | { kind: 'sort'; column: string };

/**
 * Runs in the page: applies a change and resolves with the milliseconds (performance.now) until the count and the
 * first row show the new list. Kept as page-side JavaScript text: the Node tsconfig has no DOM library.
 */
const TIME_CHANGE_IN_PAGE = `({ change, expectCount, expectFirst }) => new Promise((resolve, reject) => {
  const count = document.querySelector('[data-testid="fleet-count"]');
  const done = () => count.textContent === expectCount
    && document.querySelector('[role=row][data-device-id]')?.getAttribute('data-device-id') === expectFirst;
  const t0 = performance.now();
  const observer = new MutationObserver(() => {
    if (done()) { observer.disconnect(); resolve(performance.now() - t0); }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  setTimeout(() => { observer.disconnect(); reject(new Error('no update to ' + expectCount + ' / ' + expectFirst + ', showing ' + count.textContent)); }, 30000);
  if (change.kind === 'select') {
    const select = [...document.querySelectorAll('label')].find((l) => l.textContent.startsWith(change.label)).querySelector('select');
    select.value = change.value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  } else {
    [...document.querySelectorAll('[role=columnheader] button')].find((b) => b.textContent.startsWith(change.column)).click();
  }
})`;

async function timeChange(page: Page, change: Change, expectCount: string, expectFirst: string): Promise<number> {
  const args = JSON.stringify({ change, expectCount, expectFirst });
  return (await page.evaluate(`(${TIME_CHANGE_IN_PAGE})(${args})`)) as number;
}

const countText = (n: number, filtered: boolean) => `${n.toLocaleString('en-US')} ${filtered ? 'matching ' : ''}robot${n === 1 ? '' : 's'}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** What the list shows for a filter: its count text and first device id, computed from the seed pattern. */
function expected(robots: SeededRobot[], status: string, site: string): [string, string] {
  const rows = robots.filter((r) => (!status || r.status === status) && (!site || r.site === site));
  return [countText(rows.length, Boolean(status || site)), rows[0]!.deviceId];
}

/** First device id for ORDER BY column dir, device_id dir (SQLite compares these ASCII texts bytewise). */
function firstSorted(robots: SeededRobot[], column: 'name' | 'model' | 'site' | 'status', dir: 'asc' | 'desc'): string {
  let best = robots[0]!;
  for (const r of robots) {
    const c = cmp(r[column], best[column]) || cmp(r.deviceId, best.deviceId);
    if (dir === 'asc' ? c < 0 : c > 0) best = r;
  }
  return best.deviceId;
}

async function measure(robots: number): Promise<Measured> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-fleet-'));
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  try {
    const first = await createConsole({ dataDir, kdf: KDF });
    await first.handlers['session:init']({ operator: OPERATOR, passphrase: PASSPHRASE }, { transport: 'test' });
    const storePath = first.storePath;
    first.close();
    seedRobots(storePath, robots);

    const fleet = await createConsole({ dataDir, kdf: KDF });
    const host = await startBrowserHost({ console: fleet, port: 0, rendererDir: RENDERER_DIR });
    try {
      browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--enable-precise-memory-info'],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(host.url);
      await page.getByLabel('Operator name').fill(OPERATOR);
      await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Fleet' }).click();
      const all = `${robots.toLocaleString('en-US')} robots`;
      await page.getByTestId('fleet-count').filter({ hasText: all }).waitFor();

      // Every measured change is a list this page has not fetched before (no cached answer), for both fleet sizes.
      const seeded = Array.from({ length: robots }, (_, k) => seededRobot(k + 1));
      const filterTimes: number[] = [];
      let status = '';
      for (const site of SEED_SITES) {
        await timeChange(page, { kind: 'select', label: 'Site', value: site }, ...expected(seeded, status, site));
        for (const next of ROBOT_STATUSES.filter((s) => s !== status)) {
          status = next;
          filterTimes.push(await timeChange(page, { kind: 'select', label: 'Status', value: status }, ...expected(seeded, status, site)));
        }
      }
      await timeChange(page, { kind: 'select', label: 'Site', value: '' }, ...expected(seeded, status, ''));
      await timeChange(page, { kind: 'select', label: 'Status', value: '' }, ...expected(seeded, '', ''));
      const sortTimes: number[] = [];
      for (const [column, label] of [['name', 'Name'], ['model', 'Model'], ['site', 'Site'], ['status', 'Status']] as const) {
        for (const dir of ['asc', 'desc'] as const) sortTimes.push(await timeChange(page, { kind: 'sort', column: label }, all, firstSorted(seeded, column, dir)));
      }
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('Performance.enable');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN;
      return { filterMs: median(filterTimes), sortMs: median(sortTimes), heapMb: heap / 2 ** 20, rssMb: process.memoryUsage().rss / 2 ** 20 };
    } finally {
      await browser?.close();
      await host.close();
      fleet.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  await measure(1_000); // warm-up: the first pass pays for JIT and cold caches in both processes
  const small = await measure(1_000);
  const large = await measure(100_000);
  const ratio = (a: number, b: number) => a / b;
  return [
    {
      name: 'fleet table status filter + render, 100,000 vs 1,000 robots',
      unit: 'ms',
      baseline: small.filterMs,
      measured: large.filterMs,
      ratio: ratio(large.filterMs, small.filterMs),
      target: '<= 2x the 1,000-robot time',
      pass: ratio(large.filterMs, small.filterMs) <= 2,
      note: 'median of 30 uncached filter changes each',
    },
    {
      name: 'fleet table sort + render, 100,000 vs 1,000 robots',
      unit: 'ms',
      baseline: small.sortMs,
      measured: large.sortMs,
      ratio: ratio(large.sortMs, small.sortMs),
      target: '<= 2x the 1,000-robot time',
      pass: ratio(large.sortMs, small.sortMs) <= 2,
      note: 'median of 8 uncached sorts each',
    },
    {
      name: 'renderer JS heap at 100,000 robots (after GC)',
      unit: 'MB',
      baseline: 200,
      measured: large.heapMb,
      ratio: large.heapMb / 200,
      target: '< 200 MB (ratio < 1)',
      pass: large.heapMb < 200,
      note: `${small.heapMb.toFixed(1)} MB at 1,000 robots`,
    },
    {
      name: 'main process resident memory at 100,000 robots',
      unit: 'MB',
      baseline: small.rssMb,
      measured: large.rssMb,
      ratio: large.rssMb / small.rssMb,
      target: 'reported (console + browser host in this process)',
      pass: true,
    },
  ];
}
