// The two checks that bind a provisioned robot to the key it holds, in the real console:
// - the robot's signature over the session nonces must be made with the key its CSR names (a robot that signs with
//   another key is refused at the CSR, before any certificate is issued);
// - the certificate the fleet CA issues must carry that key (a CA that issues for another key is refused before CERT
//   is sent, and the certificate it issued is revoked).
// Each refusal has its typed code and reason, a station.provision failure in the audit, and nothing committed: the
// robot stays manufactured, with no certificate and no keys. Real console (createConsole, fleet CA on the local
// provider), the simulator on a socat pty pair. No robot can make a correct CA issue for another key, so the fault is
// put where it would happen, at the CA: the console's real fleet CA is asked (ConsoleOptions.station.issueWith) to
// issue for an openssl CSR of a fresh key with the robot's name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { robotState } from '../robot-sim/scenario.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { robotCsr } from './fleetca-kit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, provisionWithSimulator, robotBench } from './support/stationRig.ts';

const FAULTY_CA_ROBOT = 'uv-id2';

describe('station: the robot identity checks, in the console', () => {
  const dir = tempDir('ecps-identity-console-');
  const work = tempDir('ecps-identity-work-');
  const progress: Array<EventPayload<'station:progress'>> = [];
  let c: FleetConsole;
  let caFile = '';

  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const records = (action: string, deviceId: string) => c.audit.query({ action, targetId: deviceId, offset: 0, limit: 20 }).records;

  const provision = (deviceId: string, misbehave?: string) => provisionWithSimulator(c, bench, progress, deviceId, misbehave ? { misbehave } : {});

  const expectNothingCommitted = async (deviceId: string) => {
    const rec = await call('fleet:get', { deviceId });
    expect([rec.status, rec.certificates, rec.keys]).toEqual(['manufactured', [], []]);
    expect(records('robot.provision', deviceId)).toEqual([]);
  };

  beforeAll(async () => {
    c = await createStationConsole({
      dataDir: dir,
      progress,
      station: {
        stepTimeoutMs: 20_000,
        pollIntervalMs: 200,
        // A faulty CA for one robot: a real issuance by the console's fleet CA, for a key the robot does not hold.
        issueWith: (ca, csrDer, options) =>
          ca.issueDeviceCertificate(options.deviceId === FAULTY_CA_ROBOT ? robotCsr(work, `/CN=${options.deviceId}`, 'ec', 'not-the-robot') : csrDer, options),
      },
    });
    ({ caFile } = await initStationFleet(call, {
      ca: { commonName: 'Identity Test CA', work },
      robots: { 'uv-id0': 'Honest', 'uv-id1': 'Signs nonces with another key', [FAULTY_CA_ROBOT]: 'Faulty CA' },
    }));
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('an honest robot is provisioned by the same console (the rig itself refuses nothing)', async () => {
    const { result, robot } = await provision('uv-id0');
    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(robot.exitCode).toBe(0);
    expect((await call('fleet:get', { deviceId: 'uv-id0' })).status).toBe('provisioned');
  });

  it('a robot that signs the session nonces with a key its CSR does not name: forged_csr (nonce_signature_invalid) at csr, no certificate issued', async () => {
    const { result, robot, keystore } = await provision('uv-id1', 'wrong-nonce-key');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([result.error.code, result.step, result.error.details?.reason]).toEqual(['forged_csr', 'csr', 'nonce_signature_invalid']);
    expect(result.error.toInfo()).toMatchObject({ code: 'integrity_failure', details: { stationCode: 'forged_csr' } });
    expect(robot.json?.code).toBe('robot_error');
    expect(robotState(keystore)).toBeUndefined();
    expect(records('station.provision', 'uv-id1')).toEqual([
      expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ code: 'forged_csr', step: 'csr', reason: 'nonce_signature_invalid' }) }),
    ]);
    expect(records('ca.issue', 'uv-id1')).toEqual([]);
    expect((await call('certs:list', {})).certificates.filter((x) => x.deviceId === 'uv-id1')).toEqual([]);
    await expectNothingCommitted('uv-id1');
  });

  it('a fleet CA that issues for another key: certificate_rejected (certificate_key_mismatch) before CERT, and that certificate is revoked', async () => {
    const { result, robot, keystore } = await provision(FAULTY_CA_ROBOT);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([result.error.code, result.step, result.error.details?.reason]).toEqual(['certificate_rejected', 'certificate', 'certificate_key_mismatch']);
    // The robot never got that certificate: it heard the console's ERROR while waiting for CERT.
    expect(robot.json?.code).toBe('robot_error');
    expect(robotState(keystore)).toBeUndefined();
    expect(records('station.provision', FAULTY_CA_ROBOT)).toEqual([
      expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ code: 'certificate_rejected', step: 'certificate', reason: 'certificate_key_mismatch' }) }),
    ]);
    // The CA did issue one (for the other key); the session did not commit, so it is revoked.
    const issued = records('ca.issue', FAULTY_CA_ROBOT);
    expect(issued).toEqual([expect.objectContaining({ outcome: 'success' })]);
    const serial = issued[0]?.details?.serial;
    const revoked = await until('the revocation of the wrongly issued certificate', () => records('ca.revoke', FAULTY_CA_ROBOT)[0]);
    expect(revoked).toMatchObject({ outcome: 'success', details: expect.objectContaining({ serial, reason: 'cessationOfOperation' }) });
    expect((await call('certs:list', {})).certificates.filter((x) => x.deviceId === FAULTY_CA_ROBOT)).toEqual([
      expect.objectContaining({ serial, status: 'revoked', revocationReason: 'cessationOfOperation' }),
    ]);
    await expectNothingCommitted(FAULTY_CA_ROBOT);
  });
});
