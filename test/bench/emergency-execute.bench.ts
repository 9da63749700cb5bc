// Emergency response time (issue 15's benchmark row, reported: no target): from emergency:execute to every reachable
// provider disabled and the CRL published. The real console (createConsole) with an AWS KMS emulator on 127.0.0.1 as
// its provider and a local fleet CA; a site of 100 robots, each with one certificate of the CA, holding 20 keys made
// at the emulated provider and held by no robot elsewhere. The playbook compromises those keys (disabled at the
// provider) and revokes the certificates (one CRL), under break glass (a site is a wide scope). Printed: the total, each
// action's time (from the run's per-action timestamps), the provider calls per compromised key, and a baseline of raw
// DisableKey calls through KMSClient, one after the other, for as many keys on the same emulator (the ratio is the
// compromise action's time over it: how much the console adds per provider key). Run: npm run bench -- emergency-execute
import { CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { caLikeSerials, issuedOneASecond, seedSiteWithCertificates } from './fleetSeed.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CTX = { transport: 'test' } as const;
const OPERATOR = 'Bench Officer';
const PASSPHRASE = 'bench passphrase 0123';
const ROBOTS = 100;
const KEYS = 20;
const ROUNDS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Serials as the CA makes them (random 126 bits) from this bench's fixed seed, issued one a second (fleetSeed.ts). */
const serialOf = caLikeSerials(ROBOTS, 'emergency-execute bench serial');
const issuedAtOf = issuedOneASecond(ROBOTS);
const open = (dir: string) => createConsole({ dataDir: dir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false }, metrics: { enabled: false } });

async function prepared(dir: string, emu: AwsKmsEmulator): Promise<FleetConsole> {
  let c = await open(dir);
  await c.handlers['session:init']({ operator: OPERATOR, passphrase: PASSPHRASE }, CTX);
  await c.handlers['providers:save'](
    {
      config: {
        provider: 'aws_kms', id: 'aws-primary', region: TEST_REGION, endpoint: emu.endpoint,
        aws_access_key_id: TEST_CREDENTIALS.accessKeyId, aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey, timeout_ms: 10_000, retries: 2,
      },
    },
    CTX,
  );
  await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Bench Fleet CA' }, CTX);
  const keys: string[] = [];
  for (let k = 0; k < KEYS; k++) keys.push((await c.keys.create({ type: 'storage', label: `bench site key ${k}`, provider: 'aws-primary' })).id);
  const storePath = c.storePath;
  c.close();
  seedSiteWithCertificates(storePath, ROBOTS, serialOf, (i) => keys[i % KEYS]!, issuedAtOf);
  c = await open(dir);
  await c.handlers['session:unlock']({ operator: OPERATOR, passphrase: PASSPHRASE }, CTX);
  return c;
}

interface Round {
  total: number;
  compromise: number;
  revoke: number;
  calls: string;
}

async function consoleRound(emu: AwsKmsEmulator): Promise<Round> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-emergency-execute-'));
  const c = await prepared(dir, emu);
  try {
    const before = new Map(emu.responses.checked);
    const startedAt = Date.now();
    const t0 = performance.now();
    const out = await c.handlers['emergency:execute'](
      {
        scope: { kind: 'site', site: 'Bench Site' }, actions: ['compromise_keys', 'revoke_certificates'], reason: 'bench: site key compromise drill',
        breakGlass: { reason: 'bench: no second officer in a benchmark' },
      },
      CTX,
    );
    const total = performance.now() - t0;
    const run = out.run!;
    for (const s of run.steps) if (s.state !== 'done') throw new Error(`${s.action} ${s.state}: ${s.errorMessage}`);
    const [compromise, revoke] = run.steps;
    if (Object.keys(compromise!.detail.items as object).length !== KEYS) throw new Error(`${Object.keys(compromise!.detail.items as object).length} keys compromised, expected ${KEYS}`);
    if (revoke!.detail.crlRevoked !== ROBOTS) throw new Error(`the CRL lists ${String(revoke!.detail.crlRevoked)}, expected ${ROBOTS}`);
    for (const k of c.keys.list({})) if (k.state !== 'compromised') throw new Error(`key ${k.id} is ${k.state}`);
    const calls = [...emu.responses.checked]
      .map(([op, n]) => [op, (n - (before.get(op) ?? 0)) / KEYS] as const)
      .filter(([, n]) => n > 0)
      .map(([op, n]) => `${op} ${n.toFixed(2)}`)
      .join(', ');
    // Each action's end as the run recorded it (ISO, milliseconds).
    const compromiseEnd = Date.parse(compromise!.updatedAt);
    const revokeEnd = Date.parse(revoke!.updatedAt);
    return { total, compromise: compromiseEnd - startedAt, revoke: revokeEnd - compromiseEnd, calls };
  } finally {
    c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const emu = await startTestEmulator();
  const raw = rawClient(emu);
  try {
    const rounds: Round[] = [];
    const rawMs: number[] = [];
    const loads: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const ids: string[] = [];
      for (let k = 0; k < KEYS; k++) ids.push((await raw.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.KeyId!);
      const t0 = performance.now();
      for (const id of ids) await raw.send(new DisableKeyCommand({ KeyId: id }));
      rawMs.push(performance.now() - t0);
      rounds.push(await consoleRound(emu));
      loads.push(os.loadavg().map((l) => l.toFixed(1)).join(' '));
    }
    const total = median(rounds.map((x) => x.total));
    const compromise = median(rounds.map((x) => x.compromise));
    const revoke = median(rounds.map((x) => x.revoke));
    const baseline = median(rawMs);
    const note = `medians of ${ROUNDS} rounds: total ${total.toFixed(0)} ms = compromise ${KEYS} keys ${compromise.toFixed(0)} ms + revoke ${ROBOTS} certificates and publish the CRL ${revoke.toFixed(0)} ms (+ preview and run records); per round total ${rounds.map((x) => x.total.toFixed(0)).join(' / ')} ms; provider calls per compromised key: ${rounds[0]!.calls}; load average per round ${loads.join(' | ')}`;
    return [
      {
        name: `emergency:execute on a site (${ROBOTS} robots, ${KEYS} keys at the AWS emulator): execute to every provider key disabled and the CRL published`,
        unit: 'ms', baseline, measured: total, ratio: total / baseline, target: 'reported (time; ratio = total / raw DisableKey of as many keys)', pass: true, note,
      },
      {
        name: `  of which: compromise ${KEYS} keys (disable at the provider, audited) vs ${KEYS} raw DisableKey calls one after the other`,
        unit: 'ms', baseline, measured: compromise, ratio: compromise / baseline, target: 'reported (lower is better)', pass: true,
      },
    ];
  } finally {
    raw.destroy();
    await emu.close();
  }
}
