// Key bundles over the serial link and per-robot re-provisioning, in the real console (createConsole in a temp
// folder, the fleet CA on the local provider): a robot provisioned over a socat pty by the simulator (child process),
// then the station in distribute mode sends it its next bundle, which the simulator verifies, installs and confirms
// (INSTALLED MAC). Also: bundle sequences carried over from the audit by migration 6, robots that refuse a bundle
// (replayed, foreign CA), a wrong INSTALLED MAC, a robot unplugged mid-distribution and other link faults, unknown
// and unprovisioned robots, last seen, and an officer confirming one robot's re-provisioning (old certificate revoked).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { aesCheckValue } from '../../electron/crypto/keyMaterial.ts';
import { MIGRATIONS } from '../../electron/store/migrations.ts';
import { writeCaFile } from '../robot-sim/harness.ts';
import { lastSequence } from '../robot-sim/installBundle.ts';
import { robotStoredKeys } from '../robot-sim/scenario.ts';
import { createTestCa } from '../robot-sim/testCa.ts';
import { removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';
import { contractCaller, failure, until } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, OPERATOR, PASS, robotBench } from './support/stationRig.ts';

describe('station: key bundles over the serial link and re-provisioning', () => {
  const dir = tempDir('ecps-distribute-console-');
  const work = tempDir('ecps-distribute-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  const ids = { comm: '', storage: '' };
  let c: FleetConsole;
  let caFile = '';
  let keystore = ''; // uv-d1's key store (the simulator's flash)

  const open = async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 5000, pollIntervalMs: 200 }, progress });
  };
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const audits = (action: string, targetId?: string) => c.audit.query({ action, ...(targetId ? { targetId } : {}), offset: 0, limit: 100 }).records;
  const registryKeys = async (deviceId: string) =>
    (await call('fleet:get', { deviceId })).keys.map((k) => `${k.keyId}@${k.version}:${k.source}`).sort();

  /**
   * One session on a fresh pty pair: the simulator boots and waits; `start` points the station at the console end;
   * once the console's session is on the port (its hello step), the robot is powered on. Returns when both ended.
   */
  const session = async (
    o: { deviceId: string; keystore: string; misbehave?: string; caCertFile?: string; unplugOnExit?: boolean },
    start: (consolePath: string) => Promise<unknown>,
  ) => {
    const { pair, robot } = await bench.robotOn(o.deviceId, { keystore: o.keystore, caCertFile: o.caCertFile, misbehave: o.misbehave, waitSignal: true });
    await robot.ready;
    const seen = progress.length;
    await start(pair.consolePath);
    await until('the console session on the port', () => (progress.slice(seen).some((p) => p.port === pair.consolePath && p.step === 'hello') ? true : undefined));
    robot.powerOn();
    const result = await robot.result;
    if (o.unplugOnExit) pair.unplug();
    const port = await until('the port to settle', async () => (await call('station:status', {})).ports.find((p) => p.path === pair.consolePath && p.state !== 'active'));
    return { pair, robot: result, port, events: progress.slice(seen).filter((p) => p.port === pair.consolePath) };
  };
  const distribute = async (o: Parameters<typeof session>[0]) => {
    const out = await session(o, (p) => call('station:start', { paths: [p], mode: 'distribute' }));
    await call('station:stop', {});
    return out;
  };

  beforeAll(async () => {
    await open();
    const fleet = await initStationFleet(call, {
      ca: { commonName: 'Distribution Test CA', work },
      robots: { 'uv-d1': 'Distribution target', 'uv-new': 'Never provisioned' },
    });
    Object.assign(ids, fleet.ids);
    caFile = fleet.caFile;
    keystore = tempDir('ecps-robot-ks-');
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('provisions uv-d1 over a pty (provision mode) and records its HELLO as last seen', async () => {
    expect((await call('fleet:get', { deviceId: 'uv-d1' })).lastSeen).toBeNull();
    const out = await session({ deviceId: 'uv-d1', keystore }, (p) => call('station:start', { paths: [p] }));
    expect(out.robot.exitCode).toBe(0);
    expect(out.port).toMatchObject({ mode: 'provision', deviceId: 'uv-d1', state: 'done' });
    expect(out.events.every((e) => e.mode === 'provision')).toBe(true);
    const rec = await call('fleet:get', { deviceId: 'uv-d1' });
    expect(rec.status).toBe('provisioned');
    expect(rec.lastSeen).not.toBeNull();
    await call('station:stop', {});
  });

  it('migration 6 carries bundle sequences over from the bundle.issue audit records of an older store', async () => {
    // What a console before the key_bundles table wrote: success records hold the sequence, failures and unknown robots do not count.
    c.audit.append({ actor: OPERATOR, action: 'bundle.issue', targetType: 'robot', targetId: 'uv-d1', outcome: 'success', details: { sequence: 4, keys: `${ids.comm}@1,${ids.storage}@1` } });
    c.audit.append({ actor: OPERATOR, action: 'bundle.issue', targetType: 'robot', targetId: 'uv-d1', outcome: 'failure', details: { code: 'internal', sequence: 9 } });
    c.audit.append({ actor: OPERATOR, action: 'bundle.issue', targetType: 'robot', targetId: 'uv-gone', outcome: 'success', details: { sequence: 2, keys: '' } });
    c.close();
    const v6 = MIGRATIONS.find((m) => m.version === 6);
    expect(v6).toBeDefined();
    withRawDb(dir, (db) => db.transaction(() => {
      db.exec('DROP TABLE key_bundles');
      v6?.up(db);
    })());
    await open();
    await call('session:unlock', { operator: OPERATOR, passphrase: PASS });
    expect((await call('bundles:list', { deviceId: 'uv-d1' })).bundles).toEqual([
      { sequence: 4, bundleId: null, issuedAt: expect.any(String), delivery: 'file', state: 'issued', keys: [{ keyId: ids.comm, version: 1 }, { keyId: ids.storage, version: 1 }], errorCode: null },
    ]);
    expect((await failure(call('bundles:list', { deviceId: 'uv-gone' }))).code).toBe('not_found');
    expect((await call('audit:verify', {})).ok).toBe(true);
  });

  it('distributes the next bundle over the link: installed by the robot with the console material, recorded, audited', async () => {
    const rotated = await call('keys:rotate', { keyId: ids.comm });
    expect(rotated.currentVersion).toBe(2);
    await c.fleet.touch('uv-d1', '2020-01-01T00:00:00.000Z');
    const out = await distribute({ deviceId: 'uv-d1', keystore });
    expect(out.robot.exitCode).toBe(0);
    expect(out.robot.json).toMatchObject({ ok: true, mode: 'distribute', sequence: 5 });
    expect(out.port).toMatchObject({ mode: 'distribute', deviceId: 'uv-d1', step: 'done', state: 'done', error: null });
    // Every step while it runs (the done step: DONE being sent), then the session's end (docs/station.md, station:progress).
    expect(out.events.map((e) => `${e.step}:${e.state}`)).toEqual([...['hello', 'bundle', 'install', 'commit', 'done'].map((s) => `${s}:active`), 'done:done']);
    expect(out.events.every((e) => e.mode === 'distribute')).toBe(true);
    expect(lastSequence(keystore)).toBe(5); // after the carried-over sequence 4

    // The robot holds the console's material of the new version (key check value of the stored version).
    const detail = await call('keys:get', { keyId: ids.comm });
    const stored = robotStoredKeys(keystore).find((k) => k.keyId === ids.comm && k.version === 2);
    expect(stored).toBeDefined();
    expect(aesCheckValue(Buffer.from(stored!.material, 'base64'))).toBe(detail.versions.find((v) => v.version === 2)?.checkValue);

    const rec = await call('fleet:get', { deviceId: 'uv-d1' });
    expect(rec.keys).toContainEqual(expect.objectContaining({ keyId: ids.comm, version: 2, source: 'distribution' }));
    expect(rec.lastSeen! > '2020-01-01T00:00:00.000Z').toBe(true);
    const [row] = (await call('bundles:list', { deviceId: 'uv-d1' })).bundles;
    expect(row).toMatchObject({ sequence: 5, delivery: 'serial', state: 'installed', errorCode: null, bundleId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(row?.keys).toContainEqual({ keyId: ids.comm, version: 2 });
    expect(audits('bundle.install', 'uv-d1')[0]).toMatchObject({
      outcome: 'success',
      details: expect.objectContaining({ sequence: 5, port: out.pair.consolePath, keys: expect.stringContaining(`${ids.comm}@2`) }),
    });
    const status = await call('station:status', {});
    expect(status).toMatchObject({ running: false, mode: 'distribute', distributedThisShift: 1 });
    // No key material in the audit.
    const all = JSON.stringify(c.audit.query({ offset: 0, limit: 1000 }).records);
    for (const k of robotStoredKeys(keystore)) expect(all).not.toContain(k.material);
  });

  it('a robot that refuses the bundle (already at a higher sequence; another CA): row failed, nothing recorded, code shown', async () => {
    await call('keys:rotate', { keyId: ids.storage }); // a new version that must not appear in the registry
    const before = await registryKeys('uv-d1');
    const ahead = tempDir('ecps-robot-ks-');
    cpSync(keystore, ahead, { recursive: true });
    writeFileSync(path.join(ahead, 'bundle-state.json'), JSON.stringify({ lastSequence: 1000, bundleId: '00'.repeat(16) }));
    const replayed = await distribute({ deviceId: 'uv-d1', keystore: ahead });
    expect(replayed.robot.json).toMatchObject({ ok: false, code: 'bundle_replayed' });
    expect(replayed.port).toMatchObject({ mode: 'distribute', state: 'failed', step: 'install', error: { code: 'robot_error', message: expect.stringContaining('bundle_replayed'), robotCode: 'bundle_replayed' } });

    const other = await createTestCa();
    const foreign = tempDir('ecps-robot-ks-');
    cpSync(keystore, foreign, { recursive: true });
    const refused = await distribute({ deviceId: 'uv-d1', keystore: foreign, caCertFile: writeCaFile(tempDir('ecps-other-ca-'), other.caCertPem) });
    expect(refused.robot.json).toMatchObject({ ok: false, code: 'bundle_foreign' });
    expect(refused.port?.error?.message).toContain('bundle_foreign');

    const rows = (await call('bundles:list', { deviceId: 'uv-d1' })).bundles;
    expect(rows.slice(0, 2)).toEqual([
      expect.objectContaining({ sequence: 7, delivery: 'serial', state: 'failed', errorCode: 'robot_error:bundle_foreign' }),
      expect.objectContaining({ sequence: 6, delivery: 'serial', state: 'failed', errorCode: 'robot_error:bundle_replayed' }),
    ]);
    expect(await registryKeys('uv-d1')).toEqual(before);
    expect(audits('bundle.install', 'uv-d1').slice(0, 2).map((r) => [r.outcome, r.details?.code, r.details?.robotCode, r.details?.sequence])).toEqual([
      ['failure', 'robot_error', 'bundle_foreign', 7],
      ['failure', 'robot_error', 'bundle_replayed', 6],
    ]);
    expect(lastSequence(ahead)).toBe(1000);
  });

  const faults: Array<{ misbehave: string; code: string; step: string; unplug?: boolean }> = [
    { misbehave: 'bad-install-mac', code: 'key_confirmation_failed', step: 'install' },
    { misbehave: 'drop', code: 'disconnected', step: 'install', unplug: true },
    { misbehave: 'replay', code: 'replayed_message', step: 'install' },
    { misbehave: 'corrupt-frame', code: 'bad_crc', step: 'install' },
    { misbehave: 'stall', code: 'timeout', step: 'install' },
  ];
  for (const f of faults) {
    it(`${f.misbehave} -> ${f.code} at ${f.step}: bundle row failed, registry unchanged, failure audited`, async () => {
      const before = await registryKeys('uv-d1');
      const out = await distribute({ deviceId: 'uv-d1', keystore, misbehave: f.misbehave, unplugOnExit: f.unplug === true });
      expect(out.port).toMatchObject({ mode: 'distribute', deviceId: 'uv-d1', state: 'failed', step: f.step, error: { code: f.code } });
      const [row] = (await call('bundles:list', { deviceId: 'uv-d1' })).bundles;
      expect(row).toMatchObject({ delivery: 'serial', state: 'failed', errorCode: f.code });
      expect(await registryKeys('uv-d1')).toEqual(before);
      expect(audits('bundle.install', 'uv-d1')[0]).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ code: f.code, step: f.step, sequence: row?.sequence }) });
      // The robot heard why (ERROR frame) unless the cable was pulled.
      expect(out.robot.json?.code).toBe(f.unplug ? 'disconnected' : 'robot_error');
    });
  }

  it('refuses unknown and unprovisioned robots in distribute mode (typed codes, audited), yet records their HELLO', async () => {
    const ghost = await distribute({ deviceId: 'uv-ghost', keystore: tempDir('ecps-robot-ks-') });
    expect(ghost.port).toMatchObject({ state: 'failed', step: 'hello', error: { code: 'unknown_robot' } });
    expect(ghost.robot.json?.code).toBe('robot_error');
    expect(audits('bundle.install', 'uv-ghost')[0]).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ code: 'unknown_robot', sequence: null }) });

    expect((await call('fleet:get', { deviceId: 'uv-new' })).lastSeen).toBeNull();
    const fresh = await distribute({ deviceId: 'uv-new', keystore: tempDir('ecps-robot-ks-') });
    expect(fresh.port).toMatchObject({ state: 'failed', step: 'bundle', error: { code: 'not_provisioned' } });
    expect((await call('fleet:get', { deviceId: 'uv-new' })).lastSeen).not.toBeNull();
    expect((await call('bundles:list', { deviceId: 'uv-new' })).bundles).toEqual([]);
    expect(audits('bundle.install', 'uv-new')[0]).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ code: 'not_provisioned', step: 'bundle' }) });
    // last seen is telemetry, not an officer's change: no audit record for it.
    expect(c.audit.query({ targetId: 'uv-new', offset: 0, limit: 20 }).records.map((r) => r.action).sort()).toEqual(['bundle.install', 'robot.create']);
  });

  it('per-robot re-provisioning: refused first, confirmed with the port -> retried, re-provisioned, old certificate superseded', async () => {
    expect((await failure(call('station:confirmReprovision', { deviceId: 'uv-d1' }))).code).toBe('illegal_transition'); // stopped
    const oldCert = (await call('fleet:get', { deviceId: 'uv-d1' })).certificates.find((x) => x.status === 'active');
    expect(oldCert).toBeDefined();
    await c.fleet.touch('uv-d1', '2020-01-01T00:00:00.000Z');

    const refused = await session({ deviceId: 'uv-d1', keystore }, (p) => call('station:start', { paths: [p] }));
    expect(refused.port).toMatchObject({ mode: 'provision', deviceId: 'uv-d1', state: 'failed', step: 'hello', error: { code: 'already_provisioned' } });
    expect((await call('fleet:get', { deviceId: 'uv-d1' })).lastSeen! > '2020-01-01T00:00:00.000Z').toBe(true);

    expect((await failure(call('station:confirmReprovision', { deviceId: 'uv-nobody' }))).code).toBe('not_found');
    expect((await failure(call('station:confirmReprovision', { deviceId: 'uv-new' }))).code).toBe('illegal_transition');
    expect((await failure(call('station:confirmReprovision', { deviceId: 'uv-d1', path: '/dev/pts/99999' }))).code).toBe('illegal_transition');
    expect((await call('station:status', {})).reprovisionConfirmed).toEqual([]);

    // Same cable, the robot powered on again; the confirmation retries the port at once.
    const { robot } = bench.spawn(refused.pair, 'uv-d1', { keystore, waitSignal: true });
    await robot.ready;
    const seen = progress.length;
    const confirmed = await call('station:confirmReprovision', { deviceId: 'uv-d1', path: refused.pair.consolePath });
    expect(confirmed.reprovisionConfirmed).toEqual(['uv-d1']);
    expect(confirmed.ports.find((p) => p.path === refused.pair.consolePath)).toMatchObject({ state: 'active', step: 'hello' });
    await until('the retried session', () => (progress.slice(seen).some((p) => p.port === refused.pair.consolePath && p.step === 'hello') ? true : undefined));
    robot.powerOn();
    expect((await robot.result).exitCode).toBe(0);
    const status = await until('re-provisioned', async () => {
      const s = await call('station:status', {});
      return s.ports.find((p) => p.path === refused.pair.consolePath)?.state === 'done' ? s : undefined;
    });
    expect(status.reprovisionConfirmed).toEqual([]); // one confirmation = one re-provisioning
    expect(status.provisionedThisShift).toBe(1);

    const rec = await call('fleet:get', { deviceId: 'uv-d1' });
    const active = rec.certificates.filter((x) => x.status === 'active');
    expect(active).toHaveLength(1);
    expect(active[0]?.serial).not.toBe(oldCert?.serial);
    expect(rec.certificates.find((x) => x.serial === oldCert?.serial)?.status).toBe('revoked');
    expect(readFileSync(path.join(keystore, 'identity.cert.pem'), 'utf8').trim()).toBe(active[0]?.pem.trim());
    const inCa = (await call('certs:list', {})).certificates.filter((x) => x.deviceId === 'uv-d1');
    expect(inCa.find((x) => x.serial === oldCert?.serial)).toMatchObject({ status: 'revoked', revocationReason: 'superseded' });
    expect(inCa.filter((x) => x.status === 'valid').map((x) => x.serial)).toEqual([active[0]?.serial]);
    // The registry holds exactly the keys of the new delivery (the robot's key store was replaced).
    const delivered = robotStoredKeys(keystore).map((k) => `${k.keyId}@${k.version}:provisioning`).sort();
    expect(await registryKeys('uv-d1')).toEqual(delivered);
    expect(audits('station.reprovision.confirm', 'uv-d1').map((r) => r.outcome)).toEqual(['success', 'failure', 'failure']);

    // A second robot session would need a new confirmation; confirmations end with the run.
    await call('station:confirmReprovision', { deviceId: 'uv-d1' });
    expect((await call('station:stop', {})).reprovisionConfirmed).toEqual([]);
    // Confirming is for provision mode only.
    await call('station:start', { paths: ['/dev/null'], mode: 'distribute' });
    expect((await failure(call('station:confirmReprovision', { deviceId: 'uv-d1' }))).code).toBe('illegal_transition');
    await call('station:stop', {});
  });

  it('a robot whose assigned key was compromised gets no bundle: keys_unavailable at the bundle step, nothing recorded', async () => {
    const own = await call('keys:create', { type: 'communication', label: 'uv-d1 own comm', algorithm: 'AES_256' });
    await call('fleet:assignKey', { scope: 'robot', scopeId: 'uv-d1', keyType: 'communication', keyId: own.id });
    await call('keys:setState', { keyId: own.id, state: 'compromised', reason: 'leaked' });
    const before = await registryKeys('uv-d1');
    const bundlesBefore = (await call('bundles:list', { deviceId: 'uv-d1' })).bundles.length;
    const out = await distribute({ deviceId: 'uv-d1', keystore, unplugOnExit: true });
    expect(out.port).toMatchObject({ state: 'failed', step: 'bundle', error: { code: 'keys_unavailable' } });
    expect(out.port.error?.message).toContain(own.id);
    expect(await registryKeys('uv-d1')).toEqual(before);
    expect((await call('bundles:list', { deviceId: 'uv-d1' })).bundles.length).toBe(bundlesBefore);
    expect(audits('bundle.install', 'uv-d1')[0]).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ code: 'keys_unavailable' }) });
    await call('fleet:clearKeyAssignment', { scope: 'robot', scopeId: 'uv-d1', keyType: 'communication' });
  });

  it('refuses bundles to a quarantined robot (illegal_transition, audited) and lists bundles of unknown robots as not_found', async () => {
    await call('fleet:setStatus', { deviceId: 'uv-d1', status: 'quarantined', reason: 'lost at site' });
    expect((await failure(call('bundles:build', { deviceId: 'uv-d1' }))).code).toBe('illegal_transition');
    expect(audits('bundle.issue', 'uv-d1')[0]).toMatchObject({ outcome: 'failure', details: expect.objectContaining({ code: 'illegal_transition' }) });
    expect((await failure(call('bundles:list', { deviceId: 'uv-nobody' }))).code).toBe('not_found');
  });
});
