// Lockdown orders (docs/lockdown-orders.md): the robot's checks. Every order here is built by the test from the
// documented format (its own JSON text in the documented member order, signed with node:crypto RSA-PSS SHA-256
// salt 32 over "ECPS-LOCKDOWN-v1" 0x00 body), not by the module's encoder, so a wrong encoder or verifier fails here.
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  applyOrder, distrustsCa, encodeOrder, LockdownOrderError, mayOperate, orderBodyBytes, UNLOCKED, verifyOrder, type OrderBody, type RobotFacts,
} from '../../electron/services/emergency/lockdownOrder.ts';

const emergency = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spkiHash = (k: KeyObject) => createHash('sha256').update(k.export({ format: 'der', type: 'spki' })).digest('hex');
const NOW = new Date('2026-12-04T12:00:00.000Z');
const ROBOT: RobotFacts = { deviceId: 'uv-7', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: ['ward-b'] };

/** The body as the documented JSON text: members in the format's order, no whitespace. */
function bodyText(over: Record<string, unknown> = {}): string {
  const b = {
    v: 1, orderId: 'a'.repeat(32), kind: 'lockdown', sequence: 5, issuedAt: '2026-12-04T11:00:00.000Z', expiresAt: '2026-12-05T11:00:00.000Z',
    scope: { site: 'Plant 1' }, actions: ['stop_operating'], wipeKeys: [], mode: 'strict', reason: 'robot uv-9 stolen', message: 'Stop: security lockdown',
    signerKeyId: spkiHash(emergency.publicKey), ...over,
  };
  return JSON.stringify(b);
}

function file(body: string, signer: KeyObject = emergency.privateKey, outer: Record<string, unknown> = {}): Buffer {
  const bytes = Buffer.from(body);
  const sig = sign('sha256', Buffer.concat([Buffer.from('ECPS-LOCKDOWN-v1\0'), bytes]), { key: signer, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return Buffer.from(JSON.stringify({ format: 'ECPS-LOCKDOWN-v1', body: bytes.toString('base64'), signature: sig.toString('base64'), ...outer }));
}

const check = (f: Buffer, o: { lastSequence?: number; robot?: RobotFacts; now?: Date } = {}) =>
  verifyOrder(f, { emergencyPublicKey: emergency.publicKey, robot: o.robot ?? ROBOT, lastSequence: o.lastSequence ?? 0, now: o.now ?? NOW });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LockdownOrderError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('lockdown order: what a robot accepts', () => {
  it('accepts an order made to the documented format and returns its fields', () => {
    const body = check(file(bodyText()));
    expect(body).toMatchObject({ kind: 'lockdown', sequence: 5, scope: { site: 'Plant 1' }, actions: ['stop_operating'], message: 'Stop: security lockdown' });
  });

  it('the module encodes exactly the documented bytes (its body and file verify, byte for byte the test\'s text)', () => {
    const parsed = JSON.parse(bodyText()) as OrderBody;
    expect(orderBodyBytes(parsed).toString()).toBe(bodyText());
    const f = encodeOrder(orderBodyBytes(parsed), Buffer.from(JSON.parse(file(bodyText()).toString()).signature, 'base64'));
    expect(check(f).orderId).toBe('a'.repeat(32));
  });

  const sig = () => JSON.parse(file(bodyText()).toString()).signature as string;
  const cases: Array<[string, () => Buffer, string, { lastSequence?: number; robot?: RobotFacts; now?: Date }?]> = [
    ['not JSON', () => Buffer.from('lockdown!'), 'malformed'],
    ['another format name', () => file(bodyText(), emergency.privateKey, { format: 'ECPS-LOCKDOWN-v2' }), 'malformed'],
    ['an extra outer member', () => file(bodyText(), emergency.privateKey, { note: 'x' }), 'malformed'],
    ['signature not base64', () => file(bodyText(), emergency.privateKey, { signature: 'not base64!' }), 'malformed'],
    ['body re-serialised with whitespace', () => Buffer.from(JSON.stringify({ format: 'ECPS-LOCKDOWN-v1', body: Buffer.from(JSON.stringify(JSON.parse(bodyText()), null, 1)).toString('base64'), signature: sig() })), 'tampered'],
    ['members reordered', () => file(JSON.stringify({ orderId: 'a'.repeat(32), v: 1, ...JSON.parse(bodyText()) })), 'tampered'],
    ['scope widened after signing', () => Buffer.from(JSON.stringify({ format: 'ECPS-LOCKDOWN-v1', body: Buffer.from(bodyText({ scope: { fleet: true } })).toString('base64'), signature: sig() })), 'tampered'],
    ['signed by another key, naming it', () => file(bodyText({ signerKeyId: spkiHash(other.publicKey) }), other.privateKey), 'foreign'],
    ['signed by another key, naming the emergency key', () => file(bodyText(), other.privateKey), 'tampered'],
    ['expired', () => file(bodyText({ issuedAt: '2026-12-01T00:00:00.000Z', expiresAt: '2026-12-04T11:59:59.000Z' })), 'expired'],
    ['expiring at this very moment', () => file(bodyText({ expiresAt: NOW.toISOString() })), 'expired'],
    ['issued an hour in the future', () => file(bodyText({ issuedAt: '2026-12-04T13:00:00.000Z' })), 'not_yet_valid'],
    ['replayed (sequence equal to the last accepted)', () => file(bodyText()), 'replayed', { lastSequence: 5 }],
    ['older sequence', () => file(bodyText({ sequence: 3 })), 'replayed', { lastSequence: 4 }],
    ['another site', () => file(bodyText({ scope: { site: 'Plant 2' } })), 'out_of_scope'],
    ['other robots by name', () => file(bodyText({ scope: { deviceIds: ['uv-1', 'uv-2'] } })), 'out_of_scope'],
    ['another model', () => file(bodyText({ scope: { model: 'UV-9' } })), 'out_of_scope'],
    ['another firmware', () => file(bodyText({ scope: { firmware: '2.0.0' } })), 'out_of_scope'],
    ['a tag the robot lacks', () => file(bodyText({ scope: { tag: 'ward-c' } })), 'out_of_scope'],
    ['best effort and the robot does not know its site', () => file(bodyText({ mode: 'best_effort' })), 'out_of_scope', { robot: { ...ROBOT, site: null } }],
    ['a lockdown without action', () => file(bodyText({ actions: [] })), 'tampered'],
    ['a lift with an action', () => file(bodyText({ kind: 'lift' })), 'tampered'],
    ['wipe_keys without keys', () => file(bodyText({ actions: ['wipe_keys'] })), 'tampered'],
    ['valid for more than 90 days', () => file(bodyText({ expiresAt: '2027-03-05T11:00:00.000Z' })), 'tampered'],
    ['two selectors in the scope', () => file(bodyText({ scope: { site: 'Plant 1', model: 'UV-7' } })), 'tampered'],
    ['an unknown action', () => file(bodyText({ actions: ['self_destruct'] })), 'tampered'],
  ];
  it.each(cases)('refuses %s', (_name, make, code, o) => {
    expect(codeOf(() => check(make(), o))).toBe(code);
  });

  const accepted: Array<[string, Record<string, unknown>, RobotFacts?]> = [
    ['the whole fleet', { scope: { fleet: true } }],
    ['the robot by name', { scope: { deviceIds: ['uv-1', 'uv-7'] } }],
    ['its model', { scope: { model: 'UV-7' } }],
    ['its firmware', { scope: { firmware: '2.1.0' } }],
    ['its tag', { scope: { tag: 'ward-b' } }],
    ['strict and the robot does not know its site', {}, { ...ROBOT, site: null }],
    ['issued within the clock skew ahead', { issuedAt: '2026-12-04T12:04:00.000Z' }],
  ];
  it.each(accepted)('accepts a scope of %s', (_name, over, robot) => {
    expect(codeOf(() => check(file(bodyText(over)), robot ? { robot } : {}))).toBe('accepted');
  });
});

describe('lockdown order: what the robot does', () => {
  it('a lockdown stops the robot until it expires or a later lift arrives; the lift needs a higher sequence', () => {
    const lock = check(file(bodyText()));
    let state = applyOrder(UNLOCKED, lock);
    expect(mayOperate(state, NOW)).toBe(false);
    expect(mayOperate(state, new Date('2026-12-05T11:00:00.000Z'))).toBe(true); // the order's expiry
    const liftText = bodyText({ kind: 'lift', sequence: 6, actions: [], orderId: 'b'.repeat(32) });
    expect(codeOf(() => check(file(liftText), { lastSequence: state.lastSequence }))).toBe('accepted');
    state = applyOrder(state, check(file(liftText), { lastSequence: state.lastSequence }));
    expect(state).toEqual({ lastSequence: 6, locked: null });
    expect(mayOperate(state, NOW)).toBe(true);
    // The lockdown it lifted cannot be replayed.
    expect(codeOf(() => check(file(bodyText()), { lastSequence: state.lastSequence }))).toBe('replayed');
  });

  it('safe mode alone keeps the robot operating (in safe mode); stop_operating is what stops it', () => {
    const state = applyOrder(UNLOCKED, check(file(bodyText({ actions: ['safe_mode'] }))));
    expect(state.locked?.actions).toEqual(['safe_mode']);
    expect(mayOperate(state, NOW)).toBe(true);
  });
});

describe('lockdown order v2: distrust a fleet CA (docs/lockdown-orders.md, "distrust_ca")', () => {
  const CA_X = 'ab'.repeat(32);
  const CA_Y = 'cd'.repeat(32);
  const v2 = (over: Record<string, unknown>) => bodyText({ v: 2, scope: { fleet: true }, actions: ['distrust_ca'], wipeKeys: [], distrustCas: [CA_X], ...over })
    // the documented member order: distrustCas right after wipeKeys
    .replace(/,"distrustCas":\[[^\]]*\]/, '')
    .replace('"wipeKeys":[]', `"wipeKeys":[],"distrustCas":${JSON.stringify((over.distrustCas as string[] | undefined) ?? [CA_X])}`);

  it('a signed v2 order is accepted and its CAs stay distrusted after a lift, a later lockdown and its own expiry', () => {
    const order = check(file(v2({})));
    expect(order).toMatchObject({ v: 2, actions: ['distrust_ca'], distrustCas: [CA_X] });
    let state = applyOrder(UNLOCKED, order);
    expect(distrustsCa(state, CA_X)).toBe(true);
    expect(distrustsCa(state, CA_Y)).toBe(false);
    expect(mayOperate(state, NOW)).toBe(true); // distrust alone does not stop the robot
    state = applyOrder(state, check(file(bodyText({ sequence: 6, kind: 'lift', actions: [] })), { lastSequence: state.lastSequence }));
    expect(state.locked).toBeNull();
    expect(distrustsCa(state, CA_X)).toBe(true);
    state = applyOrder(state, check(file(bodyText({ sequence: 7 })), { lastSequence: state.lastSequence }));
    expect(distrustsCa(state, CA_X)).toBe(true);
    state = applyOrder(state, check(file(v2({ sequence: 8, distrustCas: [CA_Y, CA_X] })), { lastSequence: state.lastSequence }));
    expect(state.distrustedCas).toEqual([CA_X, CA_Y]);
  });

  it('a v2 body whose distrustCas sits elsewhere is not canonical: tampered', () => {
    const moved = bodyText({ v: 2, actions: ['distrust_ca'] }).replace(/}$/, `,"distrustCas":["${CA_X}"]}`);
    expect(codeOf(() => check(file(moved)))).toBe('tampered');
  });

  it('an order without distrust_ca leaves a state file of before v2 (no distrustedCas) as it was', () => {
    const state = applyOrder(UNLOCKED, check(file(bodyText())));
    expect('distrustedCas' in state).toBe(false);
    expect(distrustsCa(state, CA_X)).toBe(false);
  });
});
