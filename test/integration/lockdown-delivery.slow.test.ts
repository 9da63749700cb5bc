// Delivery of lockdown orders and the CRL to robots (issue 15, docs/lockdown-orders.md "Delivery"), in the real console
// (createConsole in a temp folder, fleet CA on the local provider) with the robot simulator on socat ptys:
// - provisioning gives the robot the console's emergency public key (CERT frame); a robot provisioned before the key
//   existed has none and gets it in its next key bundle, with the pending order, which it then obeys;
// - at a distribute-mode station the robot receives the pending site lockdown and the newest CRL (ORDER frames),
//   refuses to operate and refuses a peer whose certificate the CRL lists; each answer is recorded and audited;
// - forged, foreign-signed, replayed, older, expired and out-of-scope orders over the link are each refused with
//   their typed code and change nothing on the robot; a signed lift restores it.
import { X509Certificate, createPublicKey, generateKeyPairSync, sign as cryptoSign, constants } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { systemClock } from '../../electron/clock.ts';
import {
  emergencySignerKeyId, encodeOrder, orderBodyBytes, orderSigningInput, verifyOrder, type OrderBody,
} from '../../electron/services/emergency/lockdownOrder.ts';
import { runDistributionSession, type OrderAnswer, type OrderItemForLink } from '../../electron/station/distributeSession.ts';
import { StationError } from '../../electron/station/errors.ts';
import { openSerialPort } from '../../electron/station/station.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { lockdownState } from '../robot-sim/lockdown.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller } from './support/consoleCalls.ts';
import { createStationConsole, distributeWithSimulator, initStationFleet, provisionWithSimulator, robotBench, robotSays, type StationProgress } from './support/stationRig.ts';

const PLANT1 = ['--site', 'Plant 1', '--model', 'UV-7'];
const LOCK = { kind: 'lockdown' as const, scope: { site: 'Plant 1' }, actions: ['stop_operating' as const], reason: 'uv-l2 stolen', message: 'Security lockdown: stop now', validForSeconds: 3600 };

describe('lockdown orders and the CRL reach robots', () => {
  const dir = tempDir('ecps-delivery-console-');
  const work = tempDir('ecps-delivery-work-');
  const progress: StationProgress[] = [];
  let c: FleetConsole;
  let caFile = '';
  const ks = { l1: '', l2: '' };
  const files: Record<string, Buffer> = {};
  const call = contractCaller(() => c);
  const bench = robotBench(() => caFile);
  const operate = (keystore: string, extra: string[] = []) => robotSays(['--operate', '--keystore', keystore, ...extra]);
  const order = async (input: typeof LOCK | (Omit<typeof LOCK, 'kind' | 'actions'> & { kind: 'lift'; actions: never[] })) =>
    Buffer.from((await call('emergency:lockdownOrder', input)).content, 'base64');
  const deliveries = (deviceId: string) =>
    c.audit.query({ action: 'lockdown.deliver', targetId: deviceId, offset: 0, limit: 100 }).records.map((r) => [r.outcome, r.details.item, r.details.ref, r.details.channel, r.details.result]).reverse();

  beforeAll(async () => {
    c = await createStationConsole({ dataDir: dir, station: { stepTimeoutMs: 60_000, pollIntervalMs: 200 }, progress });
    const fleet = await initStationFleet(call, { ca: { commonName: 'Lockdown Delivery CA', work }, robots: { 'uv-l1': 'Lockdown target', 'uv-l2': 'Provisioned before the emergency key' } });
    caFile = fleet.caFile;
    ks.l1 = tempDir('ecps-robot-l1-');
    ks.l2 = tempDir('ecps-robot-l2-');
  });
  afterAll(() => {
    bench.release();
    c.close();
    removeTempDirs();
  });

  it('provisioning gives the robot the emergency public key; a robot provisioned before there was one has none', async () => {
    const before = await provisionWithSimulator(c, bench, progress, 'uv-l2', { keystore: ks.l2, extraArgs: PLANT1 });
    expect(before.robot.exitCode).toBe(0);
    expect(existsSync(path.join(ks.l2, 'emergency-key.pem'))).toBe(false);

    const key = await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    const out = await provisionWithSimulator(c, bench, progress, 'uv-l1', { keystore: ks.l1, extraArgs: PLANT1 });
    expect(out.robot.exitCode).toBe(0);
    const held = createPublicKey(readFileSync(path.join(ks.l1, 'emergency-key.pem'), 'utf8')).export({ format: 'der', type: 'spki' });
    const console = createPublicKey((await call('keys:publicKey', { keyId: key.id })).pem).export({ format: 'der', type: 'spki' });
    expect(held.equals(console)).toBe(true);
  });

  it('a key bundle file brings the key and the pending site lockdown to the older robot, which then stops', async () => {
    files.lock1 = await order(LOCK);
    // Without the key, the robot trusts no order: refused, nothing changed.
    const orderFile = path.join(work, 'lock1.json');
    writeFileSync(orderFile, files.lock1);
    expect(await robotSays(['--apply-order', orderFile, '--device-id', 'uv-l2', '--keystore', ks.l2, ...PLANT1])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'foreign' } });
    expect((await operate(ks.l2)).exitCode).toBe(0);

    const bundle = await call('bundles:build', { deviceId: 'uv-l2' });
    const bundleFile = path.join(work, bundle.fileName);
    writeFileSync(bundleFile, Buffer.from(bundle.content, 'base64'));
    const installed = await robotSays(['--install-bundle', bundleFile, '--device-id', 'uv-l2', '--keystore', ks.l2, '--ca-cert', caFile, ...PLANT1]);
    expect(installed).toMatchObject({ exitCode: 0, json: { ok: true, emergency: { emergencyKey: true, items: [{ kind: 'order', result: 'accepted' }] } } });
    expect(await operate(ks.l2)).toMatchObject({ exitCode: 1, json: { ok: false, code: 'locked_down', message: 'Security lockdown: stop now' } });
    expect(deliveries('uv-l2')).toEqual([['success', 'order', 1, 'bundle', 'included']]);
  });

  let revokedSerial = '';
  it('at the station the robot receives the lockdown and the newest CRL: it stops operating and refuses the revoked peer', async () => {
    revokedSerial = (await call('fleet:get', { deviceId: 'uv-l2' })).certificates[0]!.serial;
    await call('certs:revoke', { serial: revokedSerial, reason: 'keyCompromise' });
    const crl = await call('ca:crl', {});
    expect((await operate(ks.l1)).exitCode).toBe(0);

    const out = await distributeWithSimulator(c, bench, progress, 'uv-l1', { keystore: ks.l1, extraArgs: PLANT1 });
    expect(out.result).toMatchObject({ ok: true });
    expect(out.robot.json).toMatchObject({ ok: true, mode: 'distribute', orders: [{ kind: 'order', result: 'accepted' }, { kind: 'crl', result: 'accepted' }] });
    expect(await operate(ks.l1)).toMatchObject({ exitCode: 1, json: { code: 'locked_down' } });
    expect(await robotSays(['--check-peer', revokedSerial, '--keystore', ks.l1])).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });
    expect(await robotSays(['--check-peer', '0123abcd', '--keystore', ks.l1])).toMatchObject({ exitCode: 0, json: { ok: true } });
    expect(deliveries('uv-l1')).toEqual([
      ['success', 'order', 1, 'serial', 'accepted'],
      ['success', 'crl', crl.crlNumber, 'serial', 'accepted'],
    ]);

    // Nothing is pending any more: the next session goes straight to the bundle.
    const seen = progress.length;
    const again = await distributeWithSimulator(c, bench, progress, 'uv-l1', { keystore: ks.l1, extraArgs: PLANT1 });
    expect(again.result).toMatchObject({ ok: true });
    expect(progress.slice(seen).some((p) => p.step === 'orders')).toBe(false);
    expect(deliveries('uv-l1')).toHaveLength(2);
  });

  /**
   * One distribution session on a fresh cable whose ORDER frames carry `items` (test-made, or replayed files), through
   * the station's own session code; the bundle is then refused (the session ends there). Returns the robot's answers.
   */
  const push = async (items: OrderItemForLink[], extraArgs: string[] = []) => {
    const { pair, robot } = await bench.robotOn('uv-l1', { keystore: ks.l1, waitSignal: true, extraArgs: [...PLANT1, ...extraArgs] });
    await robot.ready;
    const port = await openSerialPort(pair.consolePath, 115200);
    const channel = new FrameChannel(port, undefined, { probeIntervalMs: 250 });
    const answers: OrderAnswer[] = [];
    const session = runDistributionSession(channel, {
      isKnownRobot: () => true,
      orderItems: () => items,
      robotIdentityKey: () => new X509Certificate(readFileSync(path.join(ks.l1, 'identity.cert.pem'))).publicKey,
      recordOrderAnswer: (a) => void answers.push(a),
      issueBundle: () => Promise.reject(new StationError('not_provisioned', 'orders only')),
      commitInstalled: () => undefined,
      recordFailure: () => undefined,
    }, { port: pair.consolePath, clock: systemClock, logger: createMemoryLogger(), stepTimeoutMs: 60_000 });
    robot.powerOn();
    const [result] = await Promise.all([session, robot.result]);
    channel.detach();
    await new Promise<void>((r) => port.close(() => r()));
    expect(result).toMatchObject({ ok: false, step: 'bundle', error: { code: 'not_provisioned' } });
    return answers.map((a) => a.result);
  };

  it('forged, foreign, out-of-scope and expired orders over the link are refused with their code and change nothing', async () => {
    const stateBefore = readFileSync(path.join(ks.l1, 'lockdown-state.json'));
    const lift = await order({ ...LOCK, kind: 'lift', actions: [] });
    const forged = JSON.parse(lift.toString()) as { signature: string };
    const sig = Buffer.from(forged.signature, 'base64');
    sig[10] = (sig[10] ?? 0) ^ 1;
    const tampered = Buffer.from(JSON.stringify({ ...forged, signature: sig.toString('base64') }));
    // A lift signed by a key the robot does not trust.
    const mallory = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const body: OrderBody = { ...verifyOrder(lift, { emergencyPublicKey: createPublicKey(readFileSync(path.join(ks.l1, 'emergency-key.pem'))), robot: { deviceId: 'uv-l1', site: 'Plant 1', model: null, firmware: null, tags: null }, lastSequence: 0, now: new Date() }), sequence: 99, signerKeyId: emergencySignerKeyId(mallory.publicKey) };
    const bytes = orderBodyBytes(body);
    const foreign = encodeOrder(bytes, cryptoSign('sha256', orderSigningInput(bytes), { key: mallory.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
    const otherSite = await order({ ...LOCK, kind: 'lift', actions: [], scope: { site: 'Plant 2' } });
    const item = (content: Buffer, ref: number): OrderItemForLink => ({ kind: 'order', content, ref });

    expect(await push([item(tampered, 2), item(foreign, 99), item(otherSite, 3)])).toEqual(['tampered', 'foreign', 'out_of_scope']);
    // A robot whose clock is two hours ahead sees the genuine lift as expired.
    expect(await push([item(lift, 2)], ['--now', new Date(Date.now() + 2 * 3600_000).toISOString()])).toEqual(['expired']);
    expect(readFileSync(path.join(ks.l1, 'lockdown-state.json')).equals(stateBefore)).toBe(true);
    expect(await operate(ks.l1)).toMatchObject({ exitCode: 1, json: { code: 'locked_down' } });
    files.lift = lift;
  });

  it('a signed lift restores the robot; replaying it or the older lockdown is refused and changes nothing', async () => {
    const out = await distributeWithSimulator(c, bench, progress, 'uv-l1', { keystore: ks.l1, extraArgs: PLANT1 });
    expect(out.robot.json).toMatchObject({ ok: true, orders: [{ kind: 'order', result: 'accepted' }] });
    expect(await operate(ks.l1)).toMatchObject({ exitCode: 0, json: { ok: true } });
    expect(lockdownState(ks.l1)).toEqual({ lastSequence: 2, locked: null });
    expect(deliveries('uv-l1').at(-1)).toEqual(['success', 'order', 2, 'serial', 'accepted']);

    expect(await push([{ kind: 'order', content: files.lift!, ref: 2 }, { kind: 'order', content: files.lock1!, ref: 1 }])).toEqual(['replayed', 'replayed']);
    expect(lockdownState(ks.l1)).toEqual({ lastSequence: 2, locked: null });
    expect((await operate(ks.l1)).exitCode).toBe(0);
    // The peer stays refused: the CRL is held whatever the lockdown.
    expect((await robotSays(['--check-peer', revokedSerial, '--keystore', ks.l1])).exitCode).toBe(1);
  });
});
