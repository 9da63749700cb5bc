// A distrust_ca order reaches a robot at a real station (issue 15; docs/lockdown-orders.md, "Version 2" and "A
// distrusted CA on the robot"): the real console (createConsole in a temp folder, fleet CA on the local provider,
// emergency key in its keyring) and the robot simulator on a socat pty. The console's service cannot issue a v2 order
// yet, so the test signs one with the console's own emergency key (the key service, as the service signs) and puts it
// where the service puts an issued order (lockdown_orders and its file, through the store's repositories, the console
// closed meanwhile: the store is locked by one process at a time). Then the station's distribution session sends it in
// an ORDER frame; the robot accepts it, refuses the key bundle the distrusted (current) CA signs, and the robot process
// then refuses a peer certificate of that CA (`robot.ts --check-peer-cert`), a peer that it took before the order.
// The order's body is written here in the documented member order, and the CA key id computed here as documented
// (SHA-256 of the CA certificate's SubjectPublicKeyInfo DER).
import { X509Certificate, createHash, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { openStoreDatabase } from '../../electron/store/database.ts';
import { createLockdownRepo } from '../../electron/store/lockdownRepo.ts';
import { createOrderDeliveryRepo } from '../../electron/store/orderDeliveryRepo.ts';
import { writeCaFile } from '../robot-sim/harness.ts';
import { lockdownState } from '../robot-sim/lockdown.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { OPERATOR, PASS, createStationConsole, distributeWithSimulator, initStationFleet, provisionWithSimulator, robotBench, robotSays, type StationProgress } from './support/stationRig.ts';

const PLANT1 = ['--site', 'Plant 1', '--model', 'UV-7'];
const STATION = { stepTimeoutMs: 60_000, pollIntervalMs: 200 };

describe('a distrust_ca order delivered at the station', () => {
  const dir = tempDir('ecps-distrust-console-');
  const work = tempDir('ecps-distrust-work-');
  const progress: StationProgress[] = [];
  let c: FleetConsole;
  let caFile = '';
  const ks = { target: '', peer: '' };
  let emergencyKeyId = '';
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const files = (keystore: string) => Object.fromEntries(readdirSync(keystore).sort().map((f) => [f, readFileSync(path.join(keystore, f)).toString('base64')]));

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: STATION, progress });
    const fleet = await initStationFleet(call, { ca: { commonName: 'Distrust Delivery CA', work }, robots: { 'uv-d1': 'Told to distrust its CA', 'uv-d2': 'Its peer' } });
    caFile = fleet.caFile;
    emergencyKeyId = (await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' })).id;
    for (const [deviceId, key] of [['uv-d1', 'target'], ['uv-d2', 'peer']] as const) {
      ks[key] = tempDir(`ecps-robot-${deviceId}-`);
      const out = await provisionWithSimulator(c, bench, progress, deviceId, { keystore: ks[key], extraArgs: PLANT1 });
      expect(out.robot.exitCode).toBe(0);
    }
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('the robot accepts it over the link, then refuses the distrusted CA\'s bundle and a peer of that CA', async () => {
    const caKeyId = createHash('sha256').update(new X509Certificate(readFileSync(caFile)).publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    const peerCert = path.join(ks.peer, 'identity.cert.pem');
    const checkPeer = () => robotSays(['--check-peer-cert', peerCert, '--keystore', ks.target, '--ca-cert', caFile]);
    expect(await checkPeer()).toEqual({ exitCode: 0, json: { ok: true } });
    expect(await call('emergency:lockdownList', {})).toMatchObject({ orders: [] });

    // The v2 order, sequence 1 (no order was issued), for uv-d1 by name, signed through the console's key service.
    const emergencyPem = (await call('keys:publicKey', { keyId: emergencyKeyId })).pem;
    const signerKeyId = createHash('sha256').update(createPublicKey(emergencyPem).export({ format: 'der', type: 'spki' })).digest('hex');
    const now = Date.now();
    const order = {
      v: 2, orderId: randomBytes(16).toString('hex'), kind: 'lockdown', sequence: 1, issuedAt: new Date(now - 60_000).toISOString(), expiresAt: new Date(now + 3600_000).toISOString(),
      scope: { deviceIds: ['uv-d1'] }, actions: ['distrust_ca'], wipeKeys: [], distrustCas: [caKeyId], mode: 'strict',
      reason: 'fleet CA key leaked', message: 'Fleet CA distrusted', signerKeyId,
    };
    const body = Buffer.from(JSON.stringify(order));
    const signed = await c.keys.sign(emergencyKeyId, Buffer.concat([Buffer.from('ECPS-LOCKDOWN-v1\0'), body]));
    const file = Buffer.from(JSON.stringify({ format: 'ECPS-LOCKDOWN-v1', body: body.toString('base64'), signature: signed.signature.toString('base64') }));

    // Stored as the lockdown service stores an issued order (its row, then its file), the console closed meanwhile.
    c.close();
    const store = openStoreDatabase(dir, () => new Date().toISOString());
    try {
      const orders = createLockdownRepo(store.db);
      const sequence = orders.reserve({
        orderId: order.orderId, kind: 'lockdown', scope: JSON.stringify(order.scope), actions: 'distrust_ca', issuedAt: order.issuedAt, expiresAt: order.expiresAt,
        keyId: emergencyKeyId, reason: order.reason, issuedBy: OPERATOR,
      });
      expect(sequence).toBe(1);
      orders.markIssued(sequence, signed.version);
      createOrderDeliveryRepo(store.db).saveOrderFile(sequence, file);
    } finally {
      store.close();
    }
    c = await createStationConsole({ dataDir: dir, station: STATION, progress });
    await call('session:unlock', { operator: OPERATOR, passphrase: PASS });

    const before = files(ks.target);
    const out = await distributeWithSimulator(c, bench, progress, 'uv-d1', { keystore: ks.target, extraArgs: PLANT1 });
    // The order was accepted (ORDER_ACK, recorded and audited); the bundle the distrusted CA signed is refused.
    const delivered = c.audit.query({ action: 'lockdown.deliver', targetId: 'uv-d1', offset: 0, limit: 10 }).records.map((r) => [r.outcome, r.details.item, r.details.ref, r.details.channel, r.details.result]);
    expect(delivered).toEqual([['success', 'order', 1, 'serial', 'accepted']]);
    expect(out.robot.json).toMatchObject({ ok: false, code: 'bundle_ca_distrusted', message: expect.stringContaining(caKeyId) as unknown as string });
    // The console sees the robot's refusal of the bundle: robot_error with the robot's own code (the row reads robot_error:bundle_ca_distrusted).
    expect(out.result).toMatchObject({ ok: false, step: 'install', error: { code: 'robot_error', details: { robotCode: 'bundle_ca_distrusted' } } });
    expect(lockdownState(ks.target)).toMatchObject({ lastSequence: 1, distrustedCas: [caKeyId] });
    // Nothing of the bundle was installed: only the lockdown state changed.
    const after = files(ks.target);
    const changed = Object.keys({ ...before, ...after }).filter((f) => before[f] !== after[f] && !f.startsWith('last-'));
    expect(changed).toEqual(['lockdown-state.json']);

    // The robot process now refuses the peer it took before, naming the CA; --operate shows the distrusted CA.
    const refused = await checkPeer();
    expect(refused).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_ca_distrusted' } });
    expect(refused.json.message).toContain(caKeyId);
    expect(await robotSays(['--operate', '--keystore', ks.target])).toEqual({ exitCode: 0, json: { ok: true, safeMode: false, distrustedCas: [caKeyId] } });
  });

  it('the distrusted CA\'s CRLs are answered crl_foreign: pending while that CA is current, final once it is revoked', async () => {
    const caKeyId = createHash('sha256').update(new X509Certificate(readFileSync(caFile)).publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    const crlAnswers = () => c.audit.query({ action: 'lockdown.deliver', targetId: 'uv-d1', offset: 0, limit: 100 }).records
      .filter((r) => r.details.item === 'crl' && r.details.channel === 'serial').map((r) => [r.details.ref, r.details.result]).reverse();
    const held = files(ks.target);
    const crl = await call('ca:crl', {});
    // The CRL numbers the robot answers over the link in each session (a bundle that also carries the CRL is refused
    // whole): the current CA's CRL stays pending after crl_foreign (a robot may learn the current CA later); once the CA
    // is revoked its final CRL is answered once, then never sent again.
    const session = async () => {
      const seen = crlAnswers().length;
      await distributeWithSimulator(c, bench, progress, 'uv-d1', { keystore: ks.target, extraArgs: PLANT1 });
      return crlAnswers().slice(seen);
    };
    expect(await session()).toEqual([[crl.crlNumber, 'crl_foreign']]);
    expect(await session()).toEqual([[crl.crlNumber, 'crl_foreign']]);
    const revoked = await call('ca:revoke', { reason: 'fleet CA key leaked' });
    expect(await session()).toEqual([[revoked.finalCrl.crlNumber, 'crl_foreign']]);
    expect(await session()).toEqual([]);
    // The robot holds no CRL of that CA (none was taken) and its key store is as it was, bar the session files.
    const now = files(ks.target);
    expect(Object.keys({ ...held, ...now }).filter((f) => held[f] !== now[f] && !f.startsWith('last-'))).toEqual([]);
    const message = c.audit.query({ action: 'lockdown.deliver', targetId: 'uv-d1', offset: 0, limit: 1 }).records[0]?.details.message;
    expect(message).toContain(caKeyId);
  });

  it('re-provisioning with a new CA ends the distrust; the order sequence stays', async () => {
    const oldCaFile = caFile;
    const ca = await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Distrust Delivery CA 2' });
    caFile = writeCaFile(tempDir('ecps-distrust-ca2-'), ca.certificatePem ?? '');
    const out = await provisionWithSimulator(c, bench, progress, 'uv-d1', { keystore: ks.target, extraArgs: PLANT1, allowReprovision: true });
    expect(out.robot.exitCode).toBe(0);
    expect(lockdownState(ks.target)).toEqual({ lastSequence: 1, locked: expect.objectContaining({ sequence: 1 }) as unknown });
    // The old CA's peer is now a stranger (the robot's CA is the new one), no longer a distrusted CA's.
    const peer = await robotSays(['--check-peer-cert', path.join(ks.peer, 'identity.cert.pem'), '--keystore', ks.target, '--ca-cert', caFile]);
    expect(peer).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_untrusted' } });
    expect(oldCaFile).not.toBe(caFile);
  });
});
