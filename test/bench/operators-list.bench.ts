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
import { statementsRunBy } from '../integration/support/statementCount.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const ADMIN = 'bench-admin';
const PASSPHRASE = 'bench passphrase 0123';
const RUNS = 31;
const WARMUP = 5;
const SIZES = [10, 1_000] as const;
const CTX = { transport: 'test' } as const;

const name = (i: number) => `op-${String(i).padStart(5, '0')}`;
const open = (dir: string) => createConsole({ dataDir: dir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false }, metrics: { enabled: false }, idleLock: { intervalMs: null } });

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

/** A console over n seeded operators (plus the admin), signed in; `list` is operators:list. */
async function prepare(n: number): Promise<{ list: () => Promise<unknown>; statements: number; close: () => void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-operators-'));
  let c: FleetConsole | null = null;
  const close = () => {
    c?.close();
    rmSync(dir, { recursive: true, force: true });
  };
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
    const opened = c;
    const list = () => opened.handlers['operators:list']({}, CTX);
    const first = await list();
    if (first.operators.length !== n + 1) throw new Error(`${first.operators.length} operators listed, expected ${n + 1}`);
    return { list, statements: await statementsRunBy(list), close };
  } catch (e) {
    close();
    throw e;
  }
}

/**
 * Best time of one call per listed operator (the machine is shared: a run's slow calls are other work, so the best of
 * many interleaved rounds compares the two sides, as the provider benches do); both stores open, the sides alternating
 * which runs first each round.
 */
async function perRowMs(sides: ReadonlyArray<{ n: number; list: () => Promise<unknown> }>): Promise<number[]> {
  const times = sides.map(() => [] as number[]);
  for (const side of sides) for (let w = 0; w < WARMUP; w++) await side.list();
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? sides.map((_, i) => i) : sides.map((_, i) => sides.length - 1 - i);
    for (const i of order) {
      const t0 = performance.now();
      await sides[i]!.list();
      times[i]!.push((performance.now() - t0) / (sides[i]!.n + 1));
    }
  }
  return times.map((t) => Math.min(...t));
}

export async function run(): Promise<BenchResult[]> {
  const small = await prepare(SIZES[0]);
  try {
    const large = await prepare(SIZES[1]);
    try {
      const [smallMs, largeMs] = await perRowMs([{ n: SIZES[0], list: small.list }, { n: SIZES[1], list: large.list }]);
      const perRow = largeMs! / smallMs!;
      const statements = large.statements / small.statements;
      return [
        {
          name: 'operators:list, time per listed operator, 1,000 vs 10 operators',
          unit: 'ms',
          baseline: smallMs!,
          measured: largeMs!,
          ratio: perRow,
          target: '<= 2x',
          pass: perRow <= 2,
          note: `whole list ${(largeMs! * (SIZES[1] + 1)).toFixed(1)} ms vs ${(smallMs! * (SIZES[0] + 1)).toFixed(2)} ms (best of ${RUNS} interleaved runs)`,
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
    } finally {
      large.close();
    }
  } finally {
    small.close();
  }
}
