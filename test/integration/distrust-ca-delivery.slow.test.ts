// A distrust_ca order reaches a robot at a real station (issue 15; docs/lockdown-orders.md, "Version 2" and "A
// distrusted CA on the robot"): the real console (createConsole in a temp folder, fleet CA on the local provider,
// emergency key in its keyring) issues the v2 order (emergency:lockdownOrder with distrustCaIds) and the station's
// distribution session sends it in an ORDER frame to the robot simulator on a socat pty. The robot accepts it, refuses
// the key bundle the distrusted (current) CA signs, and the robot process then refuses a peer certificate of that CA
// (`robot.ts --check-peer-cert`), a peer that it took before the order, and the console's field link (its certificate
// is that CA's). The CA key id is computed here as documented (SHA-256 of the CA certificate's SubjectPublicKeyInfo DER).
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { writeCaFile } from '../robot-sim/harness.ts';
import { lockdownState } from '../robot-sim/lockdown.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { createStationConsole, distributeWithSimulator, initStationFleet, provisionWithSimulator, robotBench, robotSays, type StationProgress } from './support/stationRig.ts';

const PLANT1 = ['--site', 'Plant 1', '--model', 'UV-7'];
const STATION = { stepTimeoutMs: 60_000, pollIntervalMs: 200 };

describe('a distrust_ca order delivered at the station', () => {
  const dir = tempDir('ecps-distrust-console-');
  const work = tempDir('ecps-distrust-work-');
  const progress: StationProgress[] = [];
  let c: FleetConsole;
  let caFile = '';
  const ks = { target: '', peer: '' };
  let fieldPort = 0;
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const files = (keystore: string) => Object.fromEntries(readdirSync(keystore).sort().map((f) => [f, readFileSync(path.join(keystore, f)).toString('base64')]));

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: STATION, progress });
    const fleet = await initStationFleet(call, { ca: { commonName: 'Distrust Delivery CA', work }, robots: { 'uv-d1': 'Told to distrust its CA', 'uv-d2': 'Its peer' } });
    caFile = fleet.caFile;
    await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
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

  it('the robot accepts it over the link, then refuses the distrusted CA\'s bundle, a peer of that CA and the field link', async () => {
    const caKeyId = createHash('sha256').update(new X509Certificate(readFileSync(caFile)).publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    const peerCert = path.join(ks.peer, 'identity.cert.pem');
    const checkPeer = () => robotSays(['--check-peer-cert', peerCert, '--keystore', ks.target, '--ca-cert', caFile]);
    const field = (deviceId: string, keystore: string) => robotSays(['--field', `127.0.0.1:${fieldPort}`, '--device-id', deviceId, '--keystore', keystore, '--ca-cert', caFile, ...PLANT1]);
    expect(await checkPeer()).toEqual({ exitCode: 0, json: { ok: true } });
    // The field link's certificate is the fleet CA's: the peer robot, told nothing, polls it.
    fieldPort = (await call('field:start', { host: '127.0.0.1', port: 0 })).port!;
    expect((await field('uv-d2', ks.peer)).json).toMatchObject({ ok: true });

    // The console's CA named by its console id; the order carries its key id (a v2 order).
    const caId = (await call('ca:history', {})).cas[0]!.id;
    const issued = await call('emergency:lockdownOrder', {
      kind: 'lockdown', scope: { deviceIds: ['uv-d1'] }, actions: ['distrust_ca'], distrustCaIds: [caId], reason: 'fleet CA key leaked', message: 'Fleet CA distrusted', validForSeconds: 3600,
    });
    const body = JSON.parse(Buffer.from((JSON.parse(Buffer.from(issued.content, 'base64').toString()) as { body: string }).body, 'base64').toString()) as Record<string, unknown>;
    expect(body).toMatchObject({ v: 2, sequence: 1, actions: ['distrust_ca'], distrustCas: [caKeyId] });

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
    // The field link's certificate is that CA's too: refused before the console says anything; the peer robot still polls.
    const polled = await field('uv-d1', ks.target);
    expect(polled).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_ca_distrusted' } });
    expect(polled.json.message).toContain(caKeyId);
    expect((await field('uv-d2', ks.peer)).json).toMatchObject({ ok: true });
    await call('field:stop', {});
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
