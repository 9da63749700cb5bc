// The sweep of abandoned certificates at unlock (docs/station.md, "Sweep at every unlock") revokes only certificates
// nobody wants: a certificate of the current CA that no robot carries is abandoned only if no session holds it. Two
// paths leave a wanted certificate unattached for a while: provisioning (issued at CSR, recorded at commit after
// CONFIRM) and the re-issue after a CA replacement (issued at CSR, recorded once the robot answers RENEWED). And the
// sweep awaits the CA before each revocation, so a certificate it listed may be recorded by then. The real console
// (store, local fleet CA, station service) on an in-memory cable, the robot simulator's session code on the other end,
// in this process; the robot's RENEWED is held on the cable until the test lets it through (no sleeps).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { MessageType } from '../../electron/station/frame.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { addTrustedCa } from '../robot-sim/caTrust.ts';
import { pollField, type FieldPollOptions } from '../robot-sim/fieldClient.ts';
import { runRobot, type RobotResult } from '../robot-sim/robotSession.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { MemoryEnd, MemoryPort } from '../unit/station-link-kit.ts';
import { robotCsr } from './fleetca-kit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createStationConsole, initStationFleet, memoryCableOpener, OPERATOR, PASS } from './support/stationRig.ts';

/** The robot's end of the cable: a frame of type `held` is kept back (the robot "thinks") until release(). */
class HoldingEnd extends MemoryEnd {
  private heldWrite: (() => void) | null = null;
  private released = false;
  private reachedNow: () => void = () => undefined;
  /** Resolves when the robot has written the held frame (the console has not received it). */
  readonly reached = new Promise<void>((r) => (this.reachedNow = r));
  private readonly held: number;
  constructor(held: number) {
    super();
    this.held = held;
  }
  override write(data: Buffer, cb?: (err?: Error | null) => void): boolean {
    // A frame starts "EP", version, type (docs/provisioning-protocol.md, "Frame").
    if (!this.released && data.subarray(0, 2).toString('latin1') === 'EP' && data[3] === this.held) {
      this.heldWrite = () => super.write(data, cb);
      this.reachedNow();
      return true;
    }
    return super.write(data, cb);
  }
  release(): void {
    this.released = true;
    this.heldWrite?.();
  }
}

describe('the sweep of abandoned certificates leaves alone the certificates sessions still want', () => {
  const dir = tempDir('ecps-sweep-');
  const logger = createMemoryLogger();
  const sweepLogs = () => logger.entries.filter((e) => e.message === 'certificates of abandoned provisioning sessions revoked');
  const work = tempDir('ecps-sweep-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  const cables = new Map<string, { port: MemoryPort; powerOn(): Promise<RobotResult> }>();
  let c: FleetConsole;
  let caPem = '';
  const call = contractCaller(() => c);
  const keystore = path.join(work, 'uv-s1');
  const certStatus = async (serial: string) => (await call('certs:list', {})).certificates.find((x) => x.serial === serial)?.status;

  /** The robot uv-s1 on `portPath`: it powers on when the station opens the port (a HELLO nobody reads is lost). */
  const plugIn = (portPath: string, robotEnd: MemoryEnd) => {
    const port = new MemoryPort();
    port.peer = robotEnd;
    robotEnd.peer = port;
    // The robot's waits are hang guards only (the test lets the held frame through itself).
    const channel = new FrameChannel(robotEnd, undefined, { writeTimeoutMs: 600_000 });
    cables.set(portPath, { port, powerOn: () => runRobot(channel, { deviceId: 'uv-s1', keystore, caCertPem: caPem, keyType: 'ec', firmware: '1.0.0', stepTimeoutMs: 600_000 }) });
  };
  const ended = (portPath: string) => until(`${portPath} ended`, async () => (await call('station:status', {})).ports.find((p) => p.path === portPath && p.state !== 'active'));
  /** A certificate of the current CA for `deviceId` that no robot carries (a session elsewhere in its CSR..commit window). */
  const unattached = async (deviceId: string, name: string) => {
    const issued = await (await c.ca.require()).issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', name), { deviceId });
    expect(c.ca.unattachedCertificates().map((x) => x.serial)).toContain(issued.serial);
    return issued;
  };

  beforeAll(async () => {
    c = await createStationConsole({
      dataDir: dir,
      progress,
      logger,
      station: {
        stepTimeoutMs: 600_000,
        pollIntervalMs: 100,
        openPort: memoryCableOpener(cables),
      },
    });
    const { caFile } = await initStationFleet(call, { ca: { commonName: 'Sweep Old CA', work }, robots: { 'uv-s1': 'Re-issued', 'uv-s2': 'Abandoned', 'uv-s3': 'Recorded late' } });
    caPem = readFileSync(caFile, 'utf8');
    // uv-s1 is provisioned by the first CA, then the CA is replaced: its next distribution session re-issues it.
    plugIn('/mem/provision', new MemoryEnd());
    await call('station:start', { paths: ['/mem/provision'], mode: 'provision' });
    expect(await ended('/mem/provision')).toMatchObject({ state: 'done' });
    await call('station:stop', {});
    const replaced = await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Sweep New CA', reason: 'planned replacement' });
    expect(replaced.flagged).toEqual(['uv-s1']);
  }, 120_000);
  afterAll(() => {
    for (const cable of cables.values()) cable.port.emit('close');
    c.close();
    removeTempDirs();
  });

  it('a re-issued certificate waiting for the robot\'s RENEWED is not revoked; an abandoned one beside it is', async () => {
    const abandoned = await unattached('uv-s2', 'uv-s2-abandoned');
    const robotEnd = new HoldingEnd(MessageType.RENEWED);
    plugIn('/mem/distribute', robotEnd);
    await call('station:start', { paths: ['/mem/distribute'], mode: 'distribute' });
    await robotEnd.reached;
    // The robot holds its new certificate; the console has not recorded it: it is unattached now.
    const reissued = c.audit.query({ action: 'ca.issue', targetId: 'uv-s1', offset: 0, limit: 5 }).records[0]?.details.serial;
    expect(typeof reissued).toBe('string');
    expect(c.ca.unattachedCertificates().map((x) => x.serial)).toContain(reissued);

    // Listed (no robot carries it yet), kept (its session holds it); the abandoned one revoked.
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 1, failed: 0, kept: 1 });
    expect(await certStatus(reissued as string)).toBe('valid');
    expect(await certStatus(abandoned.serial)).toBe('revoked');

    robotEnd.release();
    expect(await ended('/mem/distribute')).toMatchObject({ state: 'done', reissued: true });
    await call('station:stop', {});
    // Recorded, valid, and the robot's only valid certificate of the current CA.
    const currentCa = (await c.ca.require()).id;
    expect(c.ca.validCertificatesOf('uv-s1').filter((x) => x.caId === currentCa).map((x) => x.serial)).toEqual([reissued]);
    expect(await certStatus(reissued as string)).toBe('valid');
    expect(c.ca.unattachedCertificates()).toEqual([]);
    // The session ended, so uv-s1 is held no more: a certificate of it abandoned now is revoked by the next sweep.
    const later = await unattached('uv-s1', 'uv-s1-later');
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 1, failed: 0, kept: 0 });
    expect(await certStatus(later.serial)).toBe('revoked');
  });

  it('a listed certificate recorded while the sweep waits for the CA is kept; the others are revoked', async () => {
    const left = await unattached('uv-s2', 'uv-s2-left');
    const late = await unattached('uv-s3', 'uv-s3-late');
    const sweeping = c.station.sweepAbandoned();
    // The list is taken; before the sweep goes on, uv-s3's certificate is recorded in the registry (as a session's
    // commit would record it).
    c.fleet.attachCertificate('uv-s3', { serial: late.serial, subject: 'CN=uv-s3', notBefore: late.notBefore, notAfter: late.notAfter, pem: late.pem });
    expect(await sweeping).toEqual({ revoked: 1, failed: 0, kept: 1 });
    expect(await certStatus(late.serial)).toBe('valid');
    expect(await certStatus(left.serial)).toBe('revoked');
    // Kept means untouched: no revocation record names it.
    const revocations = c.audit.query({ action: 'ca.revoke', offset: 0, limit: 50 }).records.map((r) => r.details.serial);
    expect(revocations).toContain(left.serial);
    expect(revocations).not.toContain(late.serial);
    // docs/station.md: a sweep that revoked something says so at info level (nothing failed) with its counts; one
    // with nothing to revoke says nothing.
    expect(sweepLogs().at(-1)).toEqual({ level: 'info', message: 'certificates of abandoned provisioning sessions revoked', fields: { revoked: 1, failed: 0, kept: 1 } });
    const logged = sweepLogs().length;
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 0, failed: 0, kept: 0 });
    expect(sweepLogs()).toHaveLength(logged);
  });

  it('a lock during the sweep stops it (nothing revoked while locked, the sweep itself refused locked); the unlock sweeps them', async () => {
    const first = await unattached('uv-s2', 'uv-s2-first');
    const second = await unattached('uv-s3', 'uv-s3-second');
    // The list is taken and the first revocation started synchronously; the lock lands while it waits for the CA:
    // that one fails (refused locked, audited with the sweep as its trigger, a warning logged), the other is not tried.
    const sweeping = c.station.sweepAbandoned();
    await call('session:lock', {});
    expect(await sweeping).toEqual({ revoked: 0, failed: 1, kept: 0 });
    const failure = c.audit.query({ action: 'ca.revoke', offset: 0, limit: 5 }).records.find((r) => r.outcome === 'failure');
    expect(failure).toMatchObject({ targetId: 'uv-s2', details: { serial: first.serial, reason: 'cessationOfOperation', trigger: 'unlock_sweep', code: 'locked' } });
    expect(sweepLogs().at(-1)).toEqual({ level: 'warn', message: 'certificates of abandoned provisioning sessions revoked', fields: { revoked: 0, failed: 1, kept: 0 } });
    await expect(c.station.sweepAbandoned()).rejects.toMatchObject({ code: 'locked' });
    // The unlock's own sweep (docs/station.md, "Sweep at every unlock") revokes both.
    await call('session:unlock', { operator: OPERATOR, passphrase: PASS });
    await until('both revoked by the unlock sweep', async () => ((await certStatus(first.serial)) === 'revoked' && (await certStatus(second.serial)) === 'revoked') || undefined);
  });
});

// The field link's re-issue (docs/field-link.md) marks its robot in the same set as the station's sessions, and only
// its own commit or failure handling clears the mark there (no station session ends around it). After each, the sweep
// must treat the robot like any other: a certificate of it that nobody carries is revoked (docs/station.md, "Sweep at
// every unlock"). Real TLS on 127.0.0.1 with the simulator's field client (test/robot-sim/fieldClient.ts) in process.
describe('the sweep after a re-issue over the field link, and after a CA replaced while it waits for the CA', () => {
  // Made in beforeAll: the first block's afterAll removes every temp folder made before it ran.
  let dir = '';
  let work = '';
  const progress: Array<EventPayload<'station:progress'>> = [];
  const ports = new Map<string, { port: MemoryPort; powerOn(): void }>();
  const keystores = new Map<string, string>();
  let c: FleetConsole;
  let caPem = '';
  let fieldPort = 0;
  const call = contractCaller(() => c);
  const certStatus = async (serial: string) => (await call('certs:list', {})).certificates.find((x) => x.serial === serial)?.status;
  const unattached = async (deviceId: string, name: string) => {
    const issued = await (await c.ca.require()).issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', name), { deviceId });
    expect(c.ca.unattachedCertificates().map((x) => x.serial)).toContain(issued.serial);
    return issued;
  };
  const reissueRecords = (deviceId: string) => c.audit.query({ action: 'station.reissue', targetId: deviceId, offset: 0, limit: 5 }).records;
  const poll = async (deviceId: string, misbehave?: FieldPollOptions['misbehave']) => {
    const out = await pollField({
      host: '127.0.0.1', port: fieldPort, deviceId, keystore: keystores.get(deviceId)!, caCertPem: caPem, firmware: '1.0.0', stepTimeoutMs: 600_000, ...(misbehave ? { misbehave } : {}),
    });
    await c.field.idle(); // the console's side has recorded everything once its session ended
    return out;
  };

  beforeAll(async () => {
    dir = tempDir('ecps-sweep-field-');
    work = tempDir('ecps-sweep-field-work-');
    c = await createStationConsole({
      dataDir: dir,
      progress,
      station: {
        stepTimeoutMs: 600_000,
        pollIntervalMs: 100,
        openPort: memoryCableOpener(ports),
      },
    });
    const { caFile } = await initStationFleet(call, { ca: { commonName: 'Field Sweep Old CA', work }, robots: { 'uv-t1': 'Renewed', 'uv-t2': 'Forged RENEWED' } });
    caPem = readFileSync(caFile, 'utf8');
    // Both provisioned by the first CA on two cables at once (the robot powers on when the station opens its port).
    for (const deviceId of ['uv-t1', 'uv-t2']) {
      const port = new MemoryPort();
      const robotEnd = new MemoryEnd();
      port.peer = robotEnd;
      robotEnd.peer = port;
      keystores.set(deviceId, path.join(work, deviceId));
      const channel = new FrameChannel(robotEnd, undefined, { writeTimeoutMs: 600_000 });
      const powerOn = () => void runRobot(channel, { deviceId, keystore: keystores.get(deviceId)!, caCertPem: caPem, keyType: 'ec', firmware: '1.0.0', stepTimeoutMs: 600_000 });
      ports.set(`/mem/${deviceId}`, { port, powerOn });
    }
    await call('station:start', { paths: ['/mem/uv-t1', '/mem/uv-t2'], mode: 'provision' });
    for (const deviceId of ['uv-t1', 'uv-t2']) {
      expect(await until(`${deviceId} provisioned`, async () => (await call('station:status', {})).ports.find((p) => p.path === `/mem/${deviceId}` && p.state !== 'active'))).toMatchObject({ state: 'done' });
    }
    await call('station:stop', {});
    const replaced = await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Field Sweep New CA', reason: 'planned replacement' });
    expect(replaced.flagged.sort()).toEqual(['uv-t1', 'uv-t2']);
    // The link's server certificate is the new CA's; a robot checks it against the CAs it trusts, so each robot here
    // has learnt the new CA as an endorsed successor, as a USB key bundle of the new CA teaches it
    // (bundle-ca-endorsement.slow.test.ts). The old CA's cross-certificate, which the link sends too, does not help
    // here: the new CA has another name, and the old CA certificate's pathlen:0 forbids the path (docs/fleet-ca.md,
    // "Cross-certificates"; field-link-cross.test.ts has a robot that knows only its factory CA, after a key rollover).
    const newCaPem = (await call('ca:history', {})).cas.find((x) => x.state === 'current')!.certificatePem;
    for (const keystore of keystores.values()) addTrustedCa(keystore, caPem, newCaPem);
    fieldPort = (await call('field:start', { host: '127.0.0.1', port: 0 })).port!;
  }, 120_000);
  afterAll(async () => {
    await c.field.stop();
    for (const cable of ports.values()) cable.port.emit('close');
    c.close();
    removeTempDirs();
  });

  it('answered RENEWED: the re-issued certificate is recorded, and the robot is no longer held (a certificate of it nobody carries is revoked)', async () => {
    const renewed = await poll('uv-t1');
    expect(renewed).toMatchObject({ ok: true, result: 'session', robot: { ok: true, reissued: true } });
    const reissued = reissueRecords('uv-t1')[0];
    expect(reissued).toMatchObject({ outcome: 'success' });
    const serial = reissued!.details.serial as string;
    expect(await certStatus(serial)).toBe('valid');
    expect(c.ca.unattachedCertificates()).toEqual([]);
    const later = await unattached('uv-t1', 'uv-t1-later');
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 1, failed: 0, kept: 0 });
    expect(await certStatus(later.serial)).toBe('revoked');
    expect(await certStatus(serial)).toBe('valid');
  });

  it('a RENEWED not signed by the robot: the issued certificate is revoked by the failed exchange, and the robot is no longer held', async () => {
    const out = await poll('uv-t2', 'reissue-forged-renewed');
    expect(out).toMatchObject({ ok: true, result: 'session', robot: { ok: false } });
    const failed = reissueRecords('uv-t2')[0];
    expect(failed).toMatchObject({ outcome: 'failure', details: { code: 'forged_ack', reason: 'renewed_signature_invalid' } });
    const serial = failed!.details.serial as string;
    expect(typeof serial).toBe('string');
    // Revoked by the exchange's failure handling (the CA audits it), not left for a sweep.
    expect(await certStatus(serial)).toBe('revoked');
    expect(c.audit.query({ action: 'ca.revoke', targetId: 'uv-t2', offset: 0, limit: 5 }).records[0]).toMatchObject({ outcome: 'success', details: { serial, reason: 'cessationOfOperation' } });
    const later = await unattached('uv-t2', 'uv-t2-later');
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 1, failed: 0, kept: 0 });
    expect(await certStatus(later.serial)).toBe('revoked');
  });

  it('a CA replaced between the sweep\'s listing and the revocation: the listed certificate (of the CA now retired) is kept, nothing revoked or audited', async () => {
    const listed = await unattached('uv-t1', 'uv-t1-listed');
    const before = (await call('ca:history', {})).cas.find((x) => x.state === 'current')!.id;
    // The sweep lists synchronously, then awaits the CA once per candidate (docs/station.md): the replacement is made
    // to land in exactly that wait by running it inside the first such call (the real ca:replace, then the real CA).
    const require = c.ca.require;
    c.ca.require = async () => {
      c.ca.require = require;
      await call('ca:replace', { algorithm: 'EC_P256', commonName: 'Field Sweep Third CA', reason: 'replaced during the sweep' });
      return require();
    };
    const revocationsBefore = c.audit.query({ action: 'ca.revoke', offset: 0, limit: 100 }).records.length;
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 0, failed: 0, kept: 1 });
    expect(c.ca.require).toBe(require);
    expect((await call('ca:history', {})).cas.find((x) => x.id === before)).toMatchObject({ state: 'retired' });
    // Still a valid certificate of its (retired) CA: no revocation tried, by either CA.
    expect(c.ca.validCertificatesOf('uv-t1').map((x) => x.serial)).toContain(listed.serial);
    expect(c.audit.query({ action: 'ca.revoke', offset: 0, limit: 100 }).records).toHaveLength(revocationsBefore);
  });
});
