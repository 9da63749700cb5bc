// Revoking 10,000 certificates and publishing the CRL (issue 15's benchmark row: >= 0.5x openssl's speed). The console
// side is the real console (createConsole) and store with a local EC P-256 fleet CA: 10,000 robots, each with one
// certificate of the CA and the registry's copy, seeded through the repositories while no console holds the store;
// timed is an emergency run over the whole fleet with the one action "revoke certificates" (break glass): every
// certificate revoked in the CA and in the registry, audited, and a CRL listing all 10,000 signed and recorded. The
// baseline is `openssl ca -gencrl` over an openssl CA directory whose index.txt lists the same 10,000 serials as
// revoked (only that command is timed, its process start included). Reported besides: the same 10,000 revoked one at a
// time through certs:revoke and then ca:crl (what a script on the channels would do), against the same baseline, and
// revoking the whole CA: an emergency run with the one action "revoke the fleet CA" (revoke_ca, break glass): every
// certificate revoked in batches (ca.revoke.batch), the final CRL signed and recorded, the CA compromised, its robots
// flagged.
// Rounds alternate the sides; each console round has a fresh store. Run: npm run bench -- ca-revocation
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { benchDeviceId as deviceId, caLikeSerials, issuedOneASecond, seedSiteWithCertificates } from './fleetSeed.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CTX = { transport: 'test' } as const;
const OPERATOR = 'Bench Officer';
const PASSPHRASE = 'bench passphrase 0123';
const CERTS = Number(process.env.CA_REVOCATION_BENCH_CERTS ?? 10_000);
const ROUNDS = 3;
const OPENSSL_RUNS = 5;
/** CA_REVOCATION_BENCH_ONE_BY_ONE=0 leaves the one-by-one row out (to profile the emergency path alone). */
const ONE_BY_ONE = process.env.CA_REVOCATION_BENCH_ONE_BY_ONE !== '0';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Serials as the CA makes them, from this bench's fixed seed (the same ones since 2026-12-06), one a second. */
const serialOf = caLikeSerials(CERTS, 'ca-revocation bench serial');
const issuedAtOf = issuedOneASecond(CERTS);
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

const open = (dir: string) => createConsole({ dataDir: dir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false }, metrics: { enabled: false } });

/** A store with a fleet CA and CERTS robots, each with one valid certificate of it (CA row and registry copy). */
async function consoleWithCertificates(dir: string): Promise<FleetConsole> {
  let c = await open(dir);
  await c.handlers['session:init']({ operator: OPERATOR, passphrase: PASSPHRASE }, CTX);
  await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Bench Fleet CA' }, CTX);
  const storePath = c.storePath;
  c.close();
  seedSiteWithCertificates(storePath, CERTS, serialOf, undefined, issuedAtOf);
  c = await open(dir);
  await c.handlers['session:unlock']({ operator: OPERATOR, passphrase: PASSPHRASE }, CTX);
  return c;
}

type ConsolePath = 'emergency' | 'revoke_ca' | 'one by one';

/** CPU milliseconds (user + system) of this process during each console round: the wall time's share of a loaded machine. */
const cpuMs: Record<ConsolePath, number[]> = { emergency: [], revoke_ca: [], 'one by one': [] };

/** Milliseconds from the first revocation to the CRL that lists all CERTS certificates signed and recorded. */
async function consoleRound(how: ConsolePath): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-ca-revocation-'));
  const c = await consoleWithCertificates(dir);
  try {
    let revoked: number;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const cpu = () => {
      const used = process.cpuUsage(cpu0);
      cpuMs[how].push((used.user + used.system) / 1000);
    };
    if (how !== 'one by one') {
      const out = await c.emergency.execute({
        scope: { kind: 'fleet' }, actions: [how === 'emergency' ? 'revoke_certificates' : 'revoke_ca'], reason: 'bench: fleet CA compromise drill', certificateReason: 'keyCompromise',
        breakGlass: { reason: 'bench: no second officer in a benchmark' },
      });
      const ms = performance.now() - t0;
      cpu();
      const step = out.run!.steps[0]!;
      if (step.state !== 'done') throw new Error(`emergency ${how} ${step.state}: ${step.errorMessage}`);
      revoked = Number(step.detail.crlRevoked);
      if (revoked !== CERTS) throw new Error(`the CRL lists ${revoked}, expected ${CERTS}`);
      return ms;
    }
    for (let i = 1; i <= CERTS; i++) await c.handlers['certs:revoke']({ serial: serialOf(i), reason: 'keyCompromise' }, CTX);
    const crl = await c.handlers['ca:crl']({}, CTX);
    const ms = performance.now() - t0;
    cpu();
    if (crl.revoked !== CERTS) throw new Error(`the CRL lists ${crl.revoked}, expected ${CERTS}`);
    return ms;
  } finally {
    c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An openssl CA directory whose index.txt lists the same CERTS serials as revoked (keyCompromise). */
function opensslCa(): { dir: string; gencrl: () => number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-openssl-ca-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-subj', '/CN=Bench openssl CA', '-out', 'ca.pem']);
  const yymmdd = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  const now = new Date();
  const expires = yymmdd(new Date(now.getTime() + 365 * 86_400_000));
  const revokedAt = yymmdd(now);
  const lines: string[] = [];
  for (let i = 1; i <= CERTS; i++) lines.push(['R', expires, `${revokedAt},keyCompromise`, serialOf(i).toUpperCase(), 'unknown', `/CN=${deviceId(i)}`].join('\t'));
  writeFileSync(path.join(dir, 'index.txt'), lines.join('\n') + '\n');
  writeFileSync(path.join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  writeFileSync(path.join(dir, 'crlnumber'), '01\n');
  writeFileSync(
    path.join(dir, 'openssl.cnf'),
    [
      '[ ca ]', 'default_ca = bench', '[ bench ]', `dir = ${dir}`, 'database = $dir/index.txt', 'crlnumber = $dir/crlnumber', 'certificate = $dir/ca.pem',
      'private_key = $dir/ca.key', 'new_certs_dir = $dir', 'serial = $dir/serial', 'default_md = sha256', 'default_crl_days = 7', 'unique_subject = no', 'policy = any',
      '[ any ]', 'commonName = supplied', '',
    ].join('\n'),
  );
  return {
    dir,
    gencrl() {
      const t0 = performance.now();
      run(['ca', '-config', 'openssl.cnf', '-gencrl', '-out', 'crl.pem']);
      const ms = performance.now() - t0;
      const listed = run(['crl', '-in', 'crl.pem', '-noout', '-text']).toString().split('Serial Number:').length - 1;
      if (listed !== CERTS) throw new Error(`openssl's CRL lists ${listed}, expected ${CERTS}`);
      return ms;
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const ossl = opensslCa();
  try {
    const times: Record<ConsolePath | 'openssl', number[]> = { emergency: [], revoke_ca: [], 'one by one': [], openssl: [] };
    const loads: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < OPENSSL_RUNS; i++) times.openssl.push(ossl.gencrl());
      times.emergency.push(await consoleRound('emergency'));
      times.revoke_ca.push(await consoleRound('revoke_ca'));
      if (round === 0 && ONE_BY_ONE) times['one by one'].push(await consoleRound('one by one'));
      loads.push(load());
    }
    const baseline = median(times.openssl);
    const n = CERTS.toLocaleString('en');
    const row = (name: string, path: ConsolePath, target: string, gated: boolean): BenchResult => {
      const ms = times[path];
      const measured = median(ms);
      // Higher is better: openssl's time over the console's (1 = as fast as openssl).
      const ratio = baseline / measured;
      return {
        name, unit: 'ms', baseline, measured, ratio, target, pass: gated ? ratio >= 0.5 : true,
        note: `console ${ms.map((m) => m.toFixed(0)).join(' / ')} ms (CPU ${cpuMs[path].map((m) => m.toFixed(0)).join(' / ')} ms), openssl ${times.openssl.map((m) => m.toFixed(0)).join(' / ')} ms; ratio = openssl time / console time; load average per round ${loads.join(' | ')}`,
      };
    };
    const rows = [row(`revoke ${n} certificates + publish the CRL (emergency run, one transaction) vs openssl ca -gencrl over the same ${n}`, 'emergency', ">= 0.5x openssl's speed", true)];
    rows.push(row(`revoke the fleet CA with its ${n} certificates + its final CRL (emergency run, revoke_ca) vs openssl ca -gencrl over the same ${n}`, 'revoke_ca', 'reported', false));
    if (ONE_BY_ONE) rows.push(row(`revoke ${n} certificates one by one (certs:revoke) + ca:crl vs openssl ca -gencrl`, 'one by one', 'reported', false));
    return rows;
  } finally {
    rmSync(ossl.dir, { recursive: true, force: true });
  }
}
