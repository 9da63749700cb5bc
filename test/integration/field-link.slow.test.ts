// The field link (docs/field-link.md) in the real console: robots provisioned over socat ptys by the simulator (child
// processes), then polling over mutual TLS on 127.0.0.1 with the simulator's field client (test/robot-sim/fieldClient.ts,
// in process: real TLS, the robot's own certificate and key store):
// - a rotated key's rollout reaches the canary over the link while the rest of the fleet is told it is up to date;
//   the canary's INSTALLED proof opens the next wave, and the rest then gets the version over the link too;
// - a lockdown order in scope is delivered (ORDER frame over TLS), recorded, and the robot refuses to operate; a robot
//   outside the scope is up to date;
// - a robot whose certificate is revoked, a quarantined robot, a client without a certificate and one with a
//   certificate of another CA are refused, each audited `field.refuse` with its code;
// - the console's contact record says when each robot was last seen and how its poll ended;
// - headless, `field --listen` serves the simulator; `--at-unlock` stores the address, and `field` alone serves on it.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { KeyObject, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { pollField, type FieldPollOptions, type FieldPollResult } from '../robot-sim/fieldClient.ts';
import { operate } from '../robot-sim/lockdown.ts';
import { robotStoredKeys } from '../robot-sim/scenario.ts';
import { createTestCa } from '../robot-sim/testCa.ts';
import { Readable } from 'node:stream';
import { runCli } from '../../electron/ipc/cli/runCli.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { cliEnv, ROOT } from './support/cliProcess.ts';
import { createStationConsole, initStationFleet, OPERATOR, PASS, provisionWithSimulator, robotBench, type StationProgress } from './support/stationRig.ts';

/** The simulator as a real process: `robot.ts --field HOST:PORT` (one poll), its JSON line and exit code. */
async function simulatorPoll(args: string[]): Promise<{ exitCode: number | null; json: Record<string, unknown> }> {
  const proc = spawn(process.execPath, ['test/robot-sim/robot.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exitCode = await new Promise<number | null>((r) => proc.on('exit', r));
  return { exitCode, json: JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown> };
}

const ROBOTS = ['uv-f1', 'uv-f2', 'uv-f3'] as const;

/** Polls `read` until it gives a value (the CLI's output line); a hang guard only, never a timing assertion. */
async function until<T>(read: () => T | undefined): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = read();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the CLI never said it was listening');
}
type Robot = (typeof ROBOTS)[number];

describe('the field link: rollouts, lockdown orders and refusals over mutual TLS', () => {
  const dir = tempDir('ecps-field-console-');
  const work = tempDir('ecps-field-work-');
  const progress: StationProgress[] = [];
  const keystores = new Map<Robot, string>();
  let c: FleetConsole;
  let caFile = '';
  let comm = '';
  let port = 0;
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const options = (deviceId: Robot, extra: Partial<FieldPollOptions> = {}): FieldPollOptions => ({
    host: '127.0.0.1', port, deviceId, keystore: keystores.get(deviceId)!, caCertPem: readFileSync(caFile, 'utf8'), firmware: 'sim-1.0.0',
    facts: { site: 'Plant 1', model: 'UV-7', tags: null }, stepTimeoutMs: 10_000, ...extra,
  });
  const poll = async (deviceId: Robot, extra: Partial<FieldPollOptions> = {}): Promise<FieldPollResult> => {
    const out = await pollField(options(deviceId, extra));
    await c.field.idle(); // the console's side has recorded everything once its session ended
    return out;
  };
  const commHeld = (deviceId: Robot) => robotStoredKeys(keystores.get(deviceId)!).filter((k) => k.keyId === comm).map((k) => k.version).sort();
  const rollout = async () => {
    const { rollouts } = await call('rollout:list', { keyId: comm });
    return call('rollout:get', { rolloutId: rollouts[0]!.rolloutId, robots: true });
  };
  const refusals = () => c.audit.query({ action: 'field.refuse', offset: 0, limit: 100 }).records.map((r) => [r.targetId, r.details.code]).reverse();

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 10_000, pollIntervalMs: 200 }, progress, rotation: { scheduler: false } });
    const fleet = await initStationFleet(call, { ca: { commonName: 'Field Link Test CA', work }, robots: { 'uv-f1': 'Canary', 'uv-f2': 'Rest', 'uv-f3': 'Stolen' } });
    comm = fleet.ids.comm;
    caFile = fleet.caFile;
    // An emergency key before provisioning: each robot gets its public key in the CERT frame and trusts its orders.
    await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    const provisioned = await Promise.all(ROBOTS.map((id) => provisionWithSimulator(c, bench, progress, id)));
    for (const [i, id] of ROBOTS.entries()) {
      expect(provisioned[i]!.result.ok, id).toBe(true);
      keystores.set(id, provisioned[i]!.keystore);
    }
    await call('rollout:setPolicy', {
      keyId: comm,
      policy: { canaryRobots: ['uv-f1'], canaryPercent: 0, canarySites: [], maxFailureRatio: 0, graceVersions: 1, graceSeconds: 3600 },
    });
  }, 120_000);
  let closed = false;
  afterAll(async () => {
    if (!closed) {
      await c.field.stop();
      c.close();
    }
    bench.release();
    removeTempDirs();
  });

  it('starts on loopback with a server certificate from the fleet CA, audited', async () => {
    expect(await call('field:status', {})).toMatchObject({ running: false, port: null, certificate: null });
    const status = await call('field:start', { host: '127.0.0.1', port: 0 });
    expect(status).toMatchObject({ running: true, host: '127.0.0.1' });
    port = status.port!;
    expect(port).toBeGreaterThan(0);
    const issued = c.audit.query({ action: 'ca.issue', offset: 0, limit: 10 }).records.find((r) => r.details.profile === 'field_server');
    expect(issued).toMatchObject({ outcome: 'success', details: expect.objectContaining({ serial: status.certificate!.serial, hosts: '127.0.0.1' }) });
    expect(c.audit.query({ action: 'field.start', offset: 0, limit: 10 }).records[0]).toMatchObject({ outcome: 'success', details: expect.objectContaining({ port }) });
    await expect(call('field:start', { host: '127.0.0.1', port: 0 })).rejects.toMatchObject({ code: 'illegal_transition' });
  });

  it('a robot holding everything it is due is told it is up to date, and its contact is recorded', async () => {
    expect(await poll('uv-f2')).toEqual({ ok: true, result: 'up_to_date' });
    const contact = (await call('field:status', {})).contacts.find((k) => k.deviceId === 'uv-f2');
    expect(contact).toMatchObject({ lastResult: 'up_to_date', polls: 1, lastAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  });

  it('a rotated key reaches the canary over the link; its confirmation opens the next wave, which the rest then gets', async () => {
    await call('keys:rotate', { keyId: comm });
    expect(await rollout()).toMatchObject({ toVersion: 2, state: 'running', openWave: 1, waves: 2 });

    // uv-f2 is in wave 2, not open yet: nothing is due to it.
    expect(await poll('uv-f2')).toEqual({ ok: true, result: 'up_to_date' });
    expect(commHeld('uv-f2')).toEqual([1]);

    const canary = await poll('uv-f1');
    expect(canary).toMatchObject({ ok: true, result: 'session', robot: { ok: true, mode: 'distribute' } });
    expect(commHeld('uv-f1')).toEqual([1, 2]);
    const afterCanary = await rollout();
    expect(afterCanary).toMatchObject({ openWave: 2, installed: 1 });
    expect(afterCanary.members!.find((m) => m.deviceId === 'uv-f1')).toMatchObject({ state: 'installed' });
    // The bundle went the confirmed way: recorded installed, audited bundle.install on the field link's "port".
    const install = c.audit.query({ action: 'bundle.install', targetId: 'uv-f1', offset: 0, limit: 10 }).records[0];
    expect(install).toMatchObject({ outcome: 'success', details: expect.objectContaining({ port: expect.stringMatching(/^field:127\.0\.0\.1:/) }) });
    expect((await call('bundles:list', { deviceId: 'uv-f1' })).bundles[0]).toMatchObject({ state: 'installed' });

    const rest = await poll('uv-f2');
    expect(rest).toMatchObject({ ok: true, result: 'session', robot: { ok: true } });
    expect(commHeld('uv-f2')).toEqual([1, 2]);
    expect(await rollout()).toMatchObject({ state: 'running', installed: 2, pending: 1 });
    expect(await poll('uv-f3')).toMatchObject({ ok: true, result: 'session', robot: { ok: true } });
    expect(await rollout()).toMatchObject({ state: 'done', installed: 3, pending: 0 });
    expect(await poll('uv-f1')).toEqual({ ok: true, result: 'up_to_date' });
  });

  it('a lockdown order in scope is delivered over the link and enforced; a robot outside the scope is up to date', async () => {
    expect(operate(keystores.get('uv-f2')!, new Date())).toMatchObject({ ok: true });
    await call('emergency:lockdownOrder', { kind: 'lockdown', scope: { deviceIds: ['uv-f2'] }, actions: ['stop_operating'], reason: 'suspicious traffic', message: 'Field lockdown: stop', validForSeconds: 3600 });
    expect(await poll('uv-f1')).toEqual({ ok: true, result: 'up_to_date' });
    const out = await poll('uv-f2');
    expect(out).toMatchObject({ ok: true, result: 'session', robot: { ok: true, orders: [{ kind: 'order', result: 'accepted' }] } });
    expect(operate(keystores.get('uv-f2')!, new Date())).toMatchObject({ ok: false, code: 'locked_down', message: 'Field lockdown: stop' });
    const delivered = c.audit.query({ action: 'lockdown.deliver', targetId: 'uv-f2', offset: 0, limit: 10 }).records[0];
    expect(delivered).toMatchObject({ outcome: 'success', details: expect.objectContaining({ item: 'order', result: 'accepted', port: expect.stringMatching(/^field:/) }) });
    // Answered once: not sent again.
    expect(await poll('uv-f2')).toEqual({ ok: true, result: 'up_to_date' });
  });

  it('a revoked certificate and a quarantined robot are refused after the handshake, audited; the contact says why', async () => {
    const serial = (await call('fleet:get', { deviceId: 'uv-f3' })).certificates[0]!.serial;
    expect(await poll('uv-f3')).toEqual({ ok: true, result: 'up_to_date' });
    await call('certs:revoke', { serial, reason: 'keyCompromise' });
    expect(await poll('uv-f3')).toMatchObject({ ok: false, code: 'certificate_revoked' });
    expect((await call('field:status', {})).contacts.find((k) => k.deviceId === 'uv-f3')).toMatchObject({ lastResult: 'certificate_revoked', polls: 3 });

    await call('fleet:setStatus', { deviceId: 'uv-f1', status: 'quarantined', reason: 'under investigation' });
    expect(await poll('uv-f1')).toMatchObject({ ok: false, code: 'robot_not_eligible' });
    expect(refusals()).toEqual([['uv-f3', 'certificate_revoked'], ['uv-f1', 'robot_not_eligible']]);
  });

  it('a client without a certificate, or with one of another CA, is refused and audited', async () => {
    expect(await poll('uv-f2', { identity: 'none' })).toMatchObject({ ok: false, code: 'no_certificate' });

    // A certificate for the same device id from a CA the console never trusted.
    const foreign = await createTestCa();
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=uv-f2', keys, signingAlgorithm: alg });
    const { certDer } = await foreign.issueCertificate(Buffer.from(csr.rawData), 'uv-f2');
    const identity = { certPem: new x509.X509Certificate(certDer).toString('pem'), keyPem: KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }).toString() };
    expect(await poll('uv-f2', { identity })).toMatchObject({ ok: false, code: 'untrusted_certificate' });
    expect(refusals().slice(-2)).toEqual([[null, 'no_certificate'], [null, 'untrusted_certificate']]);
  });

  it('a robot refuses a console whose certificate its fleet CA did not issue', async () => {
    const other = await createTestCa();
    expect(await poll('uv-f2', { caCertPem: other.caCertPem })).toMatchObject({ ok: false });
  });

  it('stops: the port no longer answers', async () => {
    expect(await call('field:stop', {})).toMatchObject({ running: false, port: null });
    expect(await poll('uv-f2')).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
    expect(c.audit.query({ action: 'field.stop', offset: 0, limit: 10 }).records).toHaveLength(1);
  });

  it('locking the console stops the link (serving needs the unlocked store), audited', async () => {
    port = (await call('field:start', { host: '127.0.0.1', port: 0 })).port!;
    await call('session:lock', {});
    expect(c.field.status()).toMatchObject({ running: false, port: null });
    expect(await poll('uv-f2')).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
    await call('session:unlock', { operator: OPERATOR, passphrase: PASS });
    expect(c.audit.query({ action: 'field.stop', offset: 0, limit: 10 }).records).toHaveLength(2);
  });

  it('headless: `field --listen` serves the simulator process (`robot.ts --field`) until stopped', async () => {
    c.close();
    closed = true;
    let stdout = '';
    let stop: (reason: string) => void = () => undefined;
    const stopped = new Promise<string>((r) => (stop = r));
    const cli = runCli({
      argv: ['--data-dir', dir, '--operator', OPERATOR, 'field', '--listen', '127.0.0.1:0'],
      env: cliEnv({ ECPS_PASSPHRASE: PASS }),
      stdin: Readable.from([]),
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: () => undefined },
      untilStopped: () => stopped,
    });
    const line = await until(() => /listening on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]);
    const robot = ['--device-id', 'uv-f2', '--keystore', keystores.get('uv-f2')!, '--ca-cert', caFile, '--site', 'Plant 1', '--model', 'UV-7'];
    expect(await simulatorPoll(['--field', `127.0.0.1:${line}`, ...robot])).toEqual({ exitCode: 0, json: { ok: true, result: 'up_to_date' } });
    expect(await simulatorPoll(['--field', `127.0.0.1:${line}`, '--device-id', 'uv-f3', '--keystore', keystores.get('uv-f3')!, '--ca-cert', caFile]))
      .toMatchObject({ exitCode: 1, json: { ok: false, code: 'certificate_revoked' } });
    stop('test done');
    expect(await cli).toBe(0);
  });

  it('headless: `field --listen HOST:PORT --at-unlock` stores the address; `field` alone then serves on it', async () => {
    const run = (args: string[]) => {
      const out = { stdout: '', stderr: '' };
      let stop: (reason: string) => void = () => undefined;
      const stopped = new Promise<string>((r) => (stop = r));
      const exit = runCli({
        argv: ['--data-dir', dir, '--operator', OPERATOR, 'field', ...args],
        env: cliEnv({ ECPS_PASSPHRASE: PASS }),
        stdin: Readable.from([]),
        stdout: { write: (t: string) => (out.stdout += t) },
        stderr: { write: (t: string) => (out.stderr += t) },
        untilStopped: () => stopped,
      });
      return { out, exit, stop };
    };
    // Nothing stored yet: `field` alone is refused and names --listen; --at-unlock without an address is a usage error.
    const none = run([]);
    expect(await none.exit).toBe(1);
    expect(none.out.stderr).toContain('invalid_input');
    expect(none.out.stderr).toContain('--listen');
    expect(await run(['--at-unlock']).exit).toBe(2);
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const storing = run(['--listen', `127.0.0.1:${port}`, '--at-unlock']);
    expect(await until(() => /listening on 127\.0\.0\.1:(\d+)/.exec(storing.out.stdout)?.[1])).toBe(String(port));
    storing.stop('test done');
    expect(await storing.exit).toBe(0);
    // `field` alone: the stored address; the simulator polls it.
    const stored = run([]);
    expect(await until(() => /listening on 127\.0\.0\.1:(\d+)/.exec(stored.out.stdout)?.[1])).toBe(String(port));
    const robot = ['--device-id', 'uv-f2', '--keystore', keystores.get('uv-f2')!, '--ca-cert', caFile, '--site', 'Plant 1', '--model', 'UV-7'];
    expect(await simulatorPoll(['--field', `127.0.0.1:${port}`, ...robot])).toEqual({ exitCode: 0, json: { ok: true, result: 'up_to_date' } });
    stored.stop('test done');
    expect(await stored.exit).toBe(0);
  });
});
