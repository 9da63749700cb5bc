// The field link after ca:replace for robots that trust only their factory CA (docs/fleet-ca.md, "Cross-certificates";
// docs/field-link.md, "The robot checks the console"): the retired CA signs a cross-certificate for the new CA at the
// replacement, and the link sends it after its server certificate, so the robot's TLS client builds server -> new CA
// (cross-certified) -> factory CA, connects, and completes its re-issue (RENEW/CSR/CERT/RENEWED), which teaches it the
// new CA. A CA revoked as compromised vouches for nothing: its robots are refused the handshake. The real console
// (store, local fleet CA), robots provisioned by the simulator's session code on an in-memory cable, the field link
// over real TLS on 127.0.0.1 with the simulator's field client, and the openssl command line as a second verifier.
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { trustedCaPems } from '../robot-sim/caTrust.ts';
import { pollField } from '../robot-sim/fieldClient.ts';
import { runRobot } from '../robot-sim/robotSession.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { MemoryEnd, MemoryPort } from '../unit/station-link-kit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, memoryCableOpener } from './support/stationRig.ts';

// The replacement keeps the retired CA's name (a key rollover, as ca:replace with the same commonName makes it): the
// cross-certificate is then self-issued (RFC 5280 6.1: not counted against a path length), which the factory CA's
// pathlen:0 needs. A replacement under another name is the last test here.
const CA_NAME = 'Field Cross CA';
const ROBOTS = { 'uv-c1': 'Factory only', 'uv-c2': 'On a compromised CA' } as const;

/**
 * The certificates the link sends in its handshake, in order (openssl s_client -showcerts), as PEM texts. Run
 * asynchronously: the link answers from this process's event loop.
 */
async function sentChain(port: number): Promise<string[]> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-showcerts'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end();
  });
  // The "Certificate chain" section lists what was sent (s_client repeats a lone server certificate after it).
  const start = stdout.indexOf('Certificate chain');
  const section = stdout.slice(start, stdout.indexOf('\n---\n', start) + 1);
  return [...section.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)].map((m) => m[0]);
}

/** openssl verify's verdict: its output line (OK, or the error), with the exit status. */
function opensslVerify(dir: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', ['verify', ...args], { cwd: dir, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

const spkiOf = (c: X509Certificate) => c.publicKey.export({ format: 'der', type: 'spki' });

describe('the field link sends the retired CA\'s cross-certificate after ca:replace', () => {
  let dir = '';
  let work = '';
  const keystores = new Map<string, string>();
  let c: FleetConsole;
  let factoryPem = '';
  let fieldPort = 0;
  let replacedAt = 0;
  const call = contractCaller(() => c);
  const poll = async (deviceId: string) => {
    const out = await pollField({ host: '127.0.0.1', port: fieldPort, deviceId, keystore: keystores.get(deviceId)!, caCertPem: factoryPem, firmware: '1.0.0', stepTimeoutMs: 600_000 });
    await c.field.idle();
    return out;
  };
  const cas = async () => (await call('ca:history', {})).cas;

  beforeAll(async () => {
    dir = tempDir('ecps-field-cross-');
    work = tempDir('ecps-field-cross-work-');
    const ports = new Map<string, { port: MemoryPort; powerOn(): void }>();
    c = await createStationConsole({
      dataDir: dir,
      station: {
        stepTimeoutMs: 600_000,
        pollIntervalMs: 100,
        openPort: memoryCableOpener(ports),
      },
      field: { renewCheckMs: null },
    });
    const { caFile } = await initStationFleet(call, { ca: { commonName: CA_NAME, work }, robots: { ...ROBOTS } });
    factoryPem = readFileSync(caFile, 'utf8');
    for (const deviceId of Object.keys(ROBOTS)) {
      const port = new MemoryPort();
      const robotEnd = new MemoryEnd();
      port.peer = robotEnd;
      robotEnd.peer = port;
      keystores.set(deviceId, path.join(work, deviceId));
      const channel = new FrameChannel(robotEnd, undefined, { writeTimeoutMs: 600_000 });
      ports.set(`/mem/${deviceId}`, { port, powerOn: () => void runRobot(channel, { deviceId, keystore: keystores.get(deviceId)!, caCertPem: factoryPem, keyType: 'ec', firmware: '1.0.0', stepTimeoutMs: 600_000 }) });
    }
    await call('station:start', { paths: [...ports.keys()], mode: 'provision' });
    for (const p of ports.keys()) {
      expect(await until(`${p} provisioned`, async () => (await call('station:status', {})).ports.find((x) => x.path === p && x.state !== 'active'))).toMatchObject({ state: 'done' });
    }
    await call('station:stop', {});
    for (const cable of ports.values()) cable.port.emit('close');
    replacedAt = Date.now();
    const replaced = await call('ca:replace', { algorithm: 'EC_P256', commonName: CA_NAME, reason: 'planned key rollover' });
    expect(replaced.flagged.sort()).toEqual(Object.keys(ROBOTS));
    fieldPort = (await call('field:start', { host: '127.0.0.1', port: 0 })).port!;
  }, 120_000);
  afterAll(async () => {
    await c.field.stop();
    c.close();
    removeTempDirs();
  });

  it('a robot that trusts only its factory CA connects, is re-issued (RENEWED) a certificate of the new CA, and then trusts the new CA', async () => {
    const keystore = keystores.get('uv-c1')!;
    expect(trustedCaPems(keystore, factoryPem)).toEqual([factoryPem]); // nothing learnt: no USB bundle, no earlier re-issue
    const out = await poll('uv-c1');
    expect(out).toMatchObject({ ok: true, result: 'session', robot: { ok: true, reissued: true } });
    const current = (await cas()).find((x) => x.state === 'current')!;
    const newCa = new X509Certificate(current.certificatePem);
    const held = new X509Certificate(readFileSync(path.join(keystore, 'identity.cert.pem')));
    expect(held.checkIssued(newCa) && held.verify(newCa.publicKey)).toBe(true);
    expect(trustedCaPems(keystore, factoryPem).map((p) => new X509Certificate(p).fingerprint256)).toContain(newCa.fingerprint256);
    expect(c.audit.query({ action: 'station.reissue', targetId: 'uv-c1', offset: 0, limit: 5 }).records[0]).toMatchObject({ outcome: 'success' });
  });

  it('the cross-certificate follows the server certificate, its fields as RFC 5280 requires, and openssl verifies the chain', async () => {
    const history = await cas();
    const current = history.find((x) => x.state === 'current')!;
    const retired = history.find((x) => x.state === 'retired')!;
    const oldCa = new X509Certificate(retired.certificatePem);
    const newCa = new X509Certificate(current.certificatePem);
    const sent = await sentChain(fieldPort);
    expect(sent).toHaveLength(2);
    const server = new X509Certificate(sent[0]!);
    const cross = new X509Certificate(sent[1]!);
    expect(server.checkIssued(newCa) && server.verify(newCa.publicKey)).toBe(true);
    // 4.1.2.4 / 4.1.2.6: issued by the retired CA, the new CA's subject; 4.1.2.7: the new CA's public key; signed by the retired key.
    expect(cross.issuer).toBe(oldCa.subject);
    expect(cross.subject).toBe(newCa.subject);
    expect(spkiOf(cross).equals(spkiOf(newCa))).toBe(true);
    expect(cross.verify(oldCa.publicKey)).toBe(true);
    expect(cross.verify(newCa.publicKey)).toBe(false);
    expect(cross.serialNumber).not.toBe(newCa.serialNumber);
    const peculiar = (c: X509Certificate) => new x509.X509Certificate(c.raw);
    const crossExt = peculiar(cross);
    const newExt = peculiar(newCa);
    const oldExt = peculiar(oldCa);
    // 4.2.1.9: a CA certificate (critical basicConstraints, cA TRUE), the path length the new CA certificate states.
    const bc = crossExt.getExtension(x509.BasicConstraintsExtension)!;
    expect([bc.critical, bc.ca, bc.pathLength]).toEqual([true, true, newExt.getExtension(x509.BasicConstraintsExtension)!.pathLength]);
    // 4.2.1.3: keyCertSign (and cRLSign) as the new CA's, critical.
    const ku = crossExt.getExtension(x509.KeyUsagesExtension)!;
    expect(ku.critical).toBe(true);
    expect(ku.usages & x509.KeyUsageFlags.keyCertSign).toBe(x509.KeyUsageFlags.keyCertSign);
    // 4.2.1.1: the authority key identifier is the retired CA's subject key identifier; 4.2.1.2: the subject's is the new CA's.
    expect(crossExt.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(oldExt.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    expect(crossExt.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toBe(newExt.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    // 4.1.2.5 and 6.1.3 (a path is valid only while every certificate in it is): from the replacement (whole seconds)
    // to no later than either CA's own expiry.
    expect(Date.parse(cross.validFrom)).toBeGreaterThanOrEqual(Math.floor(replacedAt / 1000) * 1000);
    expect(Date.parse(cross.validFrom)).toBeGreaterThanOrEqual(Date.parse(oldCa.validFrom));
    expect(Date.parse(cross.validTo)).toBeLessThanOrEqual(Math.min(Date.parse(oldCa.validTo), Date.parse(newCa.validTo)));
    expect(Date.parse(cross.validTo)).toBeGreaterThan(Date.now());
    // Audited at the replacement, named in ca.replace.
    const crossRecords = c.audit.query({ action: 'ca.cross_certify', offset: 0, limit: 5 }).records;
    expect(crossRecords.map((r) => [r.outcome, r.targetId, r.details.subjectCaId, r.details.serial])).toEqual([['success', retired.id, current.id, cross.serialNumber.toLowerCase()]]);
    expect(c.audit.query({ action: 'ca.replace', offset: 0, limit: 5 }).records[0]?.details.crossCertificate).toBe(cross.serialNumber.toLowerCase());
    // A second verifier: the openssl command line, trusting only the retired CA, or only the new one.
    writeFileSync(path.join(work, 'retired.pem'), retired.certificatePem);
    writeFileSync(path.join(work, 'current.pem'), current.certificatePem);
    writeFileSync(path.join(work, 'cross.pem'), sent[1]!);
    writeFileSync(path.join(work, 'server.pem'), sent[0]!);
    expect(opensslVerify(work, ['-CAfile', 'retired.pem', '-untrusted', 'cross.pem', 'server.pem'])).toMatchObject({ ok: true });
    expect(opensslVerify(work, ['-CAfile', 'current.pem', '-untrusted', 'cross.pem', 'server.pem'])).toMatchObject({ ok: true });
    // Without the cross-certificate, the retired CA alone reaches nothing.
    expect(opensslVerify(work, ['-CAfile', 'retired.pem', 'server.pem'])).toMatchObject({ ok: false });
    // It is the one kept with the CA history: a restart of the link sends the same one, not a new one.
    await call('field:stop', {});
    fieldPort = (await call('field:start', { host: '127.0.0.1', port: 0 })).port!;
    expect((await sentChain(fieldPort))[1]).toBe(sent[1]);
    expect(c.audit.query({ action: 'ca.cross_certify', offset: 0, limit: 5 }).records).toHaveLength(1);
  });

  it('a CA revoked as compromised: its cross-certificate is no longer sent and its robot is refused the handshake', async () => {
    const retired = (await cas()).find((x) => x.state === 'retired')!;
    await call('ca:revoke', { caId: retired.id, reason: 'factory CA key leaked' });
    expect((await cas()).find((x) => x.id === retired.id)).toMatchObject({ state: 'compromised' });
    // Nothing sent is signed by the compromised CA (OpenSSL may add the new CA's own certificate from the link's trust store).
    const oldKey = new X509Certificate(retired.certificatePem).publicKey;
    const sent = await sentChain(fieldPort);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((pem) => new X509Certificate(pem).verify(oldKey))).toEqual([]);
    expect(trustedCaPems(keystores.get('uv-c2')!, factoryPem)).toEqual([factoryPem]);
    const out = await poll('uv-c2');
    // The robot's TLS client builds no path to a CA it trusts: OpenSSL ends at the new CA's self-signed certificate
    // (error 19, when the link's context adds it) or finds no issuer (error 20).
    expect(out.ok).toBe(false);
    expect(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']).toContain((out as { code: string }).code);
    expect(c.audit.query({ action: 'station.reissue', targetId: 'uv-c2', offset: 0, limit: 5 }).records).toEqual([]);
    // The robot re-issued before the compromise trusts the new CA and still reaches the link.
    expect(await poll('uv-c1')).toMatchObject({ ok: true });
  });

  it('a replacement under another name: the cross-certificate is sent, but the retired CA\'s pathlen:0 forbids the path (OpenSSL error 25)', async () => {
    const before = (await cas()).find((x) => x.state === 'current')!;
    await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Field Cross Renamed CA', reason: 'renamed' });
    const sent = await sentChain(fieldPort);
    expect(sent).toHaveLength(2);
    expect(new X509Certificate(sent[1]!).issuer).toBe(new X509Certificate(before.certificatePem).subject);
    writeFileSync(path.join(work, 'before.pem'), before.certificatePem);
    writeFileSync(path.join(work, 'cross2.pem'), sent[1]!);
    writeFileSync(path.join(work, 'server2.pem'), sent[0]!);
    const verdict = opensslVerify(work, ['-CAfile', 'before.pem', '-untrusted', 'cross2.pem', 'server2.pem']);
    expect(verdict.ok).toBe(false);
    expect(verdict.out).toContain('path length constraint exceeded');
  });
});
