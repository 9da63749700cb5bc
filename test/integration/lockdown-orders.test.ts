// Lockdown orders issued by the console (docs/lockdown-orders.md): signed with the active emergency key through the
// key service, one sequence for lockdowns and lifts, every order audited, and the file accepted by the robot's checks
// (verifyOrder) with the public key the console shows for its emergency key.
import { createPublicKey } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { LockdownOrderError, verifyOrder, type RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { CTX, codeOf, openUnlocked, removeTempDirs } from '../unit/store-testkit.ts';

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
      expect(orders.map((r) => [r.outcome, r.details.kind, r.details.sequence])).toEqual([['success', 'lift', 2], ['success', 'lockdown', 1]]);
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
