// createConsole end to end through its handlers, the way the router calls them: inputs parsed with the contract's
// input schemas, outputs checked against the output schemas and searched for key material and passphrases.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, type ChannelName, type ChannelInput } from '../../shared/contract.ts';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { open as gcmOpen } from '../../electron/crypto/aead.ts';
import { deriveKek } from '../../electron/crypto/kdf.ts';
import { createStoreKeyring } from '../../electron/crypto/storeKeyring.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import type { KeyAlgorithm } from '../../shared/domain.ts';
import { CTX, FAST_KDF, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';
import { contractCaller, exportAuditText, failure } from './support/consoleCalls.ts';

const PASS = 'integration passphrase 0123';
const NEW_PASS = 'rotated integration passphrase';

/** Every secret the store holds, recovered independently from the database file with the passphrase. */
async function storeSecrets(dir: string, passphrase: string, operator = 'Officer Ada'): Promise<string[]> {
  const { meta, versions } = withRawDb(dir, (db) => ({
    // The operator's key slot (docs/operators.md) with the store's id and audit key.
    meta: db.prepare('SELECT m.store_id, o.kdf_params, o.kdf_salt, o.wrapped_master, m.audit_private_wrapped FROM store_meta m, operators o WHERE o.name = ?').get(operator) as { store_id: string; kdf_params: string; kdf_salt: Buffer; wrapped_master: Buffer; audit_private_wrapped: Buffer },
    versions: db.prepare('SELECT v.key_id, v.version, v.wrapped_material, k.algorithm FROM key_versions v JOIN keys k ON k.id = v.key_id WHERE v.wrapped_material IS NOT NULL').all() as Array<{ key_id: string; version: number; wrapped_material: Buffer; algorithm: KeyAlgorithm }>,
  }));
  const kdf = JSON.parse(meta.kdf_params) as { N: number; r: number; p: number };
  const kek = await deriveKek(passphrase, meta.kdf_salt, kdf);
  // The slot's AAD as docs/operators.md writes it: store id, operator name, scrypt parameters.
  const aad = Buffer.from(`ecps/master-slot/v1|${meta.store_id}|${operator}|N=${kdf.N},r=${kdf.r},p=${kdf.p}`, 'utf8');
  const master = gcmOpen(kek, meta.wrapped_master, aad);
  expect(master).not.toBeNull();
  const ring = createStoreKeyring(master!, meta.store_id);
  const secrets = [master!, kek, ring.unwrapAuditKey(meta.audit_private_wrapped)!];
  for (const v of versions) {
    const m = ring.unwrapMaterial(v.key_id, v.version, v.algorithm, v.wrapped_material);
    expect(m).not.toBeNull();
    secrets.push(v.algorithm === 'AES_256' ? m! : m!.subarray(m!.length - 32));
  }
  ring.destroy();
  return secrets.flatMap((s) => [s.toString('hex'), s.toString('base64').slice(0, 40)]);
}

describe('createConsole handlers, end to end', () => {
  const dir = tempDir('ecps-console-it-');
  const logger = createMemoryLogger();
  const clock = manualClock();
  const transcript: string[] = [];
  const events: Array<{ event: string; payload: unknown }> = [];
  let c: FleetConsole;
  const call = contractCaller(() => c, { transcript });

  beforeAll(async () => {
    c = await createConsole({ dataDir: dir, kdf: FAST_KDF, logger, clock });
    c.onEvent((event, payload) => events.push({ event, payload }));
  });
  afterAll(() => {
    c.close();
    removeTempDirs();
  });

  it('implements every channel of the contract', () => {
    expect(Object.keys(c.handlers).sort()).toEqual([...CHANNELS].sort());
  });

  it('answers not_initialized, then locked, on every channel that needs an unlocked store', async () => {
    const sample: { [C in ChannelName]?: ChannelInput<C> } = {
      'session:lock': {},
      'session:changePassphrase': { current: PASS, next: NEW_PASS },
      'keys:list': {},
      'keys:get': { keyId: crypto.randomUUID() },
      'keys:create': { type: 'storage', label: 'x' },
      'keys:rotate': { keyId: crypto.randomUUID() },
      'keys:setState': { keyId: crypto.randomUUID(), state: 'suspended', reason: '' },
      'keys:encrypt': { keyId: crypto.randomUUID(), plaintext: Buffer.from('AAAA') },
      'keys:decrypt': { ciphertext: Buffer.from('AAAA') },
      'keys:sign': { keyId: crypto.randomUUID(), data: Buffer.from('AAAA') },
      'keys:verify': { keyId: crypto.randomUUID(), data: Buffer.from('AAAA'), signature: Buffer.from('AAAA') },
      'keys:publicKey': { keyId: crypto.randomUUID() },
      'keys:verifyIntegrity': { keyId: crypto.randomUUID() },
      'keys:backup': { providerId: 'vault-backup' },
      'keys:verifyBackup': { providerId: 'vault-backup' },
      'keys:migrate': { providerId: 'aws-primary' },
      'providers:list': {},
      'providers:save': { config: { provider: 'hashicorp_vault', id: 'vault-backup', vault_url: 'https://vault.example:8200', vault_token: 'hvs.x' } },
      'providers:test': { id: 'vault-backup' },
      'providers:health': {},
      'providers:remove': { id: 'vault-backup' },
      'providers:slots': { modulePath: '/usr/lib/softhsm/libsofthsm2.so' },
      'audit:query': { offset: 0, limit: 10 },
      'audit:verify': {},
      'audit:export': {},
      'audit:actions': {},
      'audit:keyFingerprint': {},
      'fleet:list': { offset: 0, limit: 10 },
      'fleet:get': { deviceId: 'robot-0001' },
      'fleet:create': { deviceId: 'robot-0001', name: 'Arm one', model: 'UV-7', site: 'Plant 1' },
      'fleet:update': { deviceId: 'robot-0001', firmware: '1.2.4' },
      'fleet:setStatus': { deviceId: 'robot-0001', status: 'provisioned', reason: '' },
      'fleet:revocationPlan': { deviceId: 'robot-0001' },
      'fleet:sites': {},
      'fleet:models': {},
      'fleet:importCsv': { csv: 'device_id,name,model,site,firmware,tags,status\n' },
      'fleet:exportCsv': {},
      'fleet:dashboard': {},
      'fleet:keyAssignments': { deviceId: 'robot-0001' },
      'fleet:siteKeyAssignments': { site: 'Plant 1' },
      'fleet:assignKey': { scope: 'robot', scopeId: 'robot-0001', keyType: 'communication', keyId: crypto.randomUUID() },
      'fleet:clearKeyAssignment': { scope: 'site', scopeId: 'Plant 1', keyType: 'storage' },
      'fleet:keyUsage': { keyId: crypto.randomUUID() },
      'ca:status': {},
      'ca:init': { providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA' },
      'ca:crl': {},
      'ca:publishedCrl': {},
      'certs:list': {},
      'certs:revoke': { serial: '0a1b', reason: 'superseded' },
      'ca:replace': { algorithm: 'EC_P256', commonName: 'Fleet CA 2', reason: 'scheduled replacement' },
      'ca:revoke': { reason: 'key leaked' },
      'ca:history': {},
      'bundles:build': { deviceId: 'uv-100' },
      'station:status': {},
      'station:start': { paths: ['/dev/null'] },
      'station:stop': {},
      'field:status': {},
      'field:start': { host: '127.0.0.1', port: 0 },
      'field:stop': {},
      'field:autostart': {},
      'field:setAutostart': { enabled: false, host: '127.0.0.1', port: 8443 },
      'station:retry': { path: '/dev/null' },
      'station:confirmReprovision': { deviceId: 'uv-100' },
      'bundles:list': { deviceId: 'uv-100' },
      'rotation:status': {},
      'rotation:due': {},
      'rotation:runNow': { keyId: crypto.randomUUID() },
      'rotation:policies': { keyId: crypto.randomUUID() },
      'rotation:setTypePolicy': { type: 'communication', policy: { mode: 'manual' } },
      'rotation:setKeyPolicy': { keyId: crypto.randomUUID(), policy: { mode: 'manual' } },
      'rotation:clearKeyPolicy': { keyId: crypto.randomUUID() },
      'rotation:pause': {},
      'rotation:resume': {},
      'rotation:jobs': { limit: 50 },
      'rotation:usage': { keyId: crypto.randomUUID() },
      'rotation:upcoming': { days: 30 },
      'rotation:batchStart': { selection: { type: 'storage' } },
      'rotation:batchCancel': { batchId: crypto.randomUUID() },
      'rotation:batchList': {},
      'rotation:batchGet': { batchId: crypto.randomUUID() },
      'rotation:batchItems': { batchId: crypto.randomUUID(), limit: 10 },
      'rollout:list': {},
      'rollout:get': { rolloutId: crypto.randomUUID() },
      'rollout:halt': { rolloutId: crypto.randomUUID(), reason: 'x' },
      'rollout:resume': { rolloutId: crypto.randomUUID() },
      'rollout:getPolicy': {},
      'rollout:setPolicy': { policy: { canaryRobots: [], canaryPercent: 10, canarySites: [], maxFailureRatio: 0.1, graceVersions: 1, graceSeconds: 0 } },
      'rollout:clearPolicy': {},
      'rollout:holdings': {},
      'rollout:versions': { keyId: crypto.randomUUID() },
      'rollout:retire': { keyId: crypto.randomUUID(), version: 1 },
      'rollout:reinstate': { keyId: crypto.randomUUID(), version: 1, reason: 're-encrypt the archive', days: 7 },
      'rollout:needsVisit': {},
      'emergency:lockdownOrder': { kind: 'lockdown', scope: { serial: '0a1b' }, actions: ['safe_mode'], reason: 'drill', message: 'Safe mode', validForSeconds: 600, breakGlass: { reason: 'drill' } },
      'emergency:lockdownList': {},
      'emergency:preview': { scope: { kind: 'fleet' } },
      'emergency:execute': { scope: { kind: 'robot', deviceId: 'uv-100' }, actions: ['quarantine'], reason: 'drill' },
      'emergency:runs': {},
      'emergency:run': { runId: crypto.randomUUID() },
      'emergency:retry': { runId: crypto.randomUUID() },
      'emergency:review': { runId: crypto.randomUUID(), note: 'reviewed' },
      'rotation:providerSchedule': { keyId: crypto.randomUUID() },
      'rotation:checkDrift': {},
      'metrics:series': { range: 'hour' },
      'alerts:list': {},
      'alerts:acknowledge': { id: crypto.randomUUID() },
      'session:info': {},
      'operators:list': {},
      'operators:add': { name: 'Officer Bo', role: 'viewer', passphrase: NEW_PASS },
      'operators:remove': { name: 'Officer Bo' },
      'operators:setRole': { name: 'Officer Bo', role: 'key_custodian' },
      'operators:changePassphrase': { current: PASS, next: NEW_PASS },
      'report:generate': { from: '2026-01-01', to: '2026-01-31', format: 'csv' },
      'approvals:list': { open: true },
      'approvals:approve': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f' },
      'approvals:deny': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f', reason: 'not now' },
      'approvals:execute': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f' },
      'approvals:policies': {},
      'approvals:setPolicy': { policy: { action: 'key.destroy', approvals: 2, roles: ['admin'], operators: [], ttlSeconds: 3600 } },
      'approvals:exportRequest': { requestId: '8d3c1f4e-2b6a-4c1d-9e7f-0a1b2c3d4e5f' },
      'approvals:importApproval': { content: '{}' },
      'approvals:enrolKey': { publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n' },
      'approvals:revokeKey': { operator: 'Ken', reason: 'key file left on a shared drive' },
      'approvals:listRevokedKeys': {},
      'approvals:listKeys': {},
      'operators:enrollTotp': {},
      'operators:confirmTotp': { code: '123456' },
      'operators:resetTotp': { name: 'Officer Bo' },
      'operators:enrollToken': { modulePath: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'ecps', keyLabel: 'key', pin: '1234' },
      'operators:tokenSlots': { modulePath: '/usr/lib/softhsm/libsofthsm2.so' },
      'operators:regenerateRecoveryCodes': {},
      'operators:recoveryReminder': {},
      'operators:dismissRecoveryReminder': {},
      'session:idleLock': {},
      'session:setIdleLock': { minutes: 15 },
      'recovery:status': {},
      'recovery:createShares': { threshold: 2, custodians: ['Ann', 'Ben'] },
      'backup:create': { path: '/tmp/never-written.ecpsbak', passphrase: NEW_PASS },
      'backup:restore': { from: '/tmp/never-read.ecpsbak', dataDir: '/tmp/never-restored', passphrase: NEW_PASS },
      'kit:export': { dir: '/tmp/never-written-kit', passphrase: PASS, orders: [{ name: 'site Plant 1', scope: { site: 'Plant 1' }, maxUses: 2, validForSeconds: 3600 }], reason: 'drill' },
      'kit:import': { dir: '/tmp/never-read-kit' },
    };
    // recovery:recover is open like unlock (its own tests: recovery-backup.test.ts); so is session:visibility.
    const gated = CHANNELS.filter((ch) => !['session:status', 'session:init', 'session:unlock', 'session:visibility', 'recovery:recover'].includes(ch));
    expect(Object.keys(sample).sort()).toEqual([...gated].sort());
    for (const ch of gated) expect((await failure(call(ch, sample[ch] as never))).code, ch).toBe('not_initialized');
    expect((await call('session:init', { operator: 'Officer Ada', passphrase: PASS })).state).toBe('unlocked');
    await call('session:lock', {});
    for (const ch of gated) expect((await failure(call(ch, sample[ch] as never))).code, ch).toBe('locked');
    expect(await call('session:unlock', { operator: 'Officer Ada', passphrase: PASS })).toMatchObject({ state: 'unlocked', operator: 'Officer Ada' });
  });

  it('runs the key workflow with bytes in and out and emits events', async () => {
    events.length = 0;
    const comm = await call('keys:create', { type: 'communication', label: 'uplink hall B' });
    expect(events.some((e) => e.event === 'keys:changed' && (e.payload as { keyId: string }).keyId === comm.id)).toBe(true);
    expect(events.some((e) => e.event === 'audit:appended')).toBe(true);
    const aad = Buffer.from('robot-7');
    const plaintext = Buffer.from('telemetry frame 1');
    const enc = await call('keys:encrypt', { keyId: comm.id, plaintext, aad });
    expect(await call('keys:decrypt', { ciphertext: enc.ciphertext, aad })).toEqual({ plaintext, keyId: comm.id, version: 1 });
    expect((await failure(call('keys:decrypt', { ciphertext: enc.ciphertext }))).code).toBe('aad_mismatch');

    const dev = await call('keys:create', { type: 'device_identity', label: 'robot-7 identity' });
    const sig = await call('keys:sign', { keyId: dev.id, data: plaintext });
    expect(await call('keys:verify', { keyId: dev.id, data: plaintext, signature: sig.signature })).toEqual({ valid: true });
    expect((await call('keys:publicKey', { keyId: dev.id })).pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await call('keys:rotate', { keyId: comm.id });
    expect((await call('keys:get', { keyId: comm.id })).versions).toHaveLength(2);
    await call('keys:setState', { keyId: comm.id, state: 'suspended', reason: 'investigating link' });
    expect((await failure(call('keys:encrypt', { keyId: comm.id, plaintext }))).code).toBe('key_disabled');
    expect((await call('keys:list', { state: 'suspended' })).keys.map((k) => k.id)).toEqual([comm.id]);
    expect((await call('keys:verifyIntegrity', { keyId: dev.id })).ok).toBe(true);
    await call('keys:create', { type: 'emergency', label: 'offline override' });
    await call('keys:create', { type: 'storage', label: 'disk', activate: false });
    expect(events.filter((e) => e.event === 'keys:changed').length).toBeGreaterThanOrEqual(5);
  });

  it('records every operation in the audit log under the operator, failures with their code', async () => {
    const q = await call('audit:query', { actor: 'Officer Ada', offset: 0, limit: 1000 });
    const actions = new Set(q.records.map((r) => r.action));
    for (const a of ['store.init', 'session.lock', 'session.unlock', 'key.create', 'key.encrypt', 'key.decrypt', 'key.sign', 'key.verify', 'key.rotate', 'key.state', 'key.verify_integrity', 'key.export_public']) {
      expect(actions, a).toContain(a);
    }
    const refusedEncrypt = q.records.find((r) => r.action === 'key.encrypt' && r.outcome === 'failure');
    expect(refusedEncrypt?.details).toMatchObject({ code: 'key_disabled' });
    expect(q.records.find((r) => r.action === 'key.decrypt' && r.outcome === 'failure')?.details).toMatchObject({ code: 'aad_mismatch' });
    expect((await call('audit:verify', {})).ok).toBe(true);
  });

  it('changes the passphrase, exports a signed audit log, and leaks no secret into outputs, audit or log', async () => {
    await call('session:changePassphrase', { current: PASS, next: NEW_PASS });
    expect((await failure(call('session:changePassphrase', { current: PASS, next: NEW_PASS }))).code).toBe('wrong_passphrase');
    const wrong = await failure(call('session:unlock', { operator: 'Officer Ada', passphrase: 'guessing-the-passphrase' }));
    expect(wrong.message).not.toContain('guessing');
    const exported = await exportAuditText(c);
    expect(exported.started.records).toBeGreaterThan(20);
    await call('session:lock', {});
    c.close();

    const secrets = await storeSecrets(dir, NEW_PASS);
    const auditDump = withRawDb(dir, (db) => JSON.stringify(db.prepare('SELECT * FROM audit_records').all()));
    const haystacks = { outputs: transcript.join('\n'), export: exported.content, audit: auditDump, log: JSON.stringify(logger.entries), events: JSON.stringify(events) };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const p of [PASS, NEW_PASS, 'guessing-the-passphrase']) expect(text.includes(p), `${where} contains a passphrase`).toBe(false);
      for (const s of secrets) expect(text.includes(s), `${where} contains key material`).toBe(false);
      expect(text).not.toMatch(/PRIVATE KEY/);
    }
    expect(logger.entries.length).toBeGreaterThan(0);
  });
});

describe('two consoles side by side', () => {
  it('keep separate stores, sessions and events in one process', async () => {
    const a = await createConsole({ dataDir: tempDir('ecps-a-'), kdf: FAST_KDF, logger: createMemoryLogger() });
    const b = await createConsole({ dataDir: tempDir('ecps-b-'), kdf: FAST_KDF, logger: createMemoryLogger() });
    const seenB: string[] = [];
    b.onEvent((e) => seenB.push(e));
    try {
      await a.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
      expect((await b.handlers['session:status']({}, CTX)).state).toBe('uninitialized');
      expect(seenB).toEqual([]);
      await b.handlers['session:init']({ operator: 'bob', passphrase: NEW_PASS }, CTX);
      const ka = await a.handlers['keys:create']({ type: 'storage', label: 'a' }, CTX);
      const ct = await a.handlers['keys:encrypt']({ keyId: ka.id, plaintext: Buffer.from('AAAA') }, CTX);
      expect((await b.handlers['keys:list']({}, CTX)).keys).toEqual([]);
      expect(await failure(b.handlers['keys:decrypt']({ ciphertext: ct.ciphertext }, CTX))).toMatchObject({ code: 'ciphertext_foreign' });
      await a.handlers['session:lock']({}, CTX);
      expect((await b.handlers['session:status']({}, CTX))).toMatchObject({ state: 'unlocked', operator: 'bob' });
      expect(a.storePath).not.toBe(b.storePath);
    } finally {
      a.close();
      b.close();
      removeTempDirs();
    }
  });

  it('refuses a second console on the same folder with store_busy', async () => {
    const dir = tempDir();
    const a = await createConsole({ dataDir: dir, kdf: FAST_KDF });
    try {
      expect(await failure(createConsole({ dataDir: dir, kdf: FAST_KDF }))).toMatchObject({ code: 'store_busy' });
    } finally {
      a.close();
      removeTempDirs();
    }
  });
});
