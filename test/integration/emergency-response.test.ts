// Emergency response (issue 15, docs/emergency-response.md) through the contract's schemas, on a real console: a
// small fleet built here (robots, sites, tags, key holdings, certificates of a real fleet CA), a robot key held by the
// AWS KMS emulator with a backup in the Vault emulator, a site key, an emergency key. Scopes resolve to the robots a
// table in this file names; the preview's numbers; a playbook that contains a compromised robot (its key disabled at
// both providers, its certificate on a new CRL that openssl reads, the robot quarantined, the site key rotated for the
// other robots of its site, a lockdown order the simulator's checks accept); Vault down during the run and the retry
// that finishes it; a dry run that changes nothing but one audit record; wide scopes refused without break-glass;
// break-glass's CRITICAL alert and the review by a second, different officer.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmergencyRunChanged, EmergencyScope } from '../../shared/emergencyContract.ts';
import { rawClient } from '../emulators/aws-kms/testkit.ts';
import { applyLockdownOrder, operate } from '../robot-sim/lockdown.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';
import { openssl, robotCsr } from './fleetca-kit.ts';
import { rollBackMigrations } from './support/legacyStore.ts';
import { awsConfig, type Emulators, type Harness, initialized, PASS, startEmulators, vaultConfig } from './providers-kit.ts';

let emu: Emulators;
let h: Harness;
const work = tempDir('ecps-emergency-work-');
const ids = { robotKey: '', site1: '', site2: '', emergency: '' };
const serials: Record<string, string> = {};
let emergencyPem = '';

/** The fleet: [device id, site, model, firmware, tags, status]. */
const ROBOTS: Array<[string, string, string, string, string[], 'deployed' | 'manufactured']> = [
  ['uv-001', 'Plant 1', 'UV-7', '2.1.0', ['night'], 'deployed'],
  ['uv-002', 'Plant 1', 'UV-7', '2.1.0', [], 'deployed'],
  ['uv-003', 'Plant 1', 'UV-9', '2.2.0', ['night'], 'deployed'],
  ['uv-004', 'Plant 2', 'UV-7', '2.2.0', [], 'deployed'],
  ['uv-005', 'Plant 2', 'UV-9', '2.1.0', ['night', 'lab'], 'deployed'],
  ['uv-006', 'Plant 2', 'UV-9', '3.0.0', [], 'manufactured'],
];

beforeAll(async () => {
  emu = await startEmulators();
  h = await initialized();
  await h.call('providers:save', { config: awsConfig(emu) });
  await h.call('providers:save', { config: vaultConfig(emu) });
  // uv-001's own storage key on AWS with a Vault backup; one communication key per site (Plant 2's rotated once).
  ids.robotKey = (await h.call('keys:create', { type: 'storage', label: 'uv-001 storage', provider: 'aws-primary', backupProvider: 'vault-backup' })).id;
  ids.site1 = (await h.call('keys:create', { type: 'communication', label: 'Plant 1 comm', algorithm: 'AES_256', provider: 'local' })).id;
  ids.site2 = (await h.call('keys:create', { type: 'communication', label: 'Plant 2 comm', algorithm: 'AES_256', provider: 'local' })).id;
  await h.call('keys:rotate', { keyId: ids.site2 });
  ids.emergency = (await h.call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048', provider: 'local' })).id;
  emergencyPem = (await h.call('keys:publicKey', { keyId: ids.emergency })).pem;
  await h.call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Emergency Test CA' });
  const c = h.console;
  for (const [deviceId, site, model, firmware, tags, status] of ROBOTS) c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site, model, firmware, tags, status });
  const holds: Record<string, Array<{ keyId: string; version: number }>> = {
    'uv-001': [{ keyId: ids.site1, version: 1 }, { keyId: ids.robotKey, version: 1 }],
    'uv-002': [{ keyId: ids.site1, version: 1 }],
    'uv-003': [{ keyId: ids.site1, version: 1 }],
    'uv-004': [{ keyId: ids.site2, version: 1 }],
    'uv-005': [{ keyId: ids.site2, version: 2 }],
  };
  for (const [deviceId, keys] of Object.entries(holds)) c.fleet.recordKeyVersions(deviceId, keys, 'provisioning');
  await h.call('fleet:assignKey', { scope: 'site', scopeId: 'Plant 1', keyType: 'communication', keyId: ids.site1 });
  await h.call('fleet:assignKey', { scope: 'site', scopeId: 'Plant 2', keyType: 'communication', keyId: ids.site2 });
  const ca = await c.ca.require();
  for (const deviceId of ['uv-001', 'uv-002', 'uv-003']) {
    const cert = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', deviceId), { deviceId });
    c.fleet.attachCertificate(deviceId, { serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
    serials[deviceId] = cert.serial;
  }
}, 120_000);

afterAll(async () => {
  h?.console.close();
  await emu?.close();
  removeTempDirs();
});

const robotsOf = async (scope: EmergencyScope) => (await h.call('emergency:preview', { scope, sample: 500 })).robots;

describe('scopes', () => {
  it('each scope names the robots this table says', async () => {
    const table: Array<[string, () => EmergencyScope, string[]]> = [
      ['one robot', () => ({ kind: 'robot', deviceId: 'uv-001' }), ['uv-001']],
      ['a list', () => ({ kind: 'robots', deviceIds: ['uv-005', 'uv-002', 'uv-005'] }), ['uv-002', 'uv-005']],
      ['a site', () => ({ kind: 'site', site: 'Plant 1' }), ['uv-001', 'uv-002', 'uv-003']],
      ['a model', () => ({ kind: 'model', model: 'UV-9' }), ['uv-003', 'uv-005', 'uv-006']],
      ['a firmware version', () => ({ kind: 'firmware', firmware: '2.1.0' }), ['uv-001', 'uv-002', 'uv-005']],
      ['a tag', () => ({ kind: 'tag', tag: 'night' }), ['uv-001', 'uv-003', 'uv-005']],
      ['a tag held by one robot', () => ({ kind: 'tag', tag: 'lab' }), ['uv-005']],
      // The whole key: its holders and the robots of the site it is assigned to (uv-006 receives it next).
      ['a key', () => ({ kind: 'key', keyId: ids.site2 }), ['uv-004', 'uv-005', 'uv-006']],
      ['a key version', () => ({ kind: 'key', keyId: ids.site2, version: 2 }), ['uv-005']],
      ['a certificate serial', () => ({ kind: 'serial', serial: serials['uv-003']!.toUpperCase() }), ['uv-003']],
      ['the fleet', () => ({ kind: 'fleet' }), ['uv-001', 'uv-002', 'uv-003', 'uv-004', 'uv-005', 'uv-006']],
    ];
    for (const [what, scope, expected] of table) {
      const r = await robotsOf(scope());
      expect({ what, total: r.total, robots: r.sample.map((x) => x.deviceId) }).toEqual({ what, total: expected.length, robots: expected });
    }
    // A tag follows a robot's update (robot_tags is kept in step).
    h.console.fleet.update('uv-002', { tags: ['night'] });
    expect((await robotsOf({ kind: 'tag', tag: 'night' })).sample.map((x) => x.deviceId)).toEqual(['uv-001', 'uv-002', 'uv-003', 'uv-005']);
    h.console.fleet.update('uv-002', { tags: [] });
    expect((await robotsOf({ kind: 'tag', tag: 'night' })).total).toBe(3);
  });

  it('migration 17 indexes the tags of robots registered before it', async () => {
    const dir = tempDir('ecps-emergency-migration-');
    let c = await openUnlocked(dir);
    c.fleet.create({ deviceId: 'uv-201', name: 'a', site: 'Plant 9', model: 'UV-7', firmware: '1.0', tags: ['night', 'lab'], status: 'deployed' });
    c.fleet.create({ deviceId: 'uv-202', name: 'b', site: 'Plant 9', model: 'UV-7', firmware: '1.0', tags: ['lab'], status: 'deployed' });
    c.close();
    // The store as migration 16 left it.
    withRawDb(dir, (db) => rollBackMigrations(db, 17));
    c = await open(dir);
    try {
      await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      const tagged = (tag: string) => c.emergency.preview({ kind: 'tag', tag }).robots.sample.map((r) => r.deviceId);
      expect([tagged('lab'), tagged('night'), tagged('day')]).toEqual([['uv-201', 'uv-202'], ['uv-201'], []]);
    } finally {
      c.close();
    }
  });

  it('a scope naming what does not exist is not_found, not "nothing to do"', async () => {
    expect((await h.fail(h.call('emergency:preview', { scope: { kind: 'robot', deviceId: 'uv-999' } }))).code).toBe('not_found');
    expect((await h.fail(h.call('emergency:preview', { scope: { kind: 'robots', deviceIds: ['uv-001', 'uv-998'] } }))).code).toBe('not_found');
    expect((await h.fail(h.call('emergency:preview', { scope: { kind: 'key', keyId: crypto.randomUUID() } }))).code).toBe('not_found');
    expect((await h.fail(h.call('emergency:preview', { scope: { kind: 'serial', serial: '0badc0de' } }))).code).toBe('not_found');
  });
});

describe('the blast-radius preview', () => {
  it("one robot: its certificate, its own key to compromise at AWS and Vault, its site's key to rotate for the two others", async () => {
    const p = await h.call('emergency:preview', { scope: { kind: 'robot', deviceId: 'uv-001' } });
    expect(p.approval).toBe('one_officer');
    expect(p.robots).toMatchObject({ total: 1, byStatus: [{ status: 'deployed', count: 1 }] });
    expect(p.certificates.total).toBe(1);
    expect(p.certificates.sample[0]?.serial.toLowerCase()).toBe(serials['uv-001']!.toLowerCase());
    const plan = Object.fromEntries(p.keys.map((k) => [k.keyId, { plan: k.plan, inScope: k.robotsInScope, outside: k.robotsOutside, providers: k.providers }]));
    expect(plan).toEqual({
      [ids.robotKey]: { plan: 'compromise', inScope: 1, outside: 0, providers: ['aws-primary', 'vault-backup'] },
      [ids.site1]: { plan: 'rotate', inScope: 1, outside: 2, providers: ['local'] },
    });
    expect(p.outside).toMatchObject({ sharedKeys: 1, holdingsOutside: 2 });
    // No station is running: every robot learns of it later.
    expect(p.reach).toMatchObject({ now: [], later: 1 });
    expect(p.providers.map((x) => [x.providerId, x.purposes, x.configured])).toEqual([
      ['aws-primary', ['disable key (compromise)'], true],
      ['local', ['rotate shared key', 'sign the lockdown order'], true],
      // The fleet CA created "in local" keeps its key with the console's local KMS.
      ['local-kms', ['sign the CRL'], true],
      ['vault-backup', ['disable key (compromise)'], true],
    ]);
  });

  it('a site: wide (two-person); its shared key held by nobody outside it is compromised, not rotated', async () => {
    const p = await h.call('emergency:preview', { scope: { kind: 'site', site: 'Plant 2' }, sample: 1 });
    expect(p.approval).toBe('two_person');
    expect(p.robots.total).toBe(3);
    expect(p.robots.sample.map((r) => r.deviceId)).toEqual(['uv-004']);
    expect(p.robots.byStatus).toEqual([{ status: 'deployed', count: 2 }, { status: 'manufactured', count: 1 }]);
    expect(p.keys.map((k) => [k.keyId, k.plan, k.versions])).toEqual([[ids.site2, 'compromise', [{ version: 1, robotsInScope: 1 }, { version: 2, robotsInScope: 1 }]]]);
    expect(p.certificates.total).toBe(0);
  });
});

/** Every table but the audit's and what watches it (alerts, metric buckets) and the sign-in bookkeeping (operators, throttle). */
const storeState = (dir: string) =>
  withRawDb(dir, (db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'audit_%' AND name NOT IN ('operators', 'unlock_throttle', 'alerts', 'metric_buckets') ORDER BY name").pluck().all() as string[];
    return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
  });
const newestSeq = (c: FleetConsole = h.console) => c.audit.query({ offset: 0, limit: 1 }).records[0]!.seq;

describe('playbooks', () => {
  it('a dry run changes nothing in the store and adds one audit record', async () => {
    // Its own store, so the file can be read while no console holds it.
    const dir = tempDir('ecps-emergency-dry-');
    let c = await openUnlocked(dir);
    const key = await c.handlers['keys:create']({ type: 'communication', label: 'site', algorithm: 'AES_256' }, CTX);
    await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
    for (const deviceId of ['uv-101', 'uv-102']) {
      c.fleet.create({ deviceId, name: deviceId, site: 'Plant 9', model: 'UV-7', firmware: '1.0', tags: [], status: 'deployed' });
      c.fleet.recordKeyVersions(deviceId, [{ keyId: key.id, version: 1 }], 'provisioning');
    }
    await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Dry CA' }, CTX);
    const cert = await (await c.ca.require()).issueDeviceCertificate(robotCsr(work, '/CN=uv-101', 'ec', 'uv-101'), { deviceId: 'uv-101' });
    c.fleet.attachCertificate('uv-101', { serial: cert.serial, notAfter: cert.notAfter, pem: cert.pem });
    c.close();
    const before = storeState(dir);
    c = await open(dir);
    try {
      await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
      const seq = newestSeq(c);
      const out = await c.handlers['emergency:execute']({
        scope: { kind: 'robot', deviceId: 'uv-101' }, actions: ['compromise_keys', 'revoke_certificates', 'quarantine', 'rotate_shared', 'lockdown'], reason: 'drill', dryRun: true,
      }, CTX);
      expect(out).toMatchObject({ dryRun: true, run: null, lockdownFile: null });
      expect(out.preview).toMatchObject({ robots: { total: 1 }, certificates: { total: 1 }, outside: { sharedKeys: 1, holdingsOutside: 1 } });
      expect(newestSeq(c)).toBe(seq + 1);
      expect(c.audit.query({ offset: 0, limit: 1 }).records[0]).toMatchObject({ action: 'emergency.execute', outcome: 'success', details: { dryRun: true, robots: 1, certificates: 1, keysToRotate: 1 } });
    } finally {
      c.close();
    }
    expect(storeState(dir)).toBe(before);
  });

  it('contains a compromised robot: key disabled at AWS and Vault (Vault down first, then retried), certificate on a new CRL, quarantine, site key rotated, lockdown order', async () => {
    await emu.vault.faults.down();
    const eventsBefore = h.events.length;
    const out = await h.call('emergency:execute', {
      scope: { kind: 'robot', deviceId: 'uv-001' },
      // Given out of order: the playbook runs them in its own order.
      actions: ['lockdown', 'quarantine', 'rotate_shared', 'revoke_certificates', 'compromise_keys'],
      reason: 'uv-001 stolen from the loading bay', certificateReason: 'keyCompromise',
      lockdown: { actions: ['stop_operating', 'refuse_revoked_peers'], message: 'Stolen robot: stop', validForSeconds: 3600 },
    });
    const run = out.run!;
    expect(run.steps.map((s) => [s.action, s.state])).toEqual([
      ['compromise_keys', 'failed'], ['revoke_certificates', 'done'], ['quarantine', 'done'], ['rotate_shared', 'done'], ['lockdown', 'done'],
    ]);
    expect(run).toMatchObject({ state: 'failed', review: 'not_needed', robots: 1, actor: 'Officer Ada', origin: 'playbook' });
    expect(run.steps[0]).toMatchObject({ errorCode: 'incomplete' });
    expect(await awsState(ids.robotKey)).toBe('Disabled');
    expect((await h.call('keys:get', { keyId: ids.robotKey })).state).toBe('compromised');

    // The certificate is on the CRL that was published at once, with the RFC 5280 reason.
    const crlPem = run.steps[1]!.detail.crlPem as string;
    const crlFile = path.join(work, 'emergency.crl.pem');
    writeFileSync(crlFile, crlPem);
    const text = openssl(work, ['crl', '-in', crlFile, '-noout', '-text']);
    expect(text.status).toBe(0);
    expect(text.out.replace(/\s+/g, ' ')).toMatch(new RegExp(`Serial Number: ${serials['uv-001']!.toUpperCase()} Revocation Date: [^:]+:[^:]+:[^:]+ CRL entry extensions: X509v3 CRL Reason Code: Key Compromise`));
    expect(text.out).not.toContain(serials['uv-002']!.toUpperCase());

    expect((await h.call('fleet:get', { deviceId: 'uv-001' })).status).toBe('quarantined');
    expect((await h.call('fleet:get', { deviceId: 'uv-002' })).status).toBe('deployed');
    // The other robots of the site get the new site key version with their next bundle; uv-001 is cut off.
    expect((await h.call('keys:get', { keyId: ids.site1 })).currentVersion).toBe(2);
    for (const deviceId of ['uv-002', 'uv-003']) {
      const eff = (await h.call('fleet:keyAssignments', { deviceId })).effective.find((e) => e.keyType === 'communication');
      expect(eff).toMatchObject({ keyId: ids.site1, version: 2 });
    }

    // The lockdown order: the robot in scope accepts it and stops; another robot of the site is out of scope.
    const file = Buffer.from(out.lockdownFile!.content, 'base64');
    const now = new Date();
    const at = (name: string) => tempDir(`ecps-emergency-${name}-`);
    const ks1 = at('uv-001');
    const facts = (deviceId: string) => ({ deviceId, site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] });
    expect(applyLockdownOrder({ keystore: ks1, facts: facts('uv-001'), emergencyKeyPem: emergencyPem, file, now }).state.locked).toMatchObject({ actions: ['stop_operating', 'refuse_revoked_peers'] });
    expect(operate(ks1, now)).toEqual({ ok: false, code: 'locked_down', message: 'Stolen robot: stop' });
    expect(() => applyLockdownOrder({ keystore: at('uv-002'), facts: facts('uv-002'), emergencyKeyPem: emergencyPem, file, now })).toThrow(expect.objectContaining({ code: 'out_of_scope' }));

    // Vault answers again: the retry finishes only what failed (the Vault backup), nothing else runs twice.
    await emu.vault.faults.up();
    expect((await h.call('providers:test', { id: 'vault-backup' })).ok).toBe(true);
    const rotateRecords = h.auditOf('key.rotate').length;
    const retried = (await h.call('emergency:retry', { runId: run.runId })).run!;
    expect(retried.steps.map((s) => [s.action, s.state, s.attempts])).toEqual([
      ['compromise_keys', 'done', 2], ['revoke_certificates', 'done', 1], ['quarantine', 'done', 1], ['rotate_shared', 'done', 1], ['lockdown', 'done', 1],
    ]);
    expect(retried.state).toBe('done');
    expect(h.auditOf('key.rotate')).toHaveLength(rotateRecords);
    expect((await h.fail(h.call('emergency:retry', { runId: run.runId }))).code).toBe('illegal_transition');
    // Pushed to the window (emergency:runChanged) after each committed change, in order: [change, action, step state,
    // attempt, run state]. Compromise and rotation save after each key (one key each here: a 'running' with progress).
    const pushed = h.events.slice(eventsBefore).filter((e) => e.event === 'emergency:runChanged').map((e) => e.payload as EmergencyRunChanged);
    expect(pushed.every((e) => e.runId === run.runId && e.review === 'not_needed')).toBe(true);
    expect(pushed.map((e) => [e.change, e.step?.action ?? null, e.step?.state ?? null, e.step?.attempts ?? null, e.state])).toEqual([
      ['started', 'compromise_keys', 'running', 1, 'running'],
      ['step', 'compromise_keys', 'running', 1, 'running'],
      ['step', 'compromise_keys', 'failed', 1, 'running'],
      ['step', 'revoke_certificates', 'running', 1, 'running'],
      // One batch each (one certificate, one robot): one progress event each.
      ['progress', 'revoke_certificates', 'running', 1, 'running'],
      ['step', 'revoke_certificates', 'done', 1, 'running'],
      ['step', 'quarantine', 'running', 1, 'running'],
      ['progress', 'quarantine', 'running', 1, 'running'],
      ['step', 'quarantine', 'done', 1, 'running'],
      ['step', 'rotate_shared', 'running', 1, 'running'],
      ['step', 'rotate_shared', 'running', 1, 'running'],
      ['step', 'rotate_shared', 'done', 1, 'running'],
      ['step', 'lockdown', 'running', 1, 'running'],
      ['step', 'lockdown', 'done', 1, 'failed'],
      // The retry makes the run running until it ends.
      ['retried', null, null, null, 'running'],
      ['step', 'compromise_keys', 'running', 2, 'running'],
      ['step', 'compromise_keys', 'running', 2, 'running'],
      ['step', 'compromise_keys', 'done', 2, 'done'],
    ]);
    // The progress counts the action's items: the compromised key failed at the first attempt (saved), done at the retry.
    expect(pushed.filter((e) => e.step?.action === 'compromise_keys').map((e) => e.step!.items)).toEqual([
      { total: 1, done: 0, failed: 0, skipped: 0, pending: 1 }, { total: 1, done: 0, failed: 1, skipped: 0, pending: 0 }, { total: 1, done: 0, failed: 1, skipped: 0, pending: 0 },
      { total: 1, done: 0, failed: 1, skipped: 0, pending: 0 }, { total: 1, done: 1, failed: 0, skipped: 0, pending: 0 }, { total: 1, done: 1, failed: 0, skipped: 0, pending: 0 },
    ]);
    const vaultLocations = h.auditOf('key.location').filter((r) => r.targetId === ids.robotKey && r.details.provider === 'vault-backup').map((r) => r.outcome);
    expect(vaultLocations).toEqual(['success', 'failure']);

    // Every step audited: the run, each action (compromise twice), and the services' own records.
    const steps = h.auditOf('emergency.action').filter((r) => r.targetId === run.runId).reverse().map((r) => [r.details.step, r.outcome, r.details.retry]);
    expect(steps).toEqual([
      ['compromise_keys', 'failure', false], ['revoke_certificates', 'success', false], ['quarantine', 'success', false], ['rotate_shared', 'success', false], ['lockdown', 'success', false],
      ['compromise_keys', 'success', true],
    ]);
    expect(h.auditOf('emergency.execute').find((r) => r.targetId === run.runId)).toMatchObject({ outcome: 'success', details: { dryRun: false, robots: 1 } });
    expect(h.auditOf('ca.crl.publish')[0]?.details).toMatchObject({ trigger: 'emergency', runId: run.runId });
    expect(h.auditOf('lockdown.order')[0]?.details).toMatchObject({ kind: 'lockdown', scope: '{"deviceIds":["uv-001"]}' });
    expect((await h.call('emergency:run', { runId: run.runId })).state).toBe('done');
    // The list counts each action's items; emergency:run has every item.
    const listed = (await h.call('emergency:runs', {})).runs.find((r) => r.runId === run.runId)!;
    expect(listed.steps.map((s) => s.detail)).toEqual([
      { total: 1, done: 1, failed: 0, skipped: 0, pending: 0 }, { total: 1, done: 1, failed: 0, skipped: 0, pending: 0 }, { total: 1, done: 1, failed: 0, skipped: 0, pending: 0 },
      { total: 1, done: 1, failed: 0, skipped: 0, pending: 0 }, { total: 1, done: 1, failed: 0, skipped: 0, pending: 0 },
    ]);
  }, 60_000);

  it('a wide scope without break-glass is refused (two-person approval); nothing runs', async () => {
    const seq = newestSeq();
    const refused = await h.fail(h.call('emergency:execute', { scope: { kind: 'site', site: 'Plant 2' }, actions: ['quarantine'], reason: 'site breach' }));
    expect(refused.code).toBe('approval_required');
    expect(refused.message).toMatch(/two-person approval/);
    expect((await h.call('fleet:get', { deviceId: 'uv-004' })).status).toBe('deployed');
    expect(h.auditOf('emergency.execute')[0]).toMatchObject({ outcome: 'failure', details: { code: 'approval_required' } });
    expect(newestSeq()).toBe(seq + 1);
  });

  it('break-glass takes effect at once, raises a CRITICAL alert, and only a different security officer may review it', async () => {
    await h.call('operators:add', { name: 'Bob', role: 'security_officer', passphrase: `${PASS} bob` });
    const out = await h.call('emergency:execute', {
      scope: { kind: 'site', site: 'Plant 2' }, actions: ['quarantine'], reason: 'site breach', breakGlass: { reason: 'second officer unreachable, robots moving' },
    });
    const run = out.run!;
    expect(run).toMatchObject({ state: 'done', review: 'needs_review', breakGlassReason: 'second officer unreachable, robots moving' });
    expect(run.steps[0]!.detail.items).toEqual({ 'uv-004': { state: 'done' }, 'uv-005': { state: 'done' }, 'uv-006': { state: 'skipped', message: 'robot is manufactured' } });
    expect((await h.call('fleet:get', { deviceId: 'uv-005' })).status).toBe('quarantined');
    const alerts = (await h.call('alerts:list', {})).alerts.filter((a) => a.kind === 'emergency_break_glass');
    expect(alerts.map((a) => [a.severity, a.subject])).toEqual([['CRITICAL', run.runId]]);
    expect((await h.call('emergency:runs', { needsReview: true })).runs.map((r) => r.runId)).toEqual([run.runId]);

    const self = await h.fail(h.call('emergency:review', { runId: run.runId, note: 'I checked my own work' }));
    expect(self.code).toBe('forbidden');
    await h.call('session:lock', {});
    await h.call('session:unlock', { operator: 'Bob', passphrase: `${PASS} bob` });
    const reviewed = await h.call('emergency:review', { runId: run.runId, note: 'confirmed with the site manager' });
    expect(h.events.filter((e) => e.event === 'emergency:runChanged').at(-1)?.payload).toEqual({ runId: run.runId, change: 'reviewed', state: 'done', review: 'reviewed', step: null });
    expect(reviewed).toMatchObject({ review: 'reviewed', reviewedBy: 'Bob', reviewNote: 'confirmed with the site manager' });
    expect((await h.fail(h.call('emergency:review', { runId: run.runId, note: 'again' }))).code).toBe('illegal_transition');
    expect(h.auditOf('emergency.review').map((r) => r.outcome)).toEqual(['failure', 'success', 'failure']);
    expect((await h.call('emergency:runs', { needsReview: true })).runs).toEqual([]);
  });

  it('with a second officer, a wide run becomes an approval request; approved, it runs as asked, with no break-glass review', async () => {
    // Bob (security officer) is signed in; Officer Ada (admin) is the other eligible approver (docs/two-person-control.md).
    const input = { scope: { kind: 'site' as const, site: 'Plant 2' }, actions: ['quarantine' as const], reason: 'second look at the site' };
    const asked = await h.fail(h.call('emergency:execute', input));
    expect(asked.code).toBe('approval_required');
    const requestId = asked.details?.requestId as string;
    expect(typeof requestId).toBe('string');
    expect((await h.fail(h.call('approvals:approve', { requestId }))).code).toBe('illegal_transition'); // his own
    await h.call('session:lock', {});
    await h.call('session:unlock', { operator: 'Officer Ada', passphrase: PASS });
    await h.call('approvals:approve', { requestId });
    await h.call('session:lock', {});
    await h.call('session:unlock', { operator: 'Bob', passphrase: `${PASS} bob` });
    const done = await h.call('approvals:execute', { requestId });
    const run = (done.result as { run: { runId: string; state: string; review: string; breakGlassReason: string | null } }).run;
    expect([run.state, run.review, run.breakGlassReason]).toEqual(['done', 'not_needed', null]);
    expect(h.auditOf('emergency.execute').find((r) => r.targetId === run.runId)).toMatchObject({ outcome: 'success', details: { approvalRequestId: requestId } });
    expect((await h.call('emergency:runs', { needsReview: true })).runs).toEqual([]);
  });
});

async function awsState(keyId: string): Promise<string> {
  const out = await rawClient(emu.aws).send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${keyId}` }));
  return out.KeyMetadata!.KeyState!;
}
