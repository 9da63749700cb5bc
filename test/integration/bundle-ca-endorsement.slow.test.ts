// A USB key bundle after a CA replacement (docs/key-bundles.md, "The new CA certificate (v3)"; docs/fleet-ca.md,
// "Bundle files after a replacement"), in the real console with robot simulator processes: robots provisioned by the
// old CA (socat ptys) are flagged by ca:replace; the bundle file built for one carries the new CA's certificate
// endorsed by the old CA; the robot (a process, --install-bundle) installs it and from then on trusts the new CA:
// it takes a CRL of the new CA from a file (--apply-crl, kept beside the old CA's, newer number wins per CA) and
// refuses a peer that CRL lists. Once the old CA is revoked as compromised, no bundle is built for its robots.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { signerKeyId } from '../../electron/station/bundle.ts';
import { fileIn, pemToDer, writeCaFile } from '../robot-sim/harness.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, provisionAll, provisionWithSimulator, robotBench, robotSays } from './support/stationRig.ts';

const ROBOTS = { 'uv-e1': 'USB bundle', 'uv-e2': 'Peer of the new CA', 'uv-e3': 'Old CA, compromised later' };

describe('a key bundle file carries the new CA certificate to a robot of the replaced CA', () => {
  const dir = tempDir('ecps-bundleca-console-');
  const work = tempDir('ecps-bundleca-work-');
  const progress: Parameters<typeof provisionWithSimulator>[2] = [];
  let c: FleetConsole;
  let oldCaFile = '';
  let oldCaId = '';
  let newCaPem = '';
  let keystores: Record<string, string> = {};
  const call = contractCaller(() => c);
  const bench = robotBench(() => oldCaFile);
  const audits = (action: string, targetId: string) => c.audit.query({ action, targetId, offset: 0, limit: 100 }).records;
  const file = fileIn(work);
  /** The simulator as a process, robot uv-e1 with the old CA as its factory CA. */
  const e1Says = (args: string[]) => robotSays([...args, '--device-id', 'uv-e1', '--keystore', keystores['uv-e1']!, '--ca-cert', oldCaFile]);

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 60_000, pollIntervalMs: 200 }, progress });
    oldCaFile = (await initStationFleet(call, { ca: { commonName: 'Bundle Old CA', work }, robots: ROBOTS })).caFile;
    keystores = await provisionAll(c, bench, progress, ['uv-e1', 'uv-e3']);
    const replaced = await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Bundle New CA', reason: 'planned replacement' });
    expect([...replaced.flagged].sort()).toEqual(['uv-e1', 'uv-e3']);
    oldCaId = replaced.previous.id;
    newCaPem = replaced.current.certificatePem;
    // uv-e2 is provisioned by the new CA: its certificate is the peer the new CA's CRL will list.
    const e2 = await provisionWithSimulator(c, bench, progress, 'uv-e2', { caCertFile: writeCaFile(tempDir('ecps-bundleca-newca-'), newCaPem) });
    expect(e2.result).toMatchObject({ ok: true });
    keystores['uv-e2'] = e2.keystore;
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('the flagged robot installs a USB bundle of the new CA, trusts it, then takes its CRL and refuses the peer it lists', async () => {
    const newCa = new X509Certificate(newCaPem);
    const oldCa = new X509Certificate(readFileSync(oldCaFile, 'utf8'));
    const peerCert = file('uv-e2.cert.pem', readFileSync(path.join(keystores['uv-e2']!, 'identity.cert.pem')));

    // Before: the robot does not trust the new CA's robots.
    expect(await e1Says(['--check-peer-cert', peerCert])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_untrusted' } });

    const built = await call('bundles:build', { deviceId: 'uv-e1' });
    const content = Buffer.from(built.content, 'base64');
    const body = JSON.parse(Buffer.from((JSON.parse(content.toString()) as { body: string }).body, 'base64').toString()) as Record<string, unknown>;
    // As docs/key-bundles.md writes it: signed by the new CA, carrying its certificate endorsed by the old CA; v4, since
    // the old CA's CRL signed at the replacement rides along (every CRL the link would send).
    expect(body).toMatchObject({ v: 4, deviceId: 'uv-e1', signerKeyId: signerKeyId(newCa.publicKey), caEndorsement: { caCert: newCa.raw.toString('base64'), endorserKeyId: signerKeyId(oldCa.publicKey) } });
    expect(audits('bundle.issue', 'uv-e1')).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ delivery: 'file', endorsedBy: oldCaId }) })]);

    const bundleFile = file(built.fileName, content);
    expect(await e1Says(['--install-bundle', bundleFile])).toMatchObject({ exitCode: 0, json: { ok: true, sequence: built.sequence, trustedCa: signerKeyId(newCa.publicKey) } });
    // The same file again is a replay; the robot now accepts the new CA's robots.
    expect(await e1Says(['--install-bundle', bundleFile])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'replayed' } });
    expect(await e1Says(['--check-peer-cert', peerCert])).toMatchObject({ exitCode: 0, json: { ok: true } });

    // The new CA revokes uv-e2's certificate and signs a CRL; the robot takes it from a file (per CA: docs/lockdown-orders.md).
    const serial = new X509Certificate(readFileSync(peerCert)).serialNumber;
    expect(await call('certs:revoke', { serial, reason: 'keyCompromise' })).toEqual({ revoked: true });
    const newCrl = await call('ca:crl', {});
    const oldCrl = await call('ca:crl', { caId: oldCaId });
    const newCrlFile = file('new.crl', pemToDer(newCrl.pem));
    // The old CA signed a CRL at the replacement and one now: its number is above the new CA's first.
    expect(oldCrl.crlNumber).toBeGreaterThan(newCrl.crlNumber);
    // [file, what the robot answers] in order: each CA's CRL is checked against that CA and numbered on its own.
    const steps: Array<[string, Record<string, unknown>]> = [
      [file('old.crl', pemToDer(oldCrl.pem)), { exitCode: 0, json: { ok: true, crlNumber: String(oldCrl.crlNumber), caKeyId: signerKeyId(oldCa.publicKey) } }],
      [newCrlFile, { exitCode: 0, json: { ok: true, crlNumber: String(newCrl.crlNumber), caKeyId: signerKeyId(newCa.publicKey) } }],
      [newCrlFile, { exitCode: 1, json: { ok: false, code: 'crl_stale' } }],
    ];
    for (const [f, want] of steps) expect(await e1Says(['--apply-crl', f]), path.basename(f)).toMatchObject(want);
    expect(await e1Says(['--check-peer-cert', peerCert])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });

    // A robot of the old CA that never got the bundle still refuses the new CA's CRL as foreign.
    expect(await robotSays(['--apply-crl', newCrlFile, '--device-id', 'uv-e3', '--keystore', keystores['uv-e3']!, '--ca-cert', oldCaFile])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'crl_foreign' } });
  });

  it('builds no bundle for a robot whose CA was then revoked as compromised: it must be re-provisioned', async () => {
    await call('ca:revoke', { caId: oldCaId, reason: 'old CA key leaked' });
    // Its certificate was revoked with the CA (a compromised CA endorses nothing either: test/unit/ca-endorsement.test.ts).
    await expect(call('bundles:build', { deviceId: 'uv-e3' })).rejects.toMatchObject({ code: 'illegal_transition', message: expect.stringMatching(/provision/) });
    expect(audits('bundle.issue', 'uv-e3')).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ code: 'illegal_transition' }) })]);
  });
});
