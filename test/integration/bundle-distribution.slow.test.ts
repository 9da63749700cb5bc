// Field key distribution end to end: a robot provisioned by the real station over a socat pty with the simulator
// (child process), recorded in the real console's fleet registry (createConsole in a temp folder); then a new
// communication key version is distributed as a bundle file built by bundleService (signed by the fleet CA the robot
// received at provisioning), installed by the simulator's key store (installBundle), recorded in the registry, and
// the same file installed twice is refused as replayed; another robot's bundle is refused as foreign.
// The CA here signs in-process (bundle-kit), to drive sequences and refusals directly; the console's own CA and key
// material are exercised by test/integration/station-console.slow.test.ts (c.bundles.build).
import { spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { aesCheckValue } from '../../electron/crypto/keyMaterial.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createBundleService } from '../../electron/services/station/bundleService.ts';
import { BundleError } from '../../electron/station/bundle.ts';
import { createKeyBundlesRepo } from '../../electron/store/keyBundlesRepo.ts';
import { KEY_BUNDLES_SQL } from '../../electron/store/migrations.ts';
import type { ProvisioningDeps } from '../../electron/station/session.ts';
import { writeCaFile } from '../robot-sim/harness.ts';
import { installBundle, lastSequence } from '../robot-sim/installBundle.ts';
import { provisionOnce, robotStoredKeys } from '../robot-sim/scenario.ts';
import { kitIssuingCa } from '../unit/bundle-kit.ts';
import { FAST_KDF, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';

describe('key bundle distributed to a robot provisioned over a pty', () => {
  const dir = tempDir('ecps-bundle-console-');
  const work = tempDir('ecps-bundle-work-');
  let c: FleetConsole;
  // The console holds its store exclusively: this service's key_bundles table (same DDL) lives in a scratch database.
  let db: Database.Database;
  let ca: Awaited<ReturnType<typeof kitIssuingCa>>;
  const material = new Map<string, Buffer>();
  const keyAt = (keyId: string, version: number) => {
    const k = `${keyId}@${version}`;
    if (!material.has(k)) material.set(k, randomBytes(32));
    return { keyId, version, material: Buffer.from(material.get(k)!) };
  };
  let commVersion = 1;
  const ids = { comm: '', storage: '' };
  const call = contractCaller(() => c);

  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger: createMemoryLogger() });
    await call('session:init', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
    await call('fleet:create', { deviceId: 'uv-300', name: 'Bundle target', model: 'UV-7', site: 'Plant 1' });
    ids.comm = (await call('keys:create', { type: 'communication', label: 'fleet comm', algorithm: 'AES_256' })).id;
    ids.storage = (await call('keys:create', { type: 'storage', label: 'fleet storage', algorithm: 'AES_256' })).id;
    ca = await kitIssuingCa();
    db = new Database(':memory:');
    db.pragma('foreign_keys = OFF');
    db.exec(KEY_BUNDLES_SQL);
  });
  afterAll(() => {
    db.close();
    c.close();
    removeTempDirs();
  });

  const service = (caSign?: (data: Buffer) => Promise<Buffer>) => createBundleService({
    fleet: c.fleet, audit: c.audit, clock: { now: () => Date.now() }, actor: () => 'Officer Ada',
    caCertificatePem: async () => ca.caCertPem, caSign: caSign ?? ca.sign, transaction: (fn) => fn(),
    bundles: createKeyBundlesRepo(db),
    newestKeys: async () => [keyAt(ids.comm, commVersion), keyAt(ids.storage, 1)],
  });

  it('provisions, distributes a rotated key, installs it once, refuses the replay', async () => {
    const deps: ProvisioningDeps = {
      issueCertificate: (csr, id) => ca.issueCertificate(csr, id),
      keysToDeliver: async () => [keyAt(ids.comm, 1), keyAt(ids.storage, 1)],
      isKnownRobot: (id) => id === 'uv-300',
      isProvisioned: (id) => c.fleet.get(id).status !== 'manufactured',
      async commitProvisioned(record) {
        c.fleet.recordProvisioned(record.deviceId, record.keyVersions);
        const cert = new X509Certificate(record.certificate);
        c.fleet.attachCertificate(record.deviceId, { serial: cert.serialNumber, notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString(), pem: cert.toString() });
      },
      audit: () => undefined,
    };
    const caFile = writeCaFile(work, ca.caCertPem);
    const out = await provisionOnce({ deps, caCertFile: caFile, deviceId: 'uv-300', workDir: work });
    expect(out.result.ok, JSON.stringify(out.result)).toBe(true);
    expect(c.fleet.get('uv-300').status).toBe('provisioned');

    commVersion = (await call('keys:rotate', { keyId: ids.comm })).currentVersion; // the console rotated the communication key
    expect(commVersion).toBe(2);
    const issued = await service().build('uv-300');
    expect(issued.sequence).toBe(1);
    const file = path.join(work, issued.fileName);
    writeFileSync(file, issued.content);

    const caPem = readFileSync(caFile, 'utf8'); // the CA certificate the robot received at provisioning
    const res = installBundle({ keystore: out.keystore, deviceId: 'uv-300', caCertPem: caPem, file: readFileSync(file) });
    expect(res.installed).toEqual([{ keyId: ids.comm, version: 2 }, { keyId: ids.storage, version: 1 }]);
    const stored = robotStoredKeys(out.keystore).find((k) => k.keyId === ids.comm && k.version === 2);
    expect(aesCheckValue(Buffer.from(stored!.material, 'base64'))).toBe(aesCheckValue(material.get(`${ids.comm}@2`)!));
    expect(lastSequence(out.keystore)).toBe(1);

    const rec = c.fleet.get('uv-300');
    expect(rec.keys).toContainEqual(expect.objectContaining({ keyId: ids.comm, version: 2, source: 'distribution' }));
    const audits = JSON.stringify(c.audit.query({ targetId: 'uv-300', offset: 0, limit: 50 }).records);
    expect(audits).toContain('bundle.issue');
    for (const m of material.values()) expect(audits).not.toContain(m.toString('base64'));

    const before = readFileSync(path.join(out.keystore, 'keys.json'));
    // The simulator's command line (robot.ts --install-bundle) refuses the same file as replayed.
    const cli = spawnSync(process.execPath, ['test/robot-sim/robot.ts', '--install-bundle', file, '--device-id', 'uv-300', '--keystore', out.keystore, '--ca-cert', caFile], { encoding: 'utf8', timeout: 30_000 });
    expect(cli.status).toBe(1);
    expect(JSON.parse(cli.stdout.trim())).toMatchObject({ ok: false, code: 'replayed' });
    let err: unknown;
    try {
      installBundle({ keystore: out.keystore, deviceId: 'uv-300', caCertPem: caPem, file: readFileSync(file) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe('replayed');
    expect(readFileSync(path.join(out.keystore, 'keys.json')).equals(before)).toBe(true);

    // The next bundle gets sequence 2; installed under another device id it is refused as foreign.
    const next = await service().build('uv-300');
    expect(next.sequence).toBe(2);
    expect(() => installBundle({ keystore: out.keystore, deviceId: 'uv-301', caCertPem: caPem, file: next.content })).toThrow(expect.objectContaining({ code: 'foreign' }) as unknown as Error);
    expect(installBundle({ keystore: out.keystore, deviceId: 'uv-300', caCertPem: caPem, file: next.content }).sequence).toBe(2);
  });

  it('refuses to build for an unprovisioned robot, and audits the failure', async () => {
    await call('fleet:create', { deviceId: 'uv-301', name: 'New', model: 'UV-7', site: 'Plant 1' });
    await expect(service().build('uv-301')).rejects.toMatchObject({ code: 'illegal_transition' });
    expect(c.audit.query({ action: 'bundle.issue', targetId: 'uv-301', offset: 0, limit: 5 }).records[0]).toMatchObject({ outcome: 'failure' });
  });

  it('gives two builds in flight at once distinct sequences, and burns the sequence of a failed signature', async () => {
    // Both builds are inside the CA signature at the same time: a sequence taken after signing would collide.
    let inSign = 0;
    let release: () => void = () => undefined;
    const bothSigning = new Promise<void>((r) => (release = r));
    const gated = service(async (data) => {
      if (++inSign === 2) release();
      await bothSigning;
      return ca.sign(data);
    });
    const [a, b] = await Promise.all([gated.build('uv-300'), gated.build('uv-300')]);
    expect([a.sequence, b.sequence].sort()).toEqual([3, 4]);

    await expect(service(async () => {
      throw new Error('HSM offline');
    }).build('uv-300')).rejects.toMatchObject({ code: 'internal' });
    expect((await service().build('uv-300')).sequence).toBe(6);
    const rows = createKeyBundlesRepo(db).listFor('uv-300');
    expect(rows.map((r) => [r.sequence, r.state, r.delivery])).toEqual([[6, 'issued', 'file'], [5, 'failed', 'file'], [4, 'issued', 'file'], [3, 'issued', 'file'], [2, 'issued', 'file'], [1, 'issued', 'file']]);
    expect(rows[1]?.errorCode).toBe('internal');
    expect(c.audit.query({ action: 'bundle.issue', targetId: 'uv-300', offset: 0, limit: 5 }).records[1]).toMatchObject({ outcome: 'failure', details: { code: 'internal', sequence: 5 } });
    expect(new Set(rows.map((r) => r.bundleId)).size).toBe(6);
  });
});
