// Key assignment end to end with the real console, a socat pty pair and the robot simulator: a robot whose site is
// assigned a communication key and which is itself assigned a storage key receives exactly those key versions at
// provisioning (not the store's newest keys); after rotating the site key a field bundle carries the new version;
// an assigned key that is compromised is refused by name (bundle and station), never replaced by another key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeySummary } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { aesCheckValue } from '../../electron/crypto/keyMaterial.ts';
import { writeCaFile } from '../robot-sim/harness.ts';
import { installBundle } from '../robot-sim/installBundle.ts';
import { robotState, robotStoredKeys } from '../robot-sim/scenario.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure, untilEvery } from './support/consoleCalls.ts';
import { createStationConsole, robotBench } from './support/stationRig.ts';

const until = untilEvery(100);

const SITE = 'Customer Site';
const byKeyId = (a: { keyId: string }, b: { keyId: string }) => a.keyId.localeCompare(b.keyId);

describe('key assignment through the provisioning station and field bundles', () => {
  const dir = tempDir('ecps-assign-station-');
  const work = tempDir('ecps-assign-work-');
  let c: FleetConsole;
  let caFile = '';
  let caPem = '';
  let siteComm: KeySummary;
  let robotDisk: KeySummary;
  let fleetComm: KeySummary;
  let fleetDisk: KeySummary;
  let keystore = '';
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const checkValueOf = async (keyId: string, version: number) => (await call('keys:get', { keyId })).versions.find((v) => v.version === version)?.checkValue;
  /** Starts the station on a fresh pty with the simulator for `deviceId` on the other end; resolves when the port ends. */
  const provision = async (deviceId: string) => {
    const { pair, keystore: ks, robot } = await bench.robotOn(deviceId, { keystore: tempDir('ecps-assign-robot-') });
    await call('station:start', { paths: [pair.consolePath] });
    await robot.result;
    const port = await until('port ended', async () => (await call('station:status', {})).ports.find((p) => p.path === pair.consolePath && p.state !== 'active'));
    await call('station:stop', {});
    return { port, keystore: ks };
  };

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 60_000, pollIntervalMs: 200 } });
    await call('session:init', { operator: 'Officer Ada', passphrase: 'fleet passphrase 0123' });
    caPem = (await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Assignment Test CA' })).certificatePem ?? '';
    caFile = writeCaFile(work, caPem);
    siteComm = await call('keys:create', { type: 'communication', label: 'customer site comm' });
    robotDisk = await call('keys:create', { type: 'storage', label: 'uv-300 disk' });
    // Created after the assigned keys: without assignments these are what every robot would receive.
    fleetComm = await call('keys:create', { type: 'communication', label: 'fleet comm' });
    fleetDisk = await call('keys:create', { type: 'storage', label: 'fleet disk' });
    await call('fleet:create', { deviceId: 'uv-300', name: 'Customer robot', model: 'UV-7', site: SITE });
    await call('fleet:create', { deviceId: 'uv-301', name: 'Customer robot 2', model: 'UV-7', site: SITE });
    await call('fleet:assignKey', { scope: 'site', scopeId: SITE, keyType: 'communication', keyId: siteComm.id });
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-300', keyType: 'storage', keyId: robotDisk.id });
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('provisions the robot with exactly its site communication key and its own storage key', async () => {
    const view = await call('fleet:keyAssignments', { deviceId: 'uv-300' });
    expect(view.effective.map((e) => [e.keyType, e.keyId, e.version, e.source])).toEqual([
      ['communication', siteComm.id, 1, 'site'],
      ['storage', robotDisk.id, 1, 'robot'],
    ]);
    const done = await provision('uv-300');
    expect(done.port).toMatchObject({ deviceId: 'uv-300', state: 'done', step: 'done', error: null });
    keystore = done.keystore;
    expect(robotState(keystore)?.provisioned).toBe(true);

    const stored = robotStoredKeys(keystore);
    expect(stored.map((k) => ({ keyId: k.keyId, version: k.version })).sort(byKeyId)).toEqual(
      [{ keyId: siteComm.id, version: 1 }, { keyId: robotDisk.id, version: 1 }].sort(byKeyId),
    );
    for (const k of stored) expect(aesCheckValue(Buffer.from(k.material, 'base64'))).toBe(await checkValueOf(k.keyId, k.version));
    const ids = stored.map((k) => k.keyId);
    expect(ids).not.toContain(fleetComm.id);
    expect(ids).not.toContain(fleetDisk.id);

    const rec = await call('fleet:get', { deviceId: 'uv-300' });
    expect(rec.keys.map((k) => ({ keyId: k.keyId, version: k.version, source: k.source })).sort(byKeyId)).toEqual(
      [
        { keyId: siteComm.id, version: 1, source: 'provisioning' },
        { keyId: robotDisk.id, version: 1, source: 'provisioning' },
      ].sort(byKeyId),
    );
    // Ids only in the audit, never the material the robot received.
    const audit = JSON.stringify(c.audit.query({ offset: 0, limit: 500 }).records);
    for (const k of stored) expect(audit).not.toContain(k.material);
  });

  it('after rotating the site key, the field bundle carries its new version and the robot installs it', async () => {
    const rotated = await call('keys:rotate', { keyId: siteComm.id });
    expect(rotated.currentVersion).toBe(2);
    expect((await call('fleet:keyAssignments', { deviceId: 'uv-300' })).effective[0]).toMatchObject({ keyId: siteComm.id, version: 2, source: 'site' });
    const issued = await c.bundles.build('uv-300');
    expect([...issued.keys].sort(byKeyId)).toEqual([{ keyId: siteComm.id, version: 2 }, { keyId: robotDisk.id, version: 1 }].sort(byKeyId));
    const installed = installBundle({ keystore, deviceId: 'uv-300', caCertPem: caPem, file: issued.content });
    expect(installed.installed).toContainEqual({ keyId: siteComm.id, version: 2 });
    const v2 = robotStoredKeys(keystore).find((k) => k.keyId === siteComm.id && k.version === 2);
    expect(aesCheckValue(Buffer.from(v2!.material, 'base64'))).toBe(await checkValueOf(siteComm.id, 2));
    expect((await call('fleet:get', { deviceId: 'uv-300' })).keys).toContainEqual(expect.objectContaining({ keyId: siteComm.id, version: 2, source: 'distribution' }));
  });

  it('a compromised robot key stops the bundle by name instead of sending another key (audited)', async () => {
    await call('keys:setState', { keyId: robotDisk.id, state: 'compromised', reason: 'disk lost' });
    const err = await failure(c.bundles.build('uv-300'));
    expect(err.code).toBe('key_disabled');
    expect(err.message).toContain(`The storage key "uv-300 disk" (${robotDisk.id}) assigned to robot uv-300 is compromised`);
    expect(c.audit.query({ action: 'bundle.issue', targetId: 'uv-300', offset: 0, limit: 1 }).records[0]).toMatchObject({ outcome: 'failure', details: { code: 'key_disabled' } });
    // The officer reassigns: the next bundle carries the new key.
    const replacement = await call('keys:create', { type: 'storage', label: 'uv-300 disk 2' });
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-300', keyType: 'storage', keyId: replacement.id });
    const issued = await c.bundles.build('uv-300');
    expect(issued.keys).toContainEqual({ keyId: replacement.id, version: 1 });
    expect(issued.keys.map((k) => k.keyId)).not.toContain(fleetDisk.id);
  });

  it('a compromised site key stops provisioning before any certificate is issued, with the reason; the robot stays unprovisioned', async () => {
    await call('keys:setState', { keyId: siteComm.id, state: 'compromised', reason: 'site breach' });
    const { port, keystore: ks } = await provision('uv-301');
    expect(port).toMatchObject({ deviceId: 'uv-301', state: 'failed', step: 'certificate', error: { code: 'keys_unavailable' } });
    expect((await call('certs:list', {})).certificates.filter((c) => c.deviceId === 'uv-301')).toEqual([]);
    expect(port.error?.message).toContain(`communication key "customer site comm" (${siteComm.id}) assigned to site ${SITE} is compromised`);
    expect(robotStoredKeys(ks)).toEqual([]);
    expect(await call('fleet:get', { deviceId: 'uv-301' })).toMatchObject({ status: 'manufactured', keys: [] });
  });
});
