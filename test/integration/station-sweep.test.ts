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
import { runRobot, type RobotResult } from '../robot-sim/robotSession.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { MemoryEnd, MemoryPort } from '../unit/station-link-kit.ts';
import { robotCsr } from './fleetca-kit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { createStationConsole, initStationFleet, OPERATOR, PASS } from './support/stationRig.ts';

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
        openPort: async (p) => {
          const cable = cables.get(p);
          if (!cable) throw new Error(`nothing plugged in on ${p}`);
          void cable.powerOn();
          return cable.port;
        },
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
