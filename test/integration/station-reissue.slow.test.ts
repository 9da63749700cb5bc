// Re-issue at a distribute-mode station after a CA replacement (docs/fleet-ca.md, "Re-issue at the station";
// docs/provisioning-protocol.md, "Re-issue after a CA replacement"), in the real console over socat ptys with the
// robot simulator: a flagged robot gets a certificate of the new CA for the identity key it already holds, learns the
// new CA certificate (endorsed by the old CA it trusts), then installs a bundle the new CA signed and accepts peers
// with new-CA certificates; the flag settles and the re-issue is recorded and audited. Refused: a CSR for another key
// than the registered one, a session signature by another key, a robot that cannot check the endorsement. A robot
// still on the retired CA hears that CA's newest CRL over the link (docs/lockdown-orders.md, "Delivery"), recorded
// with its CA, and then refuses a peer that CRL lists.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { writeCaFile } from '../robot-sim/harness.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { createStationConsole, distributeWithSimulator, initStationFleet, provisionWithSimulator, robotBench, robotSays, type StationProgress } from './support/stationRig.ts';

const ROBOTS = { 'uv-r1': 'Re-issued', 'uv-r2': 'Other key', 'uv-r3': 'Bad signature', 'uv-r4': 'Cannot check the endorsement', 'uv-r5': 'Hears the retired CA\'s CRL' };

describe('station: re-issue of flagged robots after a CA replacement', () => {
  const dir = tempDir('ecps-reissue-console-');
  const work = tempDir('ecps-reissue-work-');
  const progress: StationProgress[] = [];
  let c: FleetConsole;
  let oldCaFile = '';
  let newCaPem = '';
  let oldCaId = '';
  const keystores: Record<string, string> = {};
  const call = contractCaller(() => c);
  const bench = robotBench(() => oldCaFile);
  const audits = (action: string, targetId: string) => c.audit.query({ action, targetId, offset: 0, limit: 100 }).records;
  const certOf = (keystore: string) => new X509Certificate(readFileSync(path.join(keystore, 'identity.cert.pem')));
  const openRenewals = async () => (await call('ca:history', {})).renewals.map((r) => r.deviceId).sort();

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 60_000, pollIntervalMs: 200 }, progress });
    oldCaFile = (await initStationFleet(call, { ca: { commonName: 'Reissue Old CA', work }, robots: ROBOTS })).caFile;
    for (const deviceId of Object.keys(ROBOTS)) {
      const out = await provisionWithSimulator(c, bench, progress, deviceId);
      expect(out.result).toMatchObject({ ok: true });
      keystores[deviceId] = out.keystore;
    }
    const replaced = await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Reissue New CA', reason: 'planned replacement' });
    expect([...replaced.flagged].sort()).toEqual(Object.keys(ROBOTS));
    newCaPem = replaced.current.certificatePem;
    oldCaId = replaced.previous.id;
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('re-issues a flagged robot: a new-CA certificate for its own identity key, recorded, audited, flag settled; the robot trusts the new CA', async () => {
    const before = certOf(keystores['uv-r1']!);
    const seen = progress.length;
    const out = await distributeWithSimulator(c, bench, progress, 'uv-r1', { keystore: keystores['uv-r1']! });
    expect(out.result).toMatchObject({ ok: true });
    // The bundle after the re-issue is signed by the new CA: the robot installed it because it trusts the endorsed CA.
    expect(out.robot.json).toMatchObject({ ok: true, mode: 'distribute', reissued: true });
    expect(progress.slice(seen).map((p) => p.step)).toContain('reissue');
    // The Station screen's reissue chip: the row says so from the reissue step on, through the session's end.
    const session = progress.slice(seen);
    const from = session.findIndex((p) => p.step === 'reissue');
    expect(session.slice(0, from).map((p) => p.reissued)).toEqual(session.slice(0, from).map(() => false));
    expect(session.slice(from).map((p) => p.reissued)).toEqual(session.slice(from).map(() => true));
    expect(session.at(-1)).toMatchObject({ state: 'done', reissued: true, notSent: [] });

    // What the robot stored: issued by the new CA, verifying under its key, for the same identity key as before.
    const after = certOf(keystores['uv-r1']!);
    const newCa = new X509Certificate(newCaPem);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.checkIssued(newCa) && after.verify(newCa.publicKey)).toBe(true);
    expect(after.verify(new X509Certificate(readFileSync(oldCaFile, 'utf8')).publicKey)).toBe(false);
    expect(after.publicKey.equals(before.publicKey)).toBe(true);

    // Recorded in the registry (the old certificate stays valid during the transition), audited, and the flag settled.
    const serials = (await call('fleet:get', { deviceId: 'uv-r1' })).certificates.map((x) => x.serial.toLowerCase().replace(/:/g, ''));
    expect(serials).toContain(after.serialNumber.toLowerCase());
    expect(audits('station.reissue', 'uv-r1')).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ serial: expect.any(String) }) })]);
    expect(await openRenewals()).toEqual(['uv-r2', 'uv-r3', 'uv-r4', 'uv-r5']);

    // Peers: a robot that learnt the new CA accepts a new-CA certificate; one that has not is still refused it.
    const newCert = writeCaFile(tempDir('ecps-reissue-peer-'), after.toString());
    expect(await robotSays(['--check-peer-cert', newCert, '--keystore', keystores['uv-r1']!, '--ca-cert', oldCaFile])).toMatchObject({ exitCode: 0, json: { ok: true } });
    expect(await robotSays(['--check-peer-cert', newCert, '--keystore', keystores['uv-r2']!, '--ca-cert', oldCaFile])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_untrusted' } });

    // Settled: the next session goes straight to the bundle.
    const again = progress.length;
    const next = await distributeWithSimulator(c, bench, progress, 'uv-r1', { keystore: keystores['uv-r1']! });
    expect(next.result).toMatchObject({ ok: true });
    expect(progress.slice(again).some((p) => p.step === 'reissue')).toBe(false);
    expect(progress.slice(again).some((p) => p.reissued)).toBe(false);
    expect(audits('station.reissue', 'uv-r1')).toHaveLength(1);
  });

  // Each refusal: the session fails with its code, audited with its reason, the robot keeps its certificate, the flag stays open.
  const REFUSALS = [
    { deviceId: 'uv-r2', misbehave: 'reissue-other-key', code: 'identity_key_mismatch', reason: 'csr_key_not_registered' },
    { deviceId: 'uv-r3', misbehave: 'reissue-bad-signature', code: 'forged_csr', reason: 'nonce_signature_invalid' },
    // A robot given another factory CA cannot check the old CA's endorsement: it refuses, the console hears why.
    { deviceId: 'uv-r4', trustsNewCaOnly: true, code: 'robot_error', reason: 'robot:certificate_rejected' },
  ] as const;
  for (const r of REFUSALS) {
    it(`refuses ${r.deviceId}'s re-issue: ${r.code} (${r.reason})`, async () => {
      const ks = keystores[r.deviceId]!;
      const before = certOf(ks);
      const o = { keystore: ks, ...('misbehave' in r ? { misbehave: r.misbehave } : {}), ...('trustsNewCaOnly' in r ? { caCertFile: writeCaFile(tempDir('ecps-reissue-ca-'), newCaPem) } : {}) };
      const seen = progress.length;
      const out = await distributeWithSimulator(c, bench, progress, r.deviceId, o);
      expect(out.result).toMatchObject({ ok: false, step: 'reissue', error: { code: r.code } });
      // The row ends failed at its reissue chip, no item sent (no answer on the row, no lockdown.deliver record).
      const end = progress.slice(seen).at(-1);
      expect(end).toMatchObject({ state: 'failed', step: 'reissue', reissued: true, orders: [] });
      expect(audits('lockdown.deliver', r.deviceId)).toEqual([]);
      expect(audits('station.reissue', r.deviceId)).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ code: r.code, reason: r.reason }) })]);
      expect(certOf(ks).serialNumber).toBe(before.serialNumber);
      expect(await openRenewals()).toContain(r.deviceId);
      // No certificate of the new CA was left valid for it.
      const valid = (await call('certs:list', {})).certificates.filter((x) => x.deviceId === r.deviceId && x.status === 'valid');
      expect(valid).toEqual([]);
    });
  }

  it('a robot on the retired CA hears that CA\'s newest CRL over the link, then refuses a peer it lists', async () => {
    // uv-r4's certificate of the retired CA, revoked during the transition: on the retired CA's own CRL.
    const peer = certOf(keystores['uv-r4']!);
    const peerFile = writeCaFile(tempDir('ecps-reissue-revoked-'), peer.toString());
    const check = () => robotSays(['--check-peer-cert', peerFile, '--keystore', keystores['uv-r5']!, '--ca-cert', oldCaFile]);
    expect(await check()).toMatchObject({ exitCode: 0, json: { ok: true } });
    expect(await call('certs:revoke', { serial: peer.serialNumber, reason: 'keyCompromise' })).toEqual({ revoked: true });
    // The retired CA's newest CRL (ca:crl signs one more, kept for the robots).
    const oldCrl = (await call('ca:crl', { caId: oldCaId })).crlNumber;

    const out = await distributeWithSimulator(c, bench, progress, 'uv-r5', { keystore: keystores['uv-r5']! });
    expect(out.result).toMatchObject({ ok: true });
    // The robot's answer to the retired CA's CRL: recorded with that CA and its number, audited.
    const heard = audits('lockdown.deliver', 'uv-r5').filter((r) => r.details.item === 'crl' && r.details.caId === oldCaId);
    expect(heard.map((r) => [r.outcome, r.details.channel, r.details.result])).toEqual([['success', 'serial', 'accepted']]);
    expect(heard[0]!.details.ref).toBe(oldCrl);
    expect(await check()).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });
  });
});
