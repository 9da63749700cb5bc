// The certificate of a provisioning session that did not commit is revoked (stationDeps abandon). When that revocation
// fails, the console says so: an error in the log (serial and device id, no key material) and a 'ca.revoke' failure in
// the audit. Real console (createConsole in a temp folder, fleet CA on the local provider), the robot simulator on a
// socat pty. The failure is real: the officer locks the console while the robot is between CERT and CONFIRM, so the
// session ends uncommitted with the store locked and the CA closed. The sweep at the next unlock then revokes it, and
// a sweep never touches a certificate that a robot carries or that a running session holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, until } from './support/consoleCalls.ts';
import { createStationConsole, initStationFleet, OPERATOR, PASS, robotBench } from './support/stationRig.ts';

describe('station: revoking the certificate of an abandoned provisioning session', () => {
  const dir = tempDir('ecps-abandon-console-');
  const work = tempDir('ecps-abandon-work-');
  const logger = createMemoryLogger();
  const progress: Array<EventPayload<'station:progress'>> = [];
  let c: FleetConsole;
  let caFile = '';

  const call = contractCaller(() => c);
  const revokes = (deviceId: string) => c.audit.query({ action: 'ca.revoke', targetId: deviceId, offset: 0, limit: 20 }).records;
  const bench = robotBench(() => caFile);
  const { robotOn } = bench;

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, logger, station: { stepTimeoutMs: 20_000, pollIntervalMs: 200 }, progress });
    ({ caFile } = await initStationFleet(call, {
      ca: { commonName: 'Abandon Test CA', work },
      robots: { 'uv-ab1': 'Bad confirm', 'uv-ab2': 'Locked mid-session' },
    }));
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('revokes the certificate of a session that failed while unlocked: one ca.revoke success (the CA\'s own), no error logged', async () => {
    const { pair, robot } = await robotOn('uv-ab1', { misbehave: 'bad-confirm' });
    await call('station:start', { paths: [pair.consolePath] });
    await robot.result;
    const port = await until('port failed', async () => (await call('station:status', {})).ports.find((p) => p.path === pair.consolePath && p.state !== 'active'));
    expect(port).toMatchObject({ deviceId: 'uv-ab1', state: 'failed', step: 'confirm', error: { code: 'key_confirmation_failed' } });
    const [record] = await until('the revocation record', () => (revokes('uv-ab1').length > 0 ? revokes('uv-ab1') : undefined));
    expect(record).toMatchObject({ actor: OPERATOR, outcome: 'success', targetType: 'robot', details: expect.objectContaining({ reason: 'cessationOfOperation' }) });
    const cert = (await call('certs:list', {})).certificates.find((x) => x.deviceId === 'uv-ab1');
    expect(cert).toMatchObject({ serial: record?.details?.serial, status: 'revoked', revocationReason: 'cessationOfOperation' });
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
    await call('station:stop', {});
    // Once the station has stopped, every session has ended: a second record would be there by now.
    expect(revokes('uv-ab1')).toHaveLength(1);
  });

  it('a revocation that fails (console locked mid-session) is logged as an error and audited as a ca.revoke failure', async () => {
    // The robot "thinks" between CERT + KEYS and its CONFIRM: the officer locks the console in that window.
    const { pair } = await robotOn('uv-ab2', { thinkMs: 4000 });
    const seen = progress.length;
    await call('station:start', { paths: [pair.consolePath] });
    await until('the console waiting for CONFIRM', () => (progress.slice(seen).some((p) => p.port === pair.consolePath && p.step === 'confirm') ? true : undefined));
    const issued = c.audit.query({ action: 'ca.issue', targetId: 'uv-ab2', offset: 0, limit: 5 }).records;
    expect(issued).toHaveLength(1);
    const serial = issued[0]?.details?.serial;
    expect(typeof serial).toBe('string');

    await call('session:lock', {});
    pair.unplug(); // the robot is unplugged: the session ends, uncommitted, with the store locked

    const record = await until('the failed revocation in the audit', () => revokes('uv-ab2')[0]);
    expect(record).toMatchObject({
      action: 'ca.revoke',
      outcome: 'failure',
      targetType: 'robot',
      targetId: 'uv-ab2',
      details: { serial, reason: 'cessationOfOperation', trigger: 'abandoned_session', code: 'locked', error: expect.any(String) },
    });
    expect(revokes('uv-ab2')).toHaveLength(1);

    const errors = logger.entries.filter((e) => e.level === 'error');
    expect(errors).toEqual([
      {
        level: 'error',
        message: expect.stringContaining('abandoned provisioning session failed'),
        fields: { deviceId: 'uv-ab2', serial, trigger: 'abandoned_session', code: 'locked', error: expect.any(String) },
      },
    ]);

    // The unlock sweeps it: revoked by the CA (its own success record), and the robot was never provisioned.
    await call('session:unlock', { operator: OPERATOR, passphrase: PASS });
    await until('the sweep revoking it', () => (revokes('uv-ab2').length === 2 ? true : undefined));
    expect(revokes('uv-ab2').map((r) => r.outcome)).toEqual(['success', 'failure']);
    expect(revokes('uv-ab2')[0]?.details).toMatchObject({ serial, reason: 'cessationOfOperation' });
    expect((await call('fleet:get', { deviceId: 'uv-ab2' })).status).toBe('manufactured');
    const cert = (await call('certs:list', {})).certificates.find((x) => x.serial === serial);
    expect(cert).toMatchObject({ deviceId: 'uv-ab2', status: 'revoked', revocationReason: 'cessationOfOperation' });
    expect(logger.entries.some((e) => e.message.includes('abandoned provisioning sessions revoked') && e.fields?.revoked === 1)).toBe(true);
  });

  it('a sweep leaves alone the certificates robots carry and those of a session still waiting for CONFIRM', async () => {
    // uv-ab3 is provisioned for real; uv-ab4's robot is slow to confirm while the sweep runs.
    const done = await robotOn('uv-ab3');
    await call('fleet:create', { deviceId: 'uv-ab3', name: 'Provisioned', model: 'UV-7', site: 'Plant 1' });
    await call('fleet:create', { deviceId: 'uv-ab4', name: 'Slow confirm', model: 'UV-7', site: 'Plant 1' });
    await call('station:start', { paths: [done.pair.consolePath] });
    expect((await done.robot.result).exitCode).toBe(0);
    await until('uv-ab3 provisioned', async () => ((await call('fleet:get', { deviceId: 'uv-ab3' })).status === 'provisioned' ? true : undefined));
    await call('station:stop', {});

    const slow = await robotOn('uv-ab4', { thinkMs: 1500 });
    const seen = progress.length;
    await call('station:start', { paths: [slow.pair.consolePath] });
    await until('uv-ab4 waiting for CONFIRM', () => (progress.slice(seen).some((p) => p.port === slow.pair.consolePath && p.step === 'confirm') ? true : undefined));
    // Listed (no robot carries it yet) and kept: its session holds it.
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 0, failed: 0, kept: 1 });
    expect((await slow.robot.result).exitCode).toBe(0);
    await until('uv-ab4 provisioned', async () => ((await call('fleet:get', { deviceId: 'uv-ab4' })).status === 'provisioned' ? true : undefined));
    await call('station:stop', {});

    const certs = (await call('certs:list', {})).certificates;
    for (const id of ['uv-ab3', 'uv-ab4']) expect(certs.filter((x) => x.deviceId === id).map((x) => x.status)).toEqual(['valid']);
    // With nothing in flight any more, a sweep still finds nothing to revoke.
    expect(await c.station.sweepAbandoned()).toEqual({ revoked: 0, failed: 0, kept: 0 });
  });
});
