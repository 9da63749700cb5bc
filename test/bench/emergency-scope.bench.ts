// Emergency response benchmark (issue 15): scope resolution and the blast-radius preview at 100,000 robots vs 1,000
// robots, for scopes of the same size in both fleets (one robot, a site of 100, a model, a firmware version, a tag, a
// key's holders, a key version, a certificate serial). Each scope is one index range (docs/emergency-response.md), so
// the preview should cost the scope, not the fleet: target <= 2x. The whole-fleet scope is O(fleet) by nature and is
// not compared. Real console (createConsole) and store; robots, holdings and certificate rows seeded through the
// fleet repository in one transaction while no console holds the store.
// Run: npm run bench -- emergency-scope
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import type { EmergencyScope } from '../../shared/emergencyContract.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const OPERATOR = 'Bench Officer';
const PASSPHRASE = 'bench passphrase 0123';
/** Robots in each measured scope, in both fleets. */
const IN_SCOPE = 100;
const RUNS = 15;
const SIZES = [1_000, 100_000] as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const id = (i: number) => `bench-${String(i).padStart(6, '0')}`;

const open = (dir: string) => createConsole({ dataDir: dir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false }, metrics: { enabled: false } });

/**
 * Robots 1..IN_SCOPE are the scopes' robots: site "Bench Site", model "UV-B", firmware "9.9.9", tag "golden", key A
 * v1, one certificate each. Every other robot is elsewhere (10 other sites, other model, firmware, tag) and holds key B.
 */
function seed(storePath: string, robots: number, keyA: string, keyB: string): void {
  const db = new Database(storePath);
  try {
    const repo = createFleetRepo(db);
    const at = new Date().toISOString();
    db.transaction(() => {
      repo.ensureSite('Bench Site', at);
      repo.ensureModel('UV-B', at);
      repo.ensureModel('UV-7', at);
      for (let s = 0; s < 10; s++) repo.ensureSite(`Other ${s}`, at);
      for (let i = 1; i <= robots; i++) {
        const mine = i <= IN_SCOPE;
        const deviceId = id(i);
        repo.insert({
          deviceId, name: `Unit ${i}`, site: mine ? 'Bench Site' : `Other ${i % 10}`, model: mine ? 'UV-B' : 'UV-7', firmware: mine ? '9.9.9' : `1.${i % 10}.0`,
          tags: mine ? ['golden'] : [`t${i % 50}`], status: 'deployed', statusReason: null, lastSeen: null, createdAt: at, updatedAt: at,
        });
        repo.upsertKeyVersion({ deviceId, keyId: mine ? keyA : keyB, version: 1, source: 'provisioning', recordedAt: at });
        if (mine) {
          repo.insertCertificate({ serial: (0x1000 + i).toString(16).padStart(8, '0'), deviceId, subject: `CN=${deviceId}`, notBefore: at, notAfter: '2099-01-01T00:00:00.000Z', status: 'active', pem: 'bench' });
        }
      }
    })();
  } finally {
    db.close();
  }
}

async function measure(robots: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-emergency-'));
  let c: FleetConsole | null = null;
  try {
    c = await open(dir);
    await c.handlers['session:init']({ operator: OPERATOR, passphrase: PASSPHRASE }, { transport: 'test' });
    const keyA = (await c.handlers['keys:create']({ type: 'communication', label: 'Bench Site comm', algorithm: 'AES_256' }, { transport: 'test' })).id;
    const keyB = (await c.handlers['keys:create']({ type: 'communication', label: 'elsewhere comm', algorithm: 'AES_256' }, { transport: 'test' })).id;
    const storePath = c.storePath;
    c.close();
    seed(storePath, robots, keyA, keyB);
    c = await open(dir);
    await c.handlers['session:unlock']({ operator: OPERATOR, passphrase: PASSPHRASE }, { transport: 'test' });
    const scopes: Array<[string, EmergencyScope]> = [
      ['robot', { kind: 'robot', deviceId: id(7) }],
      ['site', { kind: 'site', site: 'Bench Site' }],
      ['model', { kind: 'model', model: 'UV-B' }],
      ['firmware', { kind: 'firmware', firmware: '9.9.9' }],
      ['tag', { kind: 'tag', tag: 'golden' }],
      ['key', { kind: 'key', keyId: keyA }],
      ['key version', { kind: 'key', keyId: keyA, version: 1 }],
      ['serial', { kind: 'serial', serial: (0x1000 + 7).toString(16).padStart(8, '0') }],
    ];
    const out: Record<string, number> = {};
    for (const [name, scope] of scopes) {
      const p = c.emergency.preview(scope);
      const expected = name === 'robot' || name === 'serial' ? 1 : IN_SCOPE;
      if (p.robots.total !== expected) throw new Error(`${name} at ${robots}: ${p.robots.total} robots, expected ${expected}`);
      const times: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        c.emergency.preview(scope);
        times.push(performance.now() - t0);
      }
      out[name] = median(times);
    }
    return out;
  } finally {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const [small, large] = [await measure(SIZES[0]), await measure(SIZES[1])];
  const results: BenchResult[] = Object.keys(small).map((name) => {
    const ratio = large[name]! / small[name]!;
    return {
      name: `emergency preview, ${name} scope (${name === 'robot' || name === 'serial' ? 1 : IN_SCOPE} robot(s)), 100,000 vs 1,000 robots`,
      unit: 'ms',
      baseline: small[name]!,
      measured: large[name]!,
      ratio,
      target: '<= 2x',
      pass: ratio <= 2,
    };
  });
  const total = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
  const ratio = total(large) / total(small);
  results.push({ name: 'emergency preview, every scope above together, 100,000 vs 1,000 robots', unit: 'ms', baseline: total(small), measured: total(large), ratio, target: '<= 2x', pass: ratio <= 2 });
  return results;
}
