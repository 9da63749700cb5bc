// Revoking a robot is one operation (fleet:setStatus to revoked, through the contract's schemas as the router calls
// it): its certificates are revoked in the fleet CA and in the registry with the RFC 5280 reason given, a CRL that
// lists them is signed and returned, and the status changes; all audited. openssl reads that CRL and refuses the
// robot's certificate with it. A CA whose key cannot sign (disabled in KMS) fails the whole operation with a typed
// error and nothing changes. Real console (createConsole), the fleet CA key in the AWS KMS emulator, robots
// provisioned by the simulator over socat ptys.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, type EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { writeCaFile } from '../robot-sim/harness.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { openssl } from './fleetca-kit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { createStationConsole, OPERATOR, PASS, provisionWithSimulator, robotBench } from './support/stationRig.ts';

const DAY_MS = 86_400_000;

describe('revoking a robot revokes its certificates and publishes the CRL, in one operation', () => {
  const dir = tempDir('ecps-revocation-console-');
  const work = tempDir('ecps-revocation-work-');
  const logger = createMemoryLogger();
  const progress: Array<EventPayload<'station:progress'>> = [];
  // Real time, moved forward by hand at the end (the dashboard's "expiring soon" looks 30 days ahead).
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs };
  let emu: AwsKmsEmulator;
  let c: FleetConsole;
  let caFile = '';
  let caKeyRef = '';

  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const records = (action: string, targetId: string) => c.audit.query({ action, targetId, offset: 0, limit: 20 }).records;
  const certsOf = async (deviceId: string) => (await call('certs:list', {})).certificates.filter((x) => x.deviceId === deviceId);

  beforeAll(async () => {
    emu = await startTestEmulator();
    c = await createStationConsole({
      dataDir: dir, env: {}, clock, logger, progress,
      providers: { baseDelayMs: 5, maxDelayMs: 20, failureThreshold: 5, openMs: 60_000, healthIntervalMs: 3_600_000 },
      station: { stepTimeoutMs: 20_000, pollIntervalMs: 200 },
    });
    await call('session:init', { operator: OPERATOR, passphrase: PASS });
    await call('providers:save', {
      config: {
        provider: 'aws_kms', id: 'aws-ca', region: TEST_REGION, endpoint: emu.endpoint,
        aws_access_key_id: TEST_CREDENTIALS.accessKeyId, aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey,
        use_kms_for_storage: false, timeout_ms: 2000, retries: 1,
      },
    });
    await call('keys:create', { type: 'communication', label: 'fleet comm', algorithm: 'AES_256', provider: 'local' });
    await call('keys:create', { type: 'storage', label: 'fleet storage', algorithm: 'AES_256', provider: 'local' });
    const ca = await call('ca:init', { providerId: 'aws-ca', algorithm: 'EC_P256', commonName: 'Revocation Test CA' });
    caKeyRef = ca.keyRef ?? '';
    caFile = writeCaFile(work, ca.certificatePem ?? '');
    for (const deviceId of ['uv-rv1', 'uv-rv2']) {
      await call('fleet:create', { deviceId, name: `Robot ${deviceId}`, model: 'UV-7', site: 'Plant 1' });
      const { result } = await provisionWithSimulator(c, bench, progress, deviceId);
      expect(result.ok, JSON.stringify(result)).toBe(true);
    }
    // Registered as deployed by an import, never provisioned: no certificate at all.
    await call('fleet:create', { deviceId: 'uv-rv3', name: 'Imported', model: 'UV-7', site: 'Plant 1', status: 'deployed' });
  });
  afterAll(async () => {
    bench.release();
    c.close();
    await emu.close();
    removeTempDirs();
  });

  it('fleet:revocationPlan names what revoking the robot revokes: its valid certificate, in the CA and the registry, and a CRL update', async () => {
    const [cert] = await certsOf('uv-rv1');
    expect(cert?.status).toBe('valid');
    expect(await call('fleet:revocationPlan', { deviceId: 'uv-rv1' })).toEqual({
      deviceId: 'uv-rv1',
      certificates: [{ serial: cert?.serial, notAfter: cert?.notAfter, caId: (await call('ca:history', {})).cas[0]?.id, inCa: true, inRegistry: true }],
      crlUpdate: true,
      caProviderId: 'aws-ca',
    });
    expect(await call('fleet:revocationPlan', { deviceId: 'uv-rv3' })).toEqual({ deviceId: 'uv-rv3', certificates: [], crlUpdate: false, caProviderId: 'aws-ca' });
    expect((await failure(call('fleet:revocationPlan', { deviceId: 'uv-none' }))).code).toBe('not_found');
  });

  it('the CA key disabled in KMS: the revocation fails with the typed error, audited and logged, and nothing changes', async () => {
    const [cert] = await certsOf('uv-rv2');
    await rawClient(emu).send(new DisableKeyCommand({ KeyId: caKeyRef }));
    try {
      const err = await failure(call('fleet:setStatus', { deviceId: 'uv-rv2', status: 'revoked', reason: 'lost', certificateReason: 'keyCompromise' }));
      expect(err.code).toBe('key_disabled');
      expect(err.message).toMatch(/^Robot uv-rv2 was not revoked and its certificates stay valid: the fleet CA could not sign the CRL/);
      expect(err.message).toContain('Nothing changed');
      expect(err.details).toMatchObject({ deviceId: 'uv-rv2', step: 'crl' });
    } finally {
      await rawClient(emu).send(new EnableKeyCommand({ KeyId: caKeyRef }));
    }
    const robot = await call('fleet:get', { deviceId: 'uv-rv2' });
    expect([robot.status, robot.certificates.map((x) => x.status)]).toEqual(['provisioned', ['active']]);
    expect((await certsOf('uv-rv2')).map((x) => [x.serial, x.status])).toEqual([[cert?.serial, 'valid']]);
    expect(records('robot.status', 'uv-rv2')).toEqual([
      expect.objectContaining({ outcome: 'failure', details: { to: 'revoked', step: 'crl', code: 'key_disabled', certificateReason: 'keyCompromise', certificates: 1 } }),
    ]);
    expect(records('ca.revoke', 'uv-rv2')).toEqual([]);
    const crlFailures = c.audit.query({ action: 'ca.crl.publish', offset: 0, limit: 20 }).records;
    expect(crlFailures).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ code: 'key_disabled' }) })]);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([
      { level: 'error', message: 'revoking a robot failed; nothing changed', fields: { deviceId: 'uv-rv2', step: 'crl', code: 'key_disabled', certificates: 1 } },
    ]);
  });

  it('status -> revoked: the certificate is revoked in the CA and the registry, and the CRL the operation signed lists it (openssl)', async () => {
    const [cert] = await certsOf('uv-rv1');
    const serial = cert?.serial ?? '';
    const out = await call('fleet:setStatus', { deviceId: 'uv-rv1', status: 'revoked', reason: 'stolen from ward B', certificateReason: 'keyCompromise' });
    expect(out).toMatchObject({ deviceId: 'uv-rv1', status: 'revoked', revocation: { certificateReason: 'keyCompromise', revokedSerials: [serial] } });
    const crl = out.revocation?.crl;
    expect(crl).toMatchObject({ revoked: 1 });

    // The CA's inventory and the registry's copy agree.
    expect(await certsOf('uv-rv1')).toEqual([expect.objectContaining({ serial, status: 'revoked', revocationReason: 'keyCompromise' })]);
    const robot = await call('fleet:get', { deviceId: 'uv-rv1' });
    expect([robot.status, robot.statusReason, robot.certificates.map((x) => [x.serial, x.status])]).toEqual(['revoked', 'stolen from ward B', [[serial, 'revoked']]]);

    // openssl: the CRL is signed by the CA (through KMS), lists the serial with its reason, and refuses the certificate.
    writeFileSync(path.join(work, 'revocation.crl.pem'), crl?.pem ?? '');
    writeFileSync(path.join(work, 'uv-rv1.pem'), robot.certificates[0]?.pem ?? '');
    const text = openssl(work, ['crl', '-in', 'revocation.crl.pem', '-noout', '-text', '-CAfile', 'fleet-ca.pem']);
    expect(text.status).toBe(0);
    expect(text.out).toContain('verify OK');
    expect(text.out).toContain(`Serial Number: ${serial.toUpperCase()}`);
    expect(text.out).toMatch(/CRL Reason Code:\s+Key Compromise/);
    expect(text.out).toMatch(new RegExp(`CRL Number:\\s+${crl?.crlNumber}\\n`));
    const verified = openssl(work, ['verify', '-crl_check', '-CRLfile', 'revocation.crl.pem', '-CAfile', 'fleet-ca.pem', 'uv-rv1.pem']);
    expect(verified.status).not.toBe(0);
    expect(verified.out).toContain('certificate revoked');

    // Audited: the status change (with the serials and the CRL number), the CA revocation, the registry copy, the CRL.
    expect(records('robot.status', 'uv-rv1')).toEqual([
      expect.objectContaining({
        outcome: 'success',
        details: { from: 'provisioned', to: 'revoked', reason: 'stolen from ward B', certificateReason: 'keyCompromise', certificates: serial, crlNumber: crl?.crlNumber },
      }),
    ]);
    expect(records('ca.revoke', 'uv-rv1')).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ serial, reason: 'keyCompromise' }) })]);
    expect(c.audit.query({ action: 'robot.certificate.revoke', offset: 0, limit: 5 }).records).toEqual([
      expect.objectContaining({ outcome: 'success', details: { serial, reason: 'keyCompromise' } }),
    ]);
    const published = c.audit.query({ action: 'ca.crl.publish', offset: 0, limit: 5 }).records[0];
    expect(published).toMatchObject({ outcome: 'success', details: expect.objectContaining({ crlNumber: crl?.crlNumber, revoked: 1, trigger: 'robot_revocation', deviceId: 'uv-rv1' }) });

    // Any later CRL still lists it; revoking the robot again is refused before anything is signed.
    const later = await call('ca:crl', {});
    expect(later.crlNumber).toBeGreaterThan(crl?.crlNumber ?? 0);
    writeFileSync(path.join(work, 'later.crl.pem'), later.pem);
    expect(openssl(work, ['crl', '-in', 'later.crl.pem', '-noout', '-text']).out).toContain(`Serial Number: ${serial.toUpperCase()}`);
    const signedBefore = c.audit.query({ action: 'ca.crl.publish', offset: 0, limit: 50 }).records.length;
    expect((await failure(call('fleet:setStatus', { deviceId: 'uv-rv1', status: 'revoked', reason: 'again' }))).code).toBe('illegal_transition');
    expect(c.audit.query({ action: 'ca.crl.publish', offset: 0, limit: 50 }).records).toHaveLength(signedBefore);
  });

  it('a robot without certificates is revoked without a CRL; a certificate reason with another status is refused', async () => {
    const out = await call('fleet:setStatus', { deviceId: 'uv-rv3', status: 'revoked', reason: 'never provisioned' });
    expect(out).toMatchObject({ status: 'revoked', revocation: { certificateReason: 'privilegeWithdrawn', revokedSerials: [], crl: null } });
    expect(records('robot.status', 'uv-rv3')[0]).toMatchObject({ outcome: 'success', details: { to: 'revoked', certificates: '', crlNumber: null } });
    // The router refuses it before any handler runs (invalid_input).
    const refused = contract['fleet:setStatus'].input.safeParse({ deviceId: 'uv-rv2', status: 'quarantined', reason: 'x', certificateReason: 'keyCompromise' });
    expect(refused.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['certificateReason', 'only when the robot is revoked']]);
  });

  it('a revoked robot\'s certificate never shows as expiring soon; a valid one does (the dashboard, 340 days on)', async () => {
    offsetMs = 340 * DAY_MS;
    try {
      const dash = await call('fleet:dashboard', {});
      expect(dash.expiringCertificates.map((x) => x.deviceId)).toEqual(['uv-rv2']);
      expect(dash.expiringCertificatesTotal).toBe(1);
    } finally {
      offsetMs = 0;
    }
  });

  it('a certificate revoked while the CRL is being signed: the operation signs again for what is left, so the CRL it publishes matches the store', async () => {
    const serial = (await certsOf('uv-rv2'))[0]?.serial ?? '';
    const revoking = call('fleet:setStatus', { deviceId: 'uv-rv2', status: 'revoked', reason: 'raced' });
    // Runs while the first CRL (which lists this certificate as newly revoked) is being signed in KMS.
    expect(await call('certs:revoke', { serial, reason: 'superseded' })).toEqual({ revoked: true });
    const out = await revoking;
    expect(out).toMatchObject({ status: 'revoked', revocation: { revokedSerials: [], crl: null } });
    expect(await certsOf('uv-rv2')).toEqual([expect.objectContaining({ serial, status: 'revoked', revocationReason: 'superseded' })]);
    // The CRL signed for the first plan was never published.
    const published = c.audit.query({ action: 'ca.crl.publish', offset: 0, limit: 50 }).records.filter((r) => r.details?.deviceId === 'uv-rv2');
    expect(published).toEqual([]);
  });
});
