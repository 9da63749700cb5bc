// Key usage benchmark: fleet:keyUsage (robots per version of a key, one page of its holders, where it is assigned) for
// a key held by every robot of a 100,000-robot fleet, against fleet:dashboard over the same fleet in the same run: both
// are views an officer opens that count over the whole fleet (the dashboard by status and site, the key panel by key
// version), and the counting is linear in the robots counted. Target: the key panel costs no more than the dashboard.
// Rows are seeded through the fleet repository in one transaction; the calls go through the console's own handlers.
// Run: npm run bench -- key-usage
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createConsole } from '../../electron/app.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { seededRobot, seedRobots } from '../e2e/support/fleetSeed.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CTX = { transport: 'test' } as const;
const ROBOTS = 100_000;
const ROUNDS = 15;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-key-usage-'));
  try {
    const first = await createConsole({ dataDir, kdf: KDF });
    await first.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, CTX);
    const key = await first.keys.create({ type: 'communication', label: 'fleet link' });
    await first.keys.rotate(key.id);
    await first.keys.rotate(key.id);
    const storePath = first.storePath;
    first.close();
    seedRobots(storePath, ROBOTS);
    // Every robot holds the key: a third on each version.
    const db = new Database(storePath);
    try {
      const repo = createFleetRepo(db);
      const at = new Date().toISOString();
      db.transaction(() => {
        for (let i = 1; i <= ROBOTS; i++) repo.upsertKeyVersion({ deviceId: seededRobot(i).deviceId, keyId: key.id, version: (i % 3) + 1, source: 'distribution', recordedAt: at });
      })();
    } finally {
      db.close();
    }

    const c = await createConsole({ dataDir, kdf: KDF });
    try {
      await c.handlers['session:unlock']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, CTX);
      const usage = await c.handlers['fleet:keyUsage']({ keyId: key.id, offset: 0 }, CTX);
      if (usage.robots !== ROBOTS || usage.versions.length !== 3) throw new Error(`seeding went wrong: ${usage.robots} holders, ${usage.versions.length} versions`);
      const time = async (fn: () => Promise<unknown>) => {
        const t0 = performance.now();
        await fn();
        return performance.now() - t0;
      };
      const dashboard: number[] = [];
      const firstPage: number[] = [];
      const lastPageOfVersion: number[] = [];
      // Interleaved, so machine noise hits both sides alike.
      for (let r = 0; r < ROUNDS; r++) {
        dashboard.push(await time(() => c.handlers['fleet:dashboard']({}, CTX)));
        firstPage.push(await time(() => c.handlers['fleet:keyUsage']({ keyId: key.id, offset: 0 }, CTX)));
        lastPageOfVersion.push(await time(() => c.handlers['fleet:keyUsage']({ keyId: key.id, version: 1, offset: 33_200 }, CTX)));
      }
      const baseline = median(dashboard);
      const row = (name: string, times: number[], note: string): BenchResult => ({
        name, unit: 'ms', baseline, measured: median(times), ratio: median(times) / baseline,
        target: '<= 1x fleet:dashboard at the same fleet size', pass: median(times) / baseline <= 1,
        note: `median of ${ROUNDS} interleaved rounds${note}`,
      });
      return [
        row(`key usage, first page of holders, key held by ${ROBOTS.toLocaleString('en')} robots vs the fleet dashboard`, firstPage, '; counts per version over all holders + 200 holders'),
        row(`key usage, last page of one version's holders (offset 33,200) vs the fleet dashboard`, lastPageOfVersion, ''),
      ];
    } finally {
      c.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
