// The fleet CA against real openssl, with its key in two real providers: the local provider (a real SQLite store) and
// the AWS KMS emulator (the CA key is created and used only inside the KMS). Robots' keys and CSRs come from openssl;
// `openssl verify` must accept every issued certificate, `openssl crl` must read the CRL, and a revoked certificate
// must fail `openssl verify -crl_check`.
import crypto from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { isConsoleError } from '../../shared/errors.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, testProvider } from '../emulators/aws-kms/testkit.ts';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { caFixture, newCa, openssl, robotCsr, workDir, writeFile, type CaFixture } from './fleetca-kit.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => removeTempDirs());

interface Setup {
  f: CaFixture;
  provider: KmsProvider;
  dir: string;
  emu: AwsKmsEmulator | null;
}

async function setup(kind: 'local' | 'aws'): Promise<Setup> {
  const f = caFixture();
  const dir = workDir();
  cleanups.push(() => {
    f.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  if (kind === 'local') return { f, provider: f.store.provider, dir, emu: null };
  const emu = await startTestEmulator();
  const provider = testProvider(emu);
  cleanups.push(async () => {
    await provider.close();
    await emu.close();
  });
  return { f, provider, dir, emu };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, reason: e.details?.reason };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe.each(['local', 'aws'] as const)('fleet CA on the %s provider, checked by openssl', (kind) => {
  it.each(['EC_P256', 'RSA_2048'] as const)('a %s CA issues certificates that openssl verify accepts, for EC and RSA robot keys', async (spec) => {
    const { f, provider, dir } = await setup(kind);
    const ca = await newCa(f, provider, spec);
    writeFile(dir, 'ca.pem', ca.caCertificatePem());
    const caText = openssl(dir, ['x509', '-in', 'ca.pem', '-noout', '-text']).out;
    expect(caText).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(caText).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(caText).toContain('Subject Key Identifier');
    expect(caText).toContain(spec === 'EC_P256' ? 'ecdsa-with-SHA256' : 'rsassaPss');
    // The CA certificate carries the provider key's public half: the private half stayed in the provider.
    const providerPub = crypto.createPublicKey((await provider.getPublicKey(ca.keyRef)).pem);
    expect(new crypto.X509Certificate(ca.caCertificateDer()).publicKey.equals(providerPub)).toBe(true);

    for (const robotKey of ['ec', 'rsa'] as const) {
      const deviceId = `UV-${robotKey}-0042`;
      const csr = robotCsr(dir, `/O=ECPS-UV Fleet/CN=${deviceId}`, robotKey, `robot-${robotKey}`);
      const cert = await ca.issueDeviceCertificate(csr, { deviceId, validityDays: 30 });
      const file = writeFile(dir, `${deviceId}.pem`, cert.pem);
      const verified = openssl(dir, ['verify', '-CAfile', 'ca.pem', file]);
      expect(verified.out).toContain(`${file}: OK`);
      expect(verified.status).toBe(0);
      const text = openssl(dir, ['x509', '-in', file, '-noout', '-text']).out;
      expect(text).toMatch(new RegExp(`Subject: O ?= ?ECPS-UV Fleet, CN ?= ?${deviceId}`));
      expect(text).toContain(`URI:urn:ecps:robot:${deviceId}`);
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature\n/);
      expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
      expect(text).toContain('Authority Key Identifier');
      expect(text).toContain(`Serial Number:\n            ${cert.serial.match(/../g)?.join(':')}`);
      expect(cert.serial).toMatch(/^[4-7][0-9a-f]{31}$/);
      // The certificate binds the robot's own key (the one openssl generated on the "robot").
      const robotPub = crypto.createPublicKey(crypto.createPrivateKey(openssl(dir, ['pkey', '-in', `robot-${robotKey}.key`]).out));
      expect(new crypto.X509Certificate(cert.der).publicKey.equals(robotPub)).toBe(true);
      expect(Date.parse(cert.notAfter) - Date.parse(cert.notBefore)).toBe(30 * 86_400_000);
    }
    expect(ca.list().map((c) => c.status)).toEqual(['valid', 'valid']);
  });

  it.each(['EC_P256', 'RSA_2048'] as const)('revokes (%s CA): openssl crl lists the serial with its reason, and openssl verify -crl_check refuses only the revoked certificate', async (spec) => {
    const { f, provider, dir } = await setup(kind);
    const ca = await newCa(f, provider, spec);
    writeFile(dir, 'ca.pem', ca.caCertificatePem());
    const good = await ca.issueDeviceCertificate(robotCsr(dir, '/CN=robot-good', 'ec', 'good'), { deviceId: 'robot-good' });
    const bad = await ca.issueDeviceCertificate(robotCsr(dir, '/CN=robot-bad', 'rsa', 'bad'), { deviceId: 'robot-bad' });
    writeFile(dir, 'good.pem', good.pem);
    writeFile(dir, 'bad.pem', bad.pem);

    const empty = await ca.publishCrl();
    writeFile(dir, 'crl0.pem', empty.pem);
    expect(openssl(dir, ['crl', '-in', 'crl0.pem', '-noout', '-text']).out).toContain('No Revoked Certificates');
    expect(openssl(dir, ['verify', '-crl_check', '-CRLfile', 'crl0.pem', '-CAfile', 'ca.pem', 'bad.pem']).status).toBe(0);

    expect(ca.revoke(bad.serial, 'keyCompromise')).toBe(true);
    const crl = await ca.publishCrl({ validityHours: 24 });
    expect([crl.crlNumber, crl.revoked]).toEqual([empty.crlNumber + 1, 1]);
    writeFile(dir, 'crl.pem', crl.pem);
    const read = openssl(dir, ['crl', '-in', 'crl.pem', '-noout', '-text', '-CAfile', 'ca.pem']);
    expect(read.status).toBe(0);
    expect(read.out).toContain('verify OK'); // the CRL signature, made in the provider, checks under the CA certificate
    expect(read.out).toContain(`Serial Number: ${bad.serial.toUpperCase()}`);
    expect(read.out).not.toContain(good.serial.toUpperCase());
    expect(read.out).toMatch(/CRL Reason Code:\s+Key Compromise/);
    expect(read.out).toMatch(/CRL Number:\s+2\n/);
    expect(read.out).toContain('Authority Key Identifier');
    const nextUpdate = openssl(dir, ['crl', '-in', 'crl.pem', '-noout', '-nextupdate']).out.trim().replace(/^nextUpdate=/, '');
    expect(new Date(Date.parse(nextUpdate)).toISOString()).toBe(crl.nextUpdate);
    expect(Date.parse(crl.nextUpdate) - Date.parse(crl.thisUpdate)).toBe(24 * 3_600_000);

    const revoked = openssl(dir, ['verify', '-crl_check', '-CRLfile', 'crl.pem', '-CAfile', 'ca.pem', 'bad.pem']);
    expect(revoked.status).not.toBe(0);
    expect(revoked.out).toContain('certificate revoked');
    const stillGood = openssl(dir, ['verify', '-crl_check', '-CRLfile', 'crl.pem', '-CAfile', 'ca.pem', 'good.pem']);
    expect([stillGood.status, stillGood.out.trim()]).toEqual([0, 'good.pem: OK']);
    // DER form too.
    writeFile(dir, 'crl.der', crl.der);
    expect(openssl(dir, ['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text']).out).toContain(bad.serial.toUpperCase());
  });

  it('refuses a CSR whose signature was tampered, and one that names another device', async () => {
    const { f, provider, dir } = await setup(kind);
    const ca = await newCa(f, provider, 'EC_P256');
    const csr = robotCsr(dir, '/O=ECPS-UV Fleet/CN=robot-9', 'ec');
    const tampered = Buffer.from(csr);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01; // inside the signature value
    expect(await refusal(ca.issueDeviceCertificate(tampered, { deviceId: 'robot-9' }))).toEqual({ code: 'invalid_input', reason: 'csr_signature_invalid' });
    // The request info changed after signing (the CN robot-9 -> robot-8): the signature no longer covers it.
    const swapped = Buffer.from(csr.toString('latin1').replace('robot-9', 'robot-8'), 'latin1');
    expect(await refusal(ca.issueDeviceCertificate(swapped, { deviceId: 'robot-8' }))).toEqual({ code: 'invalid_input', reason: 'csr_signature_invalid' });
    expect(await refusal(ca.issueDeviceCertificate(csr, { deviceId: 'robot-10' }))).toEqual({ code: 'invalid_input', reason: 'csr_subject_mismatch' });
    expect(ca.list()).toEqual([]);
    const failures = f.audit.query({ action: 'ca.issue', offset: 0, limit: 10 }).records;
    // Newest first.
    expect(failures.map((r) => [r.outcome, r.targetId, r.details.reason])).toEqual([
      ['failure', 'robot-10', 'csr_subject_mismatch'],
      ['failure', 'robot-8', 'csr_signature_invalid'],
      ['failure', 'robot-9', 'csr_signature_invalid'],
    ]);
    const ok = await ca.issueDeviceCertificate(csr, { deviceId: 'robot-9' });
    writeFile(dir, 'ca.pem', ca.caCertificatePem());
    writeFile(dir, 'ok.pem', ok.pem);
    expect(openssl(dir, ['verify', '-CAfile', 'ca.pem', 'ok.pem']).status).toBe(0);
  });
});

describe('fleet CA with its key in the AWS KMS emulator', () => {
  it('signs each certificate and CRL with one KMS request, holds no CA key locally, and fails closed (audited) while the KMS is down', async () => {
    const { f, provider, dir, emu } = await setup('aws');
    if (!emu) throw new Error('no emulator');
    const ca = await newCa(f, provider, 'RSA_2048');
    expect(provider.capabilities.kmsBacked).toBe(true);
    expect((await f.store.provider.listKeys()).items).toEqual([]); // the console's own key store holds no CA key
    const csr = robotCsr(dir, '/CN=robot-kms', 'ec');
    const before = emu.faults.requestCount;
    const cert = await ca.issueDeviceCertificate(csr, { deviceId: 'robot-kms' });
    await ca.publishCrl();
    expect(emu.faults.requestCount - before).toBe(2); // one Sign per certificate, one per CRL

    await emu.faults.down();
    const down = await refusal(ca.issueDeviceCertificate(csr, { deviceId: 'robot-kms' }));
    expect(down.code).toBe('provider_unavailable');
    expect(await refusal(ca.publishCrl())).toMatchObject({ code: 'provider_unavailable' });
    await emu.faults.up();
    expect(ca.list().map((c) => c.serial)).toEqual([cert.serial]);
    const failed = f.audit.query({ action: 'ca.issue', offset: 0, limit: 1 }).records[0];
    expect(failed).toMatchObject({ outcome: 'failure', targetId: 'robot-kms', details: { code: 'provider_unavailable', provider: 'aws-test' } });

    const after = await ca.issueDeviceCertificate(csr, { deviceId: 'robot-kms' });
    writeFile(dir, 'ca.pem', ca.caCertificatePem());
    writeFile(dir, 'after.pem', after.pem);
    expect(openssl(dir, ['verify', '-CAfile', 'ca.pem', 'after.pem']).status).toBe(0);
  });
});
