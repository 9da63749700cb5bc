// operators:list benchmark (docs/operators.md "Operators and roles"): the list at 1,000 operators vs 10 operators.
// The answer has a row per operator, so its time grows with them; what must not grow is the cost of a row. Two rows:
// - time per listed operator at 1,000 vs at 10, target <= 2x: a query per operator would keep this near 1x too (each
//   is an index probe), so the target catches a cost that grows faster than the list (a scan per operator), and the
//   absolute time per operator is compared with main's code in the report;
// - SQL statements run per list at 1,000 vs at 10, target 1x: the list's queries are one per column kind, whatever
//   the number of operators (a query per operator would make this about 100x).
// Real console (createConsole) and store. Operators, their second factors, recovery codes, incident kits, approval
// keys and sign-ins (3 unlocks and a failure each, through the audit log's bulk append, plus 5,000 other records) are
// seeded through the repositories while no console holds the store; every operator shares the bench admin's slot.
// Run: npm run bench -- operators-list
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { createApprovalsRepo } from '../../electron/store/approvalsRepo.ts';
import { createIncidentKitRepo } from '../../electron/store/incidentKitRepo.ts';
import { createOperatorsRepo } from '../../electron/store/operatorsRepo.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const ADMIN = 'bench-admin';
const PASSPHRASE = 'bench passphrase 0123';
const RUNS = 15;
const SIZES = [10, 1_000] as const;
const CTX = { transport: 'test' } as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const name = (i: number) => `op-${String(i).padStart(5, '0')}`;
const open = (dir: string) => createConsole({ dataDir: dir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false }, metrics: { enabled: false }, idleLock: { intervalMs: null } });

/** Counts the statements better-sqlite3 runs (all, get, iterate, run) while fn runs. */
async function statementsRunBy(fn: () => Promise<unknown>): Promise<number> {
  const scratch = new Database(':memory:');
  const proto = Object.getPrototypeOf(scratch.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  scratch.close();
  const methods = ['all', 'get', 'iterate', 'run'] as const;
  const saved = methods.map((m) => proto[m]!);
  let n = 0;
  methods.forEach((m, i) => {
    proto[m] = function counted(this: unknown, ...a: unknown[]) {
      n++;
      return saved[i]!.apply(this, a);
    };
  });
  try {
    await fn();
  } finally {
    methods.forEach((m, i) => (proto[m] = saved[i]!));
  }
  return n;
}

/** Operators 1..n (the admin is the n+1th row): a third with an app, a tenth with a token, every fifth with a kit. */
function seed(storePath: string, n: number, at: string): void {
  const db = new Database(storePath);
  try {
    const ops = createOperatorsRepo(db);
    const kits = createIncidentKitRepo(db);
    const approvals = createApprovalsRepo(db);
    const slot = ops.get(ADMIN)!.slot;
    const later = new Date(Date.parse(at) + 3600_000).toISOString();
    db.transaction(() => {
      for (let i = 1; i <= n; i++) {
        const who = name(i);
        ops.insert({ name: who, role: i % 4 === 0 ? 'security_officer' : 'viewer', slot, throttle: { failedAttempts: i % 3, lastFailureMs: null }, createdAt: at, createdBy: ADMIN, passphraseChangedAt: null });
        if (i % 3 === 0) {
          ops.setTotpPending(who, crypto.randomBytes(40));
          ops.activateTotp(who, 1, at);
          ops.replaceRecoveryCodes(who, Array.from({ length: 10 }, (_, p) => ({ position: p + 1, kdf: KDF, salt: crypto.randomBytes(16), hash: crypto.randomBytes(32) })), at);
          ops.useRecoveryCode(who, 1, at);
        }
        if (i % 10 === 0) {
          ops.setToken(who, { modulePath: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: who, keyLabel: who, publicKeyPem: 'bench', enabledAt: at });
        }
        if (i % 5 === 0) {
          kits.insert({ kitId: `kit-${who}`, responder: who, exportedBy: ADMIN, exportedAt: at, expiresAt: later, orders: 1, robots: 1 });
          kits.insert({ kitId: `kit-${who}-done`, responder: who, exportedBy: ADMIN, exportedAt: at, expiresAt: later, orders: 1, robots: 1 });
          kits.markImported(`kit-${who}-done`, at, ADMIN, 1);
        }
        if (i % 2 === 0) {
          const fp = crypto.createHash('sha256').update(who).digest('hex');
          approvals.saveApprovalKey({ operator: who, publicSpki: Buffer.from(fp, 'hex'), fingerprint: fp, enrolledAt: at });
          if (i % 4 === 0) approvals.revokeApprovalKey(who, { revokedAt: at, revokedBy: ADMIN, why: 'removed', reason: 'bench' });
        }
      }
    })();
  } finally {
    db.close();
  }
}

async function measure(n: number): Promise<{ perRowMs: number; statements: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-operators-'));
  let c: FleetConsole | null = null;
  try {
    c = await open(dir);
    await c.handlers['session:init']({ operator: ADMIN, passphrase: PASSPHRASE }, CTX);
    const storePath = c.storePath;
    const at = new Date().toISOString();
    c.close();
    seed(storePath, n, at);
    c = await open(dir);
    await c.handlers['session:unlock']({ operator: ADMIN, passphrase: PASSPHRASE }, CTX);
    const records = [];
    for (let i = 1; i <= n; i++) {
      for (let k = 0; k < 3; k++) records.push({ actor: name(i), action: 'session.unlock', targetType: 'store' as const, targetId: 'bench', outcome: 'success' as const });
      records.push({ actor: name(i), action: 'session.unlock', targetType: 'store' as const, targetId: 'bench', outcome: 'failure' as const });
    }
    for (let i = 0; i < 5_000; i++) records.push({ actor: ADMIN, action: 'key.create', targetType: 'key' as const, targetId: `k${i}`, outcome: 'success' as const });
    c.audit.appendMany(records);
    const list = () => c!.handlers['operators:list']({}, CTX);
    const first = await list();
    if (first.operators.length !== n + 1) throw new Error(`${first.operators.length} operators listed, expected ${n + 1}`);
    const statements = await statementsRunBy(list);
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      await list();
      times.push(performance.now() - t0);
    }
    return { perRowMs: median(times) / (n + 1), statements };
  } finally {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const small = await measure(SIZES[0]);
  const large = await measure(SIZES[1]);
  const perRow = large.perRowMs / small.perRowMs;
  const statements = large.statements / small.statements;
  return [
    {
      name: 'operators:list, time per listed operator, 1,000 vs 10 operators',
      unit: 'ms',
      baseline: small.perRowMs,
      measured: large.perRowMs,
      ratio: perRow,
      target: '<= 2x',
      pass: perRow <= 2,
      note: `whole list ${(large.perRowMs * (SIZES[1] + 1)).toFixed(1)} ms vs ${(small.perRowMs * (SIZES[0] + 1)).toFixed(2)} ms`,
    },
    {
      name: 'operators:list, SQL statements per list, 1,000 vs 10 operators',
      unit: 'statements',
      baseline: small.statements,
      measured: large.statements,
      ratio: statements,
      target: '1x (a constant number of queries)',
      pass: statements <= 1,
    },
  ];
}
