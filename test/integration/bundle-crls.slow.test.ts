// Every CRL a robot must hear reaches it on a USB stick too, and a CA endorsed to a robot counts (docs/key-bundles.md,
// "Every CRL the robot must hear (v4)"; docs/lockdown-orders.md, "Which CRLs a robot hears"), in the real console with
// robot simulator processes on socat ptys. The story: CA A provisions uv-u1 (reached only by USB) and uv-l1; A is
// replaced by B and both robots learn B from a v3/v4 bundle file (B endorsed by A) without ever holding a certificate
// of B; B provisions the peer uv-p1; B is replaced by C and then revoked as compromised, its final CRL listing uv-p1.
// uv-u1's next bundle file carries C's, A's and B's CRLs; once installed the robot refuses uv-p1. uv-l1 at a
// distribute-mode station hears B's CRL over the serial link and refuses uv-p1 as well.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { fileIn, pemToDer, writeCaFile } from '../robot-sim/harness.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { createStationConsole, distributeWithSimulator, initStationFleet, provisionAll, provisionWithSimulator, robotBench, robotSays } from './support/stationRig.ts';

const ROBOTS = { 'uv-u1': 'USB only', 'uv-l1': 'At a station', 'uv-p1': 'Peer of CA B' };
/** The body of a bundle file, as docs/key-bundles.md lays it out. */
const bodyOf = (content: Buffer) => JSON.parse(Buffer.from((JSON.parse(content.toString()) as { body: string }).body, 'base64').toString()) as Record<string, unknown>;
/** What a CRL is, read from its DER: its issuer's common name and its CRL number. */
const crlId = (der: Buffer): [string, number] => {
  const crl = new x509.X509Crl(der);
  const ext = Buffer.from(crl.getExtension('2.5.29.20')!.value);
  return [crl.issuer, Number(BigInt(`0x${ext.subarray(2).toString('hex')}`))];
};

describe('the CRLs of retired and compromised CAs reach a robot by USB and by the link, also for a CA it learnt by endorsement', () => {
  const dir = tempDir('ecps-bundlecrls-console-');
  const work = tempDir('ecps-bundlecrls-work-');
  const progress: Parameters<typeof provisionWithSimulator>[2] = [];
  let c: FleetConsole;
  let caAFile = '';
  let peerCert = '';
  let keystores: Record<string, string> = {};
  /** [issuer CN, CRL number] of the newest CRL of each CA, from the console's answers (ca:replace, ca:revoke, ca:crl). */
  const newest: Record<'A' | 'B' | 'C', [string, number]> = { A: ['', 0], B: ['', 0], C: ['', 0] };
  let caBId = '';
  const call = contractCaller(() => c);
  const bench = robotBench(() => caAFile);
  const file = fileIn(work);
  /** The simulator as a process for a robot of factory CA A. */
  const says = (deviceId: string, args: string[]) => robotSays([...args, '--device-id', deviceId, '--keystore', keystores[deviceId]!, '--ca-cert', caAFile]);
  const installBundleFile = async (deviceId: string) => {
    const built = await call('bundles:build', { deviceId });
    const content = Buffer.from(built.content, 'base64');
    return { body: bodyOf(content), out: await says(deviceId, ['--install-bundle', file(built.fileName, content)]) };
  };
  const crlsOf = (body: Record<string, unknown>) => (body.crls as string[]).map((b) => crlId(Buffer.from(b, 'base64')));

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 60_000, pollIntervalMs: 200 }, progress });
    caAFile = (await initStationFleet(call, { ca: { commonName: 'Reach CA A', work }, robots: ROBOTS })).caFile;
    keystores = await provisionAll(c, bench, progress, ['uv-u1', 'uv-l1']);
    const toB = await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Reach CA B', reason: 'planned replacement' });
    newest.A = crlId(pemToDer(toB.previousCrl.pem));
    caBId = toB.current.id;
    // Both robots learn B from a bundle file (B's certificate endorsed by A); neither gets a certificate of B.
    for (const deviceId of ['uv-u1', 'uv-l1']) {
      const { body, out } = await installBundleFile(deviceId);
      expect(body, deviceId).toMatchObject({ v: 4, caEndorsement: { endorserKeyId: expect.any(String) } });
      expect(crlsOf(body), deviceId).toEqual([newest.A]);
      expect(out, deviceId).toMatchObject({ exitCode: 0, json: { ok: true, trustedCa: expect.any(String), emergency: { items: [{ kind: 'crl', result: 'accepted' }] } } });
    }
    const p1 = await provisionWithSimulator(c, bench, progress, 'uv-p1', { caCertFile: writeCaFile(tempDir('ecps-bundlecrls-cab-'), toB.current.certificatePem) });
    expect(p1.result).toMatchObject({ ok: true });
    peerCert = file('uv-p1.cert.pem', readFileSync(path.join(p1.keystore, 'identity.cert.pem')));
    // Before B's compromise the robots that learnt B accept its robot.
    for (const deviceId of ['uv-u1', 'uv-l1']) expect(await says(deviceId, ['--check-peer-cert', peerCert]), deviceId).toMatchObject({ exitCode: 0, json: { ok: true } });

    await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Reach CA C', reason: 'B suspected' });
    const revoked = await call('ca:revoke', { caId: caBId, reason: 'B key leaked' });
    newest.B = crlId(pemToDer(revoked.finalCrl.pem));
    newest.C = crlId(pemToDer((await call('ca:crl', {})).pem));
    // What the scenario wrote: three CAs by name, B's final CRL its last.
    expect([newest.A[0], newest.B[0], newest.C[0]]).toEqual(['CN=Reach CA A, O=ECPS-UV Fleet', 'CN=Reach CA B, O=ECPS-UV Fleet', 'CN=Reach CA C, O=ECPS-UV Fleet']);
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('a robot reached only by USB gets C\'s, A\'s and B\'s CRLs in one bundle file, and then refuses the peer of compromised B', async () => {
    const { body, out } = await installBundleFile('uv-u1');
    // v4: the current CA's CRL first, then the other CAs oldest first (A issued the robot's certificate, B was endorsed to it).
    expect(body.v).toBe(4);
    expect(crlsOf(body)).toEqual([newest.C, newest.A, newest.B]);
    // C is learnt from this bundle (endorsed by A), A's CRL it holds already, B's is new.
    expect(out).toMatchObject({ exitCode: 0, json: { ok: true, emergency: { items: [{ kind: 'crl', result: 'accepted' }, { kind: 'crl', result: 'crl_stale' }, { kind: 'crl', result: 'accepted' }] } } });
    expect(await says('uv-u1', ['--check-peer-cert', peerCert])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });
  });

  it('a robot endorsed to B, with no certificate of B, hears B\'s CRL over the serial link and then refuses the peer', async () => {
    const out = await distributeWithSimulator(c, bench, progress, 'uv-l1', { keystore: keystores['uv-l1']! });
    expect(out.result).toMatchObject({ ok: true });
    const delivered = c.audit.query({ action: 'lockdown.deliver', targetId: 'uv-l1', offset: 0, limit: 100 }).records
      .filter((r) => r.details?.channel === 'serial')
      .map((r) => [r.details?.caId, r.details?.ref, r.details?.result]);
    expect(delivered).toContainEqual([caBId, newest.B[1], 'accepted']);
    expect(await says('uv-l1', ['--check-peer-cert', peerCert])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });
  });
});
