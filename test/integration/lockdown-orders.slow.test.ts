// Lockdown orders issued by the console (docs/lockdown-orders.md): signed with the active emergency key through the
// key service, one sequence for lockdowns and lifts, every order audited, and the file accepted by the robot's checks
// (verifyOrder) with the public key the console shows for its emergency key.
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyLockdownOrder, lockdownState, operate } from '../robot-sim/lockdown.ts';
import { LockdownOrderError, verifyOrder, type RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { CTX, codeOf, openUnlocked, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

afterAll(removeTempDirs);

const ROBOT: RobotFacts = { deviceId: 'uv-001', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] };
const LOCK = { kind: 'lockdown' as const, scope: { site: 'Plant 1' }, actions: ['stop_operating' as const], reason: 'robot uv-009 stolen', message: 'Security lockdown: stop', validForSeconds: 3600 };

describe('lockdown orders from the console', () => {
  it('signs with the emergency key; sequences rise across lockdowns and lifts; each order is audited; robots accept the file', async () => {
    const c = await openUnlocked();
    const h = c.handlers;
    try {
      // Without an emergency key there is nothing to sign with.
      expect(await codeOf(() => h['emergency:lockdownOrder'](LOCK, CTX))).toBe('not_found');
      const key = await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
      const pub = createPublicKey((await h['keys:publicKey']({ keyId: key.id }, CTX)).pem);

      const first = await h['emergency:lockdownOrder'](LOCK, CTX);
      const lift = await h['emergency:lockdownOrder']({ ...LOCK, kind: 'lift', actions: [] }, CTX);
      expect([first.order.sequence, lift.order.sequence]).toEqual([1, 2]);
      expect(first.order).toMatchObject({ kind: 'lockdown', state: 'issued', keyId: key.id, keyVersion: 1, issuedBy: 'alice', scope: { site: 'Plant 1' } });
      expect(first.fileName).toMatch(/^ecps-lockdown-1-[0-9a-f]{8}\.json$/);

      // The robot's checks accept both files in order, then refuse the first again.
      const now = new Date();
      const a = verifyOrder(Buffer.from(first.content, 'base64'), { emergencyPublicKey: pub, robot: ROBOT, lastSequence: 0, now });
      expect(a).toMatchObject({ kind: 'lockdown', sequence: 1, actions: ['stop_operating'], message: 'Security lockdown: stop' });
      expect(Date.parse(a.expiresAt) - Date.parse(a.issuedAt)).toBe(3600_000);
      expect(verifyOrder(Buffer.from(lift.content, 'base64'), { emergencyPublicKey: pub, robot: ROBOT, lastSequence: 1, now }).kind).toBe('lift');
      expect(() => verifyOrder(Buffer.from(first.content, 'base64'), { emergencyPublicKey: pub, robot: ROBOT, lastSequence: 2, now })).toThrow(LockdownOrderError);

      // Audited: the order (with its scope and sequence) and the signature as a key operation.
      const orders = (await h['audit:query']({ action: 'lockdown.order', offset: 0, limit: 10 }, CTX)).records;
      // The first attempt, without an emergency key, was refused before a number was reserved: audited, no sequence.
      expect(orders.map((r) => [r.outcome, r.details.kind, r.details.sequence, r.details.code])).toEqual([['success', 'lift', 2, undefined], ['success', 'lockdown', 1, undefined], ['failure', 'lockdown', undefined, 'not_found']]);
      expect(orders[2]?.details).toMatchObject({ signed: false, refusal: expect.stringMatching(/^No active emergency key/) });
      expect(orders[1]?.details).toMatchObject({ scope: '{"site":"Plant 1"}', actions: 'stop_operating', reason: 'robot uv-009 stolen', keyVersion: 1 });
      expect((await h['audit:query']({ action: 'key.sign', offset: 0, limit: 10 }, CTX)).records.filter((r) => r.targetId === key.id)).toHaveLength(2);

      expect((await h['emergency:lockdownList']({}, CTX)).orders.map((o) => [o.sequence, o.kind, o.state])).toEqual([[2, 'lift', 'issued'], [1, 'lockdown', 'issued']]);
    } finally {
      await c.close();
    }
  });

  it('refuses what robots would refuse, burning no sequence; a suspended emergency key signs nothing', async () => {
    const c = await openUnlocked();
    const h = c.handlers;
    try {
      const key = await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
      // A lockdown with no action, a lift with one, wipe_keys without keys: invalid_input, nothing reserved.
      expect(await codeOf(() => h['emergency:lockdownOrder']({ ...LOCK, actions: [] }, CTX))).toBe('invalid_input');
      expect(await codeOf(() => h['emergency:lockdownOrder']({ ...LOCK, kind: 'lift' }, CTX))).toBe('invalid_input');
      expect(await codeOf(() => h['emergency:lockdownOrder']({ ...LOCK, actions: ['wipe_keys'] }, CTX))).toBe('invalid_input');
      // Only an emergency key signs orders: not an encryption key, nor another signing key (robots trust only the
      // emergency key, and its RSA-PSS signature).
      const comm = await h['keys:create']({ type: 'communication', label: 'comm', algorithm: 'AES_256' }, CTX);
      const identity = await h['keys:create']({ type: 'device_identity', label: 'id', algorithm: 'EC_P256' }, CTX);
      for (const other of [comm.id, identity.id]) expect(await codeOf(() => h['emergency:lockdownOrder']({ ...LOCK, keyId: other }, CTX))).toBe('unsupported_operation');
      expect((await h['emergency:lockdownList']({}, CTX)).orders).toEqual([]);

      await h['keys:setState']({ keyId: key.id, state: 'suspended', reason: 'drill' }, CTX);
      expect(await codeOf(() => h['emergency:lockdownOrder'](LOCK, CTX))).toBe('not_found');
      expect(await codeOf(() => h['emergency:lockdownOrder']({ ...LOCK, keyId: key.id }, CTX))).toBe('illegal_transition');

      await h['keys:setState']({ keyId: key.id, state: 'active', reason: 'drill over' }, CTX);
      expect((await h['emergency:lockdownOrder'](LOCK, CTX)).order.sequence).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('a locked console issues nothing', async () => {
    const c = await openUnlocked();
    try {
      await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
      await c.handlers['session:lock']({}, CTX);
      expect(await codeOf(() => c.handlers['emergency:lockdownOrder'](LOCK, CTX))).toBe('locked');
      expect(await codeOf(() => c.handlers['emergency:lockdownList']({}, CTX))).toBe('locked');
    } finally {
      await c.close();
    }
  });
});

/** Runs the simulator binary (a robot reading a file from a USB stick) and returns its exit code and JSON line. */
function robotProcess(args: string[]): Promise<{ code: number | null; json: { ok: boolean; code?: string; locked?: boolean } }> {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const p = spawn(process.execPath, ['test/robot-sim/robot.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, json: JSON.parse(out.trim().split('\n').pop() ?? '{}') })));
}

describe('the robot simulator obeys the console\'s orders', () => {
  it('a site lockdown stops the robot at that site; forged, replayed and out-of-scope orders change nothing; a lift restores it', async () => {
    const c = await openUnlocked();
    const h = c.handlers;
    try {
      const key = await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
      const emergencyKeyPem = (await h['keys:publicKey']({ keyId: key.id }, CTX)).pem;
      const lock = Buffer.from((await h['emergency:lockdownOrder'](LOCK, CTX)).content, 'base64');
      const otherSite = Buffer.from((await h['emergency:lockdownOrder']({ ...LOCK, scope: { site: 'Plant 2' } }, CTX)).content, 'base64');
      const lift = Buffer.from((await h['emergency:lockdownOrder']({ ...LOCK, kind: 'lift', actions: [] }, CTX)).content, 'base64');
      const atPlant1 = tempDir('ecps-robot-');
      const atPlant2 = tempDir('ecps-robot-');
      const now = new Date();
      const apply = (keystore: string, file: Buffer, site: string) =>
        applyLockdownOrder({ keystore, facts: { ...ROBOT, site }, emergencyKeyPem, file, now });

      expect(operate(atPlant1, now)).toEqual({ ok: true, safeMode: false });
      expect(apply(atPlant1, lock, 'Plant 1').state.locked).toMatchObject({ sequence: 1, actions: ['stop_operating'], message: 'Security lockdown: stop' });
      expect(operate(atPlant1, now)).toEqual({ ok: false, code: 'locked_down', message: 'Security lockdown: stop' });

      // The robot at the other site is not in scope of the first order and stays working.
      expect(() => apply(atPlant2, lock, 'Plant 2')).toThrow(expect.objectContaining({ code: 'out_of_scope' }));
      expect(operate(atPlant2, now).ok).toBe(true);
      expect(lockdownState(atPlant2)).toEqual({ lastSequence: 0, locked: null });

      // A forged copy (the scope widened after signing) and a replay are refused; the state file is unchanged.
      const before = readFileSync(path.join(atPlant1, 'lockdown-state.json'), 'utf8');
      const outer = JSON.parse(otherSite.toString()) as { body: string };
      const forged = Buffer.from(JSON.stringify({ ...outer, body: Buffer.from(Buffer.from(outer.body, 'base64').toString().replace('Plant 2', 'Plant 1')).toString('base64') }));
      expect(() => apply(atPlant1, forged, 'Plant 1')).toThrow(expect.objectContaining({ code: 'tampered' }));
      expect(() => apply(atPlant1, lock, 'Plant 1')).toThrow(expect.objectContaining({ code: 'replayed' }));
      expect(readFileSync(path.join(atPlant1, 'lockdown-state.json'), 'utf8')).toBe(before);

      // The signed lift, as a file on a USB stick read by the simulator process, restores the robot.
      const liftFile = path.join(tempDir('ecps-usb-'), 'lift.json');
      writeFileSync(liftFile, lift);
      const pemFile = path.join(path.dirname(liftFile), 'emergency.pem');
      writeFileSync(pemFile, emergencyKeyPem);
      const applied = await robotProcess(['--apply-order', liftFile, '--emergency-key', pemFile, '--device-id', ROBOT.deviceId, '--keystore', atPlant1, '--site', 'Plant 1']);
      expect(applied).toEqual({ code: 0, json: { ok: true, kind: 'lift', sequence: 3, locked: false } });
      expect(await robotProcess(['--operate', '--keystore', atPlant1])).toMatchObject({ code: 0, json: { ok: true } });
      // The same lift again: replayed, exit 1.
      expect(await robotProcess(['--apply-order', liftFile, '--emergency-key', pemFile, '--device-id', ROBOT.deviceId, '--keystore', atPlant1, '--site', 'Plant 1'])).toMatchObject({ code: 1, json: { ok: false, code: 'replayed' } });
    } finally {
      await c.close();
    }
  });
});
