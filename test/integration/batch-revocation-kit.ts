// Fleets of many robots for the batch-revocation tests (emergency-batch-revocation, ca-revoke-batch): a store with a
// real local fleet CA, robots and certificates seeded through the repositories while no console holds the store
// (test/bench/fleetSeed.ts), a SQLite trigger to make one statement fail, and the read-backs the tests compare with
// their tables (the CRL as openssl lists it, the audit records of an action, a figure of the compliance report).
import { expect } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { seedSiteWithCertificates } from '../bench/fleetSeed.ts';
import { CTX, dbFile, open, openUnlocked, PASSPHRASE, tempDir, withRawDb } from '../unit/store-testkit.ts';
import { openssl, workDir, writeFile } from './fleetca-kit.ts';

const work = workDir();

/** 16-byte serials as the CA makes them (lower-case hex, first byte below 0x80). */
export const serialOf = (i: number) => `3e${String(i).padStart(30, '0')}`;
export const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A store with a local fleet CA and `robots` robots, each with one valid certificate (CA row and registry copy). */
export async function fleetWithCertificates(robots: number): Promise<{ dir: string; c: FleetConsole }> {
  const dir = tempDir('ecps-batch-revocation-');
  let c = await openUnlocked(dir);
  await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Batch Test CA' }, CTX);
  c.close();
  seedSiteWithCertificates(dbFile(dir), robots, serialOf);
  c = await reopen(dir);
  return { dir, c };
}

/** Opens the store and unlocks it as alice (the admin openUnlocked made). */
export async function reopen(dir: string): Promise<FleetConsole> {
  const c = await open(dir);
  await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  return c;
}

/** The fleet of fleetWithCertificates (closed) with a trigger `test_abort` that aborts the statement `when` names. */
export async function fleetFailingAt(robots: number, when: string): Promise<string> {
  const { dir, c } = await fleetWithCertificates(robots);
  c.close();
  withRawDb(dir, (db) => db.exec(`CREATE TRIGGER test_abort ${when} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`));
  return dir;
}

/** The serials a CRL (PEM) lists, as openssl prints them (upper-case hex), sorted. */
export function crlSerials(pem: string): string[] {
  const r = openssl(work, ['crl', '-in', writeFile(work, `crl-${Math.random().toString(36).slice(2)}.pem`, pem), '-noout', '-text']);
  expect(r.status, r.out).toBe(0);
  return [...r.out.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!).sort();
}

/** The records of `action`, oldest first (at most 100). */
export const auditOf = (c: FleetConsole, action: string) => c.audit.query({ action, offset: 0, limit: 100 }).records.reverse();

/** The figure of the compliance report's incidents summary named `label` (its CSV). */
export async function reportFigure(c: FleetConsole, label: string): Promise<string> {
  const now = Date.now();
  const r = await c.handlers['report:generate']({ from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString(), format: 'csv' }, CTX);
  const csv = Buffer.from(r.content, 'base64').toString('utf8');
  const line = csv.split('\n').find((l) => l.startsWith('summary,incidents,') && l.includes(`,${label},`));
  return line!.slice(line!.indexOf(`,${label},`) + label.length + 2).replaceAll('"', '').trim();
}
