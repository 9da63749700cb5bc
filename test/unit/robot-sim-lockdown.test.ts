// The robot simulator's side of lockdown orders (test/robot-sim/lockdown.ts; docs/lockdown-orders.md, "What a robot
// checks" and "Delivery") called in process, so Stryker sees it: the robot-as-a-child-process tests
// (test/integration/lockdown-orders.slow.test.ts, lockdown-delivery*.slow.test.ts) run it unmutated. Each order is built
// by the test from the documented format (its JSON text in the documented member order, RSA-PSS SHA-256 salt 32 over
// "ECPS-LOCKDOWN-v1" 0x00 body), never by the console's encoder. The robot's keystore is a real temp folder.
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { applyLockdownOrder, emergencyKeyFile, lockdownState, operate, receiveItem, storeEmergencyKey } from '../robot-sim/lockdown.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const keystore = () => {
  const d = mkdtempSync(join(tmpdir(), 'ecps-robot-ks-'));
  dirs.push(d);
  return d;
};

const emergency = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });
const keyId = (k: KeyObject) => createHash('sha256').update(spki(k)).digest('hex');
const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }).toString();
const NOW = new Date('2026-12-04T12:00:00.000Z');
const FACTS: RobotFacts = { deviceId: 'uv-7', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: ['ward-b'] };

function order(over: Record<string, unknown> = {}, signer: KeyObject = emergency.privateKey): Buffer {
  const body = Buffer.from(JSON.stringify({
    v: 1, orderId: 'a'.repeat(32), kind: 'lockdown', sequence: 5, issuedAt: '2026-12-04T11:00:00.000Z', expiresAt: '2026-12-05T11:00:00.000Z',
    scope: { site: 'Plant 1' }, actions: ['stop_operating'], wipeKeys: [], mode: 'strict', reason: 'robot uv-9 stolen', message: 'Stop: security lockdown',
    signerKeyId: keyId(emergency.publicKey), ...over,
  }));
  const sig = sign('sha256', Buffer.concat([Buffer.from('ECPS-LOCKDOWN-v1\0'), body]), { key: signer, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return Buffer.from(JSON.stringify({ format: 'ECPS-LOCKDOWN-v1', body: body.toString('base64'), signature: sig.toString('base64') }));
}
const lift = (sequence: number, over: Record<string, unknown> = {}) => order({ kind: 'lift', actions: [], sequence, orderId: 'b'.repeat(32), ...over });

/** A provisioned robot: the emergency key stored in its keystore as the simulator stores it (SPKI DER in, PEM kept). */
function provisioned(): string {
  const ks = keystore();
  storeEmergencyKey(ks, spki(emergency.publicKey));
  return ks;
}
const item = (ks: string, content: Buffer, now = NOW, facts = FACTS) => receiveItem({ keystore: ks, facts, caCertPem: '', kind: 'order', content, now });
const stateText = (ks: string) => (existsSync(join(ks, 'lockdown-state.json')) ? readFileSync(join(ks, 'lockdown-state.json'), 'utf8') : null);

describe('robot simulator: storing the emergency key', () => {
  it('keeps the key as PEM (0600, no temp file left); without one the robot trusts no order', () => {
    const ks = provisioned();
    expect(readFileSync(emergencyKeyFile(ks), 'utf8')).toBe(pem(emergency.publicKey));
    expect(statSync(emergencyKeyFile(ks)).mode & 0o777).toBe(0o600);
    expect(readdirSync(ks).sort()).toEqual(['emergency-key.pem']);
    const bare = keystore();
    expect(item(bare, order())).toEqual({ result: 'no_emergency_key', message: 'this robot holds no emergency key: it trusts no order' });
    expect(() => applyLockdownOrder({ keystore: bare, facts: FACTS, file: order(), now: NOW })).toThrow('lockdown order: this robot holds no emergency key (no_emergency_key): it trusts no order');
    try {
      applyLockdownOrder({ keystore: bare, facts: FACTS, file: order(), now: NOW });
    } catch (e) {
      expect((e as { code: string }).code).toBe('foreign');
    }
    expect(stateText(bare)).toBeNull();
  });

  it('--emergency-key (a PEM given) is used instead of the stored key', () => {
    const ks = provisioned();
    const byOther = order({ signerKeyId: keyId(other.publicKey) }, other.privateKey);
    expect(() => applyLockdownOrder({ keystore: ks, facts: FACTS, file: byOther, now: NOW })).toThrow(/another key/);
    expect(applyLockdownOrder({ keystore: ks, facts: FACTS, emergencyKeyPem: pem(other.publicKey), file: byOther, now: NOW }).state.lastSequence).toBe(5);
    // With no stored key at all, the PEM given is enough.
    const bare = keystore();
    expect(applyLockdownOrder({ keystore: bare, facts: FACTS, emergencyKeyPem: pem(emergency.publicKey), file: order(), now: NOW }).order.sequence).toBe(5);
  });
});

describe('robot simulator: the order checks, nothing written on refusal', () => {
  // Each refusal of docs/lockdown-orders.md on a robot that accepted sequence 5 already (or none).
  const cases: Array<[string, () => Buffer, string, number?, Date?]> = [
    ['forged (signed by another key, naming the emergency key)', () => order({}, other.privateKey), 'tampered'],
    ['forged (signed by another key, naming it)', () => order({ signerKeyId: keyId(other.publicKey) }, other.privateKey), 'foreign'],
    ['not an order', () => Buffer.from('stop!'), 'malformed'],
    ['replayed (the same order again)', () => order(), 'replayed', 5],
    ['an older sequence', () => order({ sequence: 4 }), 'replayed', 5],
    ['expired', () => order(), 'expired', 0, new Date('2026-12-05T11:00:00.000Z')],
    ['not yet valid', () => order(), 'not_yet_valid', 0, new Date('2026-12-04T10:54:59.999Z')],
    ['out of scope (another site)', () => order({ scope: { site: 'Plant 2' } }), 'out_of_scope'],
    ['out of scope (other robots by name)', () => order({ scope: { deviceIds: ['uv-1'] } }), 'out_of_scope'],
    ['a lift with an older sequence', () => lift(4), 'replayed', 5],
  ];
  it.each(cases)('refuses %s', (_n, make, code, last = 0, now = NOW) => {
    const ks = provisioned();
    if (last > 0) expect(item(ks, order({ sequence: last, orderId: 'c'.repeat(32) })).result).toBe('accepted');
    const before = stateText(ks);
    const r = item(ks, make(), now);
    expect(r.result).toBe(code);
    expect(r.message).toMatch(/^lockdown order: /);
    expect(stateText(ks)).toBe(before);
    expect(readdirSync(ks).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an error that is not an order refusal is thrown, not answered (a stored key that is no key)', () => {
    const broken = keystore();
    writeFileSync(emergencyKeyFile(broken), 'not a key');
    expect(() => item(broken, order())).toThrow();
    expect(stateText(broken)).toBeNull();
  });
});

describe('robot simulator: what an accepted order does', () => {
  it('a lockdown locks (state written 0600, atomically), the robot stops; a later lift unlocks; the lifted order cannot come back', () => {
    const ks = provisioned();
    expect(operate(ks, NOW)).toEqual({ ok: true, safeMode: false });
    expect(lockdownState(ks)).toEqual({ lastSequence: 0, locked: null });
    expect(item(ks, order())).toEqual({ result: 'accepted', message: 'lockdown 5 applied (locked)' });
    expect(JSON.parse(stateText(ks)!)).toEqual({
      lastSequence: 5,
      locked: { orderId: 'a'.repeat(32), sequence: 5, actions: ['stop_operating'], wipeKeys: [], message: 'Stop: security lockdown', expiresAt: '2026-12-05T11:00:00.000Z' },
    });
    expect(statSync(join(ks, 'lockdown-state.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(ks).sort()).toEqual(['emergency-key.pem', 'lockdown-state.json']);
    expect(operate(ks, NOW)).toEqual({ ok: false, code: 'locked_down', message: 'Stop: security lockdown' });
    // At the order's expiry the robot works again (the order no longer stands).
    expect(operate(ks, new Date('2026-12-05T11:00:00.000Z'))).toEqual({ ok: true, safeMode: false });
    expect(item(ks, lift(6))).toEqual({ result: 'accepted', message: 'lift 6 applied' });
    expect(lockdownState(ks)).toEqual({ lastSequence: 6, locked: null });
    expect(operate(ks, NOW)).toEqual({ ok: true, safeMode: false });
    expect(item(ks, order()).result).toBe('replayed');
    expect(operate(ks, NOW).ok).toBe(true);
  });

  it('safe mode: the robot operates in safe mode while the order stands, not after it expires', () => {
    const ks = provisioned();
    const r = applyLockdownOrder({ keystore: ks, facts: FACTS, file: order({ actions: ['safe_mode'] }), now: NOW });
    expect(r.order.actions).toEqual(['safe_mode']);
    expect(r.state).toEqual(lockdownState(ks));
    expect(operate(ks, NOW)).toEqual({ ok: true, safeMode: true });
    expect(operate(ks, new Date('2026-12-05T10:59:59.999Z'))).toEqual({ ok: true, safeMode: true });
    expect(operate(ks, new Date('2026-12-05T11:00:00.000Z'))).toEqual({ ok: true, safeMode: false });
    // A stop order with safe mode too stops the robot.
    applyLockdownOrder({ keystore: ks, facts: FACTS, file: order({ sequence: 6, actions: ['safe_mode', 'stop_operating'], message: 'Stopped' }), now: NOW });
    expect(operate(ks, NOW)).toEqual({ ok: false, code: 'locked_down', message: 'Stopped' });
  });

  it('a newer lockdown replaces the one standing', () => {
    const ks = provisioned();
    item(ks, order());
    expect(item(ks, order({ sequence: 9, orderId: 'd'.repeat(32), actions: ['refuse_revoked_peers'], message: 'Refuse revoked peers' })).message).toBe('lockdown 9 applied (locked)');
    expect(lockdownState(ks).locked).toMatchObject({ orderId: 'd'.repeat(32), sequence: 9, actions: ['refuse_revoked_peers'] });
    expect(operate(ks, NOW)).toEqual({ ok: true, safeMode: false });
  });
});
