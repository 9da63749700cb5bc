// The provisioning station wired into the real console (createConsole in a temp folder): ca:init on the local
// provider, a robot registered in the fleet registry, station:start on one end of a socat pty pair with the robot
// simulator on the other. The robot ends provisioned with its certificate (openssl verify) and key versions, and the
// simulator holds the console's key material. A forged CSR leaves no provisioned robot and a failure in the audit.
// Also: revocation + CRL (openssl crl), provision_robot_with_kms through the router, and lock stopping the station.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelName, ChannelOutput, EventPayload } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { aesCheckValue } from '../../electron/crypto/keyMaterial.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { provisionRobotWithKms } from '../../electron/station/provisionRobotWithKms.ts';
import { installBundle } from '../robot-sim/installBundle.ts';
import { robotState, robotStoredKeys } from '../robot-sim/scenario.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure, untilEvery } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, robotBench } from './support/stationRig.ts';

const openssl = (cwd: string, args: string[]) => {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
};

const until = untilEvery(100);

describe('station wired into the console', () => {
  const dir = tempDir('ecps-station-console-');
  const work = tempDir('ecps-station-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  let c: FleetConsole;
  let caFile = '';
  let provisionedKeystore = '';
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const { robotOn } = bench;

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 60_000, pollIntervalMs: 200 }, progress });
    await initStationFleet(call, { robots: { 'uv-100': 'Disinfector 100', 'uv-666': 'Forger' } });
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('refuses the station and certificates before a CA exists, then creates the CA in the local provider (audited)', async () => {
    expect(await call('ca:status', {})).toMatchObject({ initialized: false, certificatePem: null });
    expect((await failure(call('certs:list', {}))).code).toBe('not_initialized');
    const status = await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Test Fleet CA' });
    expect(status).toMatchObject({ initialized: true, providerId: 'local-kms', subject: 'CN=Test Fleet CA, O=ECPS-UV Fleet' });
    expect(status.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    caFile = path.join(work, 'fleet-ca.pem');
    writeFileSync(caFile, status.certificatePem ?? '');
    expect(openssl(work, ['x509', '-in', 'fleet-ca.pem', '-noout', '-subject']).out).toMatch(/CN\s*=\s*Test Fleet CA/);
    expect((await failure(call('ca:init', { providerId: 'local', algorithm: 'RSA_2048', commonName: 'Second' }))).code).toBe('already_initialized');
    expect(c.audit.query({ action: 'ca.create', offset: 0, limit: 10 }).records.map((r) => r.outcome).sort()).toEqual(['failure', 'success']);
  });

  it('provisions a registered robot over a pty: registry, certificate (openssl verify), key versions, robot keys = console material', async () => {
    expect((await failure(call('station:start', {}))).code).toBe('invalid_input');
    const { pair, keystore, robot } = await robotOn('uv-100');
    const started = await call('station:start', { paths: [pair.consolePath] });
    expect(started.running).toBe(true);
    const robotResult = await robot.result;
    expect(robotResult.exitCode).toBe(0);
    const port = await until('port done', async () => (await call('station:status', {})).ports.find((p) => p.path === pair.consolePath && p.state !== 'active'));
    expect(port).toMatchObject({ deviceId: 'uv-100', step: 'done', state: 'done', error: null });
    // Every step while it runs (the done step: DONE being sent), then the session's end (docs/station.md, station:progress).
    const steps = ['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done'].map((s) => `${s}:active`);
    expect(progress.filter((p) => p.port === pair.consolePath).map((p) => `${p.step}:${p.state}`)).toEqual([...steps, 'done:done']);
    expect((await call('station:status', {})).provisionedThisShift).toBe(1);

    const robotRec = await call('fleet:get', { deviceId: 'uv-100' });
    expect(robotRec.status).toBe('provisioned');
    expect(robotRec.certificates).toHaveLength(1);
    const cert = robotRec.certificates[0]!;
    writeFileSync(path.join(work, 'uv-100.pem'), cert.pem);
    const verify = openssl(work, ['verify', '-CAfile', 'fleet-ca.pem', 'uv-100.pem']);
    expect(verify.out).toMatch(/uv-100.pem: OK/);
    expect(verify.status).toBe(0);
    // The certificate the robot stored is the one the registry recorded.
    expect(readFileSync(path.join(keystore, 'identity.cert.pem'), 'utf8').trim()).toBe(cert.pem.trim());
    expect(robotState(keystore)?.provisioned).toBe(true);
    provisionedKeystore = keystore;

    const stored = robotStoredKeys(keystore);
    expect(stored).toHaveLength(2);
    const keys = (await call('keys:list', {})).keys;
    for (const k of stored) {
      const key = keys.find((x) => x.id === k.keyId);
      expect(key && ['communication', 'storage'].includes(key.type)).toBe(true);
      const detail = await call('keys:get', { keyId: k.keyId });
      const version = detail.versions.find((v) => v.version === k.version);
      expect(aesCheckValue(Buffer.from(k.material, 'base64'))).toBe(version?.checkValue);
      expect(robotRec.keys).toContainEqual(expect.objectContaining({ keyId: k.keyId, version: k.version, source: 'provisioning' }));
    }
    const audits = c.audit.query({ targetId: 'uv-100', offset: 0, limit: 50 }).records;
    expect(audits).toContainEqual(expect.objectContaining({ action: 'station.provision', outcome: 'success' }));
    expect(audits).toContainEqual(expect.objectContaining({ action: 'robot.provision', outcome: 'success' }));
    expect(audits).toContainEqual(expect.objectContaining({ action: 'ca.issue', outcome: 'success' }));
    // No key material in the audit.
    const all = JSON.stringify(c.audit.query({ offset: 0, limit: 1000 }).records);
    for (const k of stored) expect(all).not.toContain(k.material);
    await call('station:stop', {});
  });


  it('distributes a rotated key as a bundle signed by the fleet CA: installed once, recorded, a replay refused', async () => {
    expect(provisionedKeystore).not.toBe('');
    const comm = (await call('keys:list', { type: 'communication' })).keys[0]!;
    const rotated = await call('keys:rotate', { keyId: comm.id });
    const issued = await c.bundles.build('uv-100');
    expect(issued.sequence).toBe(1);
    const caPem = readFileSync(caFile, 'utf8'); // the CA certificate the robot was given at provisioning
    const installed = installBundle({ keystore: provisionedKeystore, deviceId: 'uv-100', caCertPem: caPem, file: issued.content });
    expect(installed.installed).toContainEqual({ keyId: comm.id, version: rotated.currentVersion });
    const stored = robotStoredKeys(provisionedKeystore).find((k) => k.keyId === comm.id && k.version === rotated.currentVersion);
    const detail = await call('keys:get', { keyId: comm.id });
    expect(aesCheckValue(Buffer.from(stored!.material, 'base64'))).toBe(detail.versions.find((v) => v.version === rotated.currentVersion)?.checkValue);
    const rec = await call('fleet:get', { deviceId: 'uv-100' });
    expect(rec.keys).toContainEqual(expect.objectContaining({ keyId: comm.id, version: rotated.currentVersion, source: 'distribution' }));
    expect(() => installBundle({ keystore: provisionedKeystore, deviceId: 'uv-100', caCertPem: caPem, file: issued.content })).toThrow(
      expect.objectContaining({ code: 'replayed' }) as unknown as Error,
    );
    // The same through the channel the window and the CLI use: the next sequence, installed by the robot.
    const viaChannel = await call('bundles:build', { deviceId: 'uv-100' });
    expect(viaChannel.sequence).toBe(2);
    const again = installBundle({ keystore: provisionedKeystore, deviceId: 'uv-100', caCertPem: caPem, file: Buffer.from(viaChannel.content, 'base64') });
    expect(again.sequence).toBe(2);
    expect((await failure(call('bundles:build', { deviceId: 'uv-666' }))).code).toBe('illegal_transition');
    const audits = JSON.stringify(c.audit.query({ action: 'bundle.issue', offset: 0, limit: 10 }).records);
    expect(audits).toContain('"outcome":"success"');
    expect(audits).not.toContain(stored!.material);
  });
  it('lists, revokes (registry kept in step) and publishes a CRL that openssl crl reads', async () => {
    const certs = (await call('certs:list', {})).certificates;
    expect(certs).toEqual([expect.objectContaining({ deviceId: 'uv-100', status: 'valid' })]);
    expect((await call('certs:list', { expiringWithinDays: 400 })).certificates).toHaveLength(1);
    expect((await call('certs:list', { expiringWithinDays: 30 })).certificates).toHaveLength(0);
    const serial = certs[0]!.serial;
    expect(await call('certs:revoke', { serial, reason: 'keyCompromise' })).toEqual({ revoked: true });
    expect((await call('fleet:get', { deviceId: 'uv-100' })).certificates[0]?.status).toBe('revoked');
    const crl = await call('ca:crl', {});
    expect(crl.crlNumber).toBe(1);
    writeFileSync(path.join(work, 'fleet.crl.pem'), crl.pem);
    const text = openssl(work, ['crl', '-in', 'fleet.crl.pem', '-noout', '-text', '-CAfile', 'fleet-ca.pem']);
    expect(text.status).toBe(0);
    expect(text.out).toMatch(/verify OK/);
    expect(text.out.toUpperCase().replace(/:/g, '')).toContain(serial.toUpperCase());
  });

  it('a forged CSR: the robot is not provisioned, no certificate issued, a failure audited and shown on the port', async () => {
    const { pair, robot } = await robotOn('uv-666', { misbehave: 'forged-csr' });
    await call('station:start', { paths: [pair.consolePath] });
    await robot.result;
    const port = await until('port failed', async () => (await call('station:status', {})).ports.find((p) => p.path === pair.consolePath && p.state !== 'active'));
    expect(port).toMatchObject({ deviceId: 'uv-666', state: 'failed', step: 'csr', error: { code: 'forged_csr' } });
    const status = await call('station:status', {});
    expect(status.failedThisShift).toBe(1);
    const rec = await call('fleet:get', { deviceId: 'uv-666' });
    expect(rec.status).toBe('manufactured');
    expect(rec.certificates).toEqual([]);
    expect(rec.keys).toEqual([]);
    expect((await call('certs:list', {})).certificates.filter((x) => x.deviceId === 'uv-666')).toEqual([]);
    expect(c.audit.query({ action: 'station.provision', targetId: 'uv-666', offset: 0, limit: 5 }).records[0]).toMatchObject({
      outcome: 'failure',
      details: expect.objectContaining({ code: 'forged_csr', step: 'csr' }),
    });
    // Retry on the same port re-runs a session (the cable is gone, so it fails again and is counted).
    pair.unplug();
    await call('station:retry', { path: pair.consolePath });
    await until('retry ended', async () => ((await call('station:status', {})).failedThisShift === 2 ? true : undefined));
    expect((await call('station:stop', {})).running).toBe(false);
  });

  it('a wrong key confirmation: the certificate issued in that session is revoked and the robot stays unprovisioned', async () => {
    await call('fleet:create', { deviceId: 'uv-777', name: 'Bad confirm', model: 'UV-7', site: 'Plant 1' });
    const { pair, robot } = await robotOn('uv-777', { misbehave: 'bad-confirm' });
    await call('station:start', { paths: [pair.consolePath] });
    await robot.result;
    const port = await until('port failed', async () => (await call('station:status', {})).ports.find((p) => p.path === pair.consolePath && p.state !== 'active'));
    expect(port).toMatchObject({ deviceId: 'uv-777', state: 'failed', step: 'confirm', error: { code: 'key_confirmation_failed' } });
    const rec = await call('fleet:get', { deviceId: 'uv-777' });
    expect(rec).toMatchObject({ status: 'manufactured', certificates: [], keys: [] });
    const cert = await until('orphan certificate revoked', async () =>
      (await call('certs:list', {})).certificates.find((x) => x.deviceId === 'uv-777' && x.status === 'revoked'),
    );
    expect(cert.revocationReason).toBe('cessationOfOperation');
    await call('station:stop', {});
  });

  it('provision_robot_with_kms through the router: registers an unknown device, writes the CA certificate and the record', async () => {
    const router = createRouter({ handlers: c.handlers, logger: createMemoryLogger() });
    const routed = async <C extends ChannelName>(channel: C, input: unknown): Promise<ChannelOutput<C>> => {
      const env = await router.route({ channel, input, ctx: { transport: 'cli' }, trustedSender: true });
      if (!env.ok) throw new ConsoleError(env.error.code, env.error.message, env.error.details);
      return env.value as ChannelOutput<C>;
    };
    const { pair, keystore, robot } = await robotOn('uv-200');
    const storage = tempDir('ecps-station-storage-');
    const out = await provisionRobotWithKms({ call: routed, station: c.station, deviceId: 'uv-200', portPath: pair.consolePath, caCertPath: path.join(storage, 'ca.pem'), storagePath: storage });
    expect((await robot.result).exitCode).toBe(0);
    expect(out).toMatchObject({ deviceId: 'uv-200', keyVersions: expect.arrayContaining([expect.objectContaining({ version: 1 })]) });
    expect(readFileSync(path.join(storage, 'ca.pem'), 'utf8')).toBe((await call('ca:status', {})).certificatePem);
    expect(JSON.parse(readFileSync(path.join(storage, 'uv-200.json'), 'utf8'))).toMatchObject({ deviceId: 'uv-200', status: 'provisioned' });
    expect(openssl(storage, ['verify', '-CAfile', 'ca.pem', 'uv-200.cert.pem']).status).toBe(0);
    expect(robotState(keystore)?.provisioned).toBe(true);
    // A second run on the same device is refused (already provisioned) without --allow-reprovision.
    const again = await robotOn('uv-200');
    const err = await failure(provisionRobotWithKms({ call: routed, station: c.station, deviceId: 'uv-200', portPath: again.pair.consolePath }));
    expect(err.details?.stationCode).toBe('already_provisioned');
  });

  it('lock stops the station and resets the shift; the channels then answer locked', async () => {
    const pair = await bench.cable();
    await call('station:start', { paths: [pair.consolePath] });
    await call('session:lock', {});
    expect((await failure(call('station:status', {}))).code).toBe('locked');
    await call('session:unlock', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
    expect(await call('station:status', {})).toEqual({
      running: false, mode: 'provision', reprovisionConfirmed: [], ports: [], provisionedThisShift: 0, failedThisShift: 0, distributedThisShift: 0,
    });
    // The CA re-opens after unlock (openFleetCa checks the provider key against the stored certificate).
    expect((await call('certs:list', {})).certificates.length).toBeGreaterThanOrEqual(2);
    expect(existsSync(caFile)).toBe(true);
  });
});
