// Shared by the fleet CA tests: a real store database (with the fleet CA tables), a real audit log, a real provider
// holding the CA key, and real openssl for robot keys, CSRs and verification.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuditLog, createAuditSigner } from '../../electron/services/audit/index.ts';
import type { AuditLog } from '../../electron/services/audit/auditLog.ts';
import { createFleetCa, type FleetCa } from '../../electron/services/ca/fleetCa.ts';
import type { KmsProvider, ProviderKeySpec } from '../../electron/providers/types.ts';
import { createFleetCaRepo, type FleetCaRepo } from '../../electron/store/fleetCaRepo.ts';
import { localFixture, type LocalFixture } from '../unit/provider-testkit.ts';

export const CA_SUBJECT = 'CN=ECPS-UV Fleet CA, O=ECPS-UV Fleet';

export interface CaFixture {
  store: LocalFixture;
  audit: AuditLog;
  repo: FleetCaRepo;
  clock: LocalFixture['clock'];
}

/** A fresh store database with its audit log and the fleet CA repository; the manual clock starts at the real time (openssl checks validity against it). */
export function caFixture(): CaFixture {
  const store = localFixture();
  store.clock.set(Math.floor(Date.now() / 1000) * 1000);
  const audit = createAuditLog(store.store.db, { clock: store.clock });
  // As after an unlock: audit.verify() checks checkpoints against this (trusted) key only.
  audit.setSigner(createAuditSigner(generateKeyPairSync('ed25519').privateKey));
  return { store, audit, repo: createFleetCaRepo(store.store.db), clock: store.clock };
}

/** A CA whose key is created in `provider` (EC P-256 by default). */
export async function newCa(f: CaFixture, provider: KmsProvider, spec: ProviderKeySpec = 'EC_P256', name = 'fleet-ca'): Promise<FleetCa> {
  const key = await provider.createKey({ name, spec, usage: 'sign' });
  return createFleetCa({ provider, keyRef: key.keyRef, subject: CA_SUBJECT, clock: f.clock, audit: f.audit, repo: f.repo, actor: 'officer-1' });
}

export interface OpensslResult {
  status: number;
  out: string;
}

export function openssl(dir: string, args: string[]): OpensslResult {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export function workDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'ecps-fleetca-'));
}

/** Generates a robot key pair and a PKCS#10 CSR with openssl; returns the DER request. */
export function robotCsr(dir: string, subject: string, keyType: 'ec' | 'rsa', name = 'robot'): Buffer {
  const keyArgs = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const r = openssl(dir, ['req', '-new', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-outform', 'DER', '-out', `${name}.csr`]);
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.out}`);
  return readFileSync(path.join(dir, `${name}.csr`));
}

/**
 * Keys and requests made by openssl in `dir`: `run` fails on a non-zero exit and returns the output, `key` makes a key
 * once per name (genpkey arguments), `csr` a DER request signed with a key file, a subject and extra `req` options.
 */
export function opensslRequestKit(dir: string) {
  const run = (args: string[]): string => {
    const r = openssl(dir, args);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.out}`);
    return r.out;
  };
  const made = new Set<string>();
  const key = (name: string, genpkeyArgs: string[]): string => {
    if (!made.has(name)) {
      run(['genpkey', ...genpkeyArgs, '-out', `${name}.key`]);
      made.add(name);
    }
    return `${name}.key`;
  };
  let n = 0;
  const csr = (keyFile: string, subject: string, extra: string[] = []): Buffer => {
    const out = `req-${n++}.csr`;
    run(['req', '-new', '-key', keyFile, '-subj', subject, ...extra, '-outform', 'DER', '-out', out]);
    return readFileSync(path.join(dir, out));
  };
  return {
    run,
    key,
    csr,
    ecKey: () => key('ec256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']),
    rsaKey: () => key('rsa2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']),
  };
}

export function writeFile(dir: string, name: string, content: string | Buffer): string {
  writeFileSync(path.join(dir, name), content);
  return name;
}
