// Lockdown orders (docs/lockdown-orders.md), every field rule of the body and every step of the robot's check, with
// the exact refusal texts: the survivors of the first mutation run of lockdownOrder.ts (docs/mutation-testing.md,
// round (q)) were the field ranges, the message texts and the scope table, which lockdown-order.test.ts checks by code
// only. Orders are built by the test from the documented format (node:crypto RSA-PSS SHA-256 salt 32 over
// "ECPS-LOCKDOWN-v1" 0x00 body), never by the module's encoder; expected bytes are written out here.
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  applyOrder, checkOrderBody, emergencySignerKeyId, encodeOrder, LockdownOrderError, mayOperate, orderBodyBytes, orderSigningInput, scopeIncludes, UNLOCKED,
  verifyOrder, type OrderBody, type OrderScope, type RobotFacts, type RobotLockdownState,
} from '../../electron/services/emergency/lockdownOrder.ts';

const emergency = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spkiHash = (k: KeyObject) => createHash('sha256').update(k.export({ format: 'der', type: 'spki' })).digest('hex');
const NOW = new Date('2026-12-04T12:00:00.000Z');
const ROBOT: RobotFacts = { deviceId: 'uv-7', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: ['ward-b', 'night'] };
const UUID1 = '0b0c3a52-8f3e-4a8b-9c1d-2e3f4a5b6c7d';

const BASE = {
  v: 1, orderId: 'a'.repeat(32), kind: 'lockdown', sequence: 5, issuedAt: '2026-12-04T11:00:00.000Z', expiresAt: '2026-12-05T11:00:00.000Z',
  scope: { site: 'Plant 1' }, actions: ['stop_operating'], wipeKeys: [], mode: 'strict', reason: 'robot uv-9 stolen', message: 'Stop: security lockdown',
  signerKeyId: spkiHash(emergency.publicKey),
} as const;
const body = (over: Record<string, unknown> = {}) => ({ ...BASE, ...over });
const CA1 = 'c1'.repeat(32);
const CA2 = 'c2'.repeat(32);
/** A v2 order: the one that names distrust_ca and lists the CAs. */
const v2 = (over: Record<string, unknown> = {}) => body({ v: 2, actions: ['distrust_ca'], distrustCas: [CA1], ...over });

/** The refusal's code and message, or 'accepted'. */
function outcome(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LockdownOrderError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'accepted';
}
const M = (what: string) => `malformed: lockdown order: ${what}`;

describe('checkOrderBody: each field of docs/lockdown-orders.md', () => {
  const rows: Array<[string, unknown, string]> = [
    ['null', null, M('body must be an object')],
    ['an array', [BASE], M('body must be an object')],
    ['a string', 'body', M('body must be an object')],
    ['version 3', body({ v: 3 }), M('unsupported version')],
    ['version 0', body({ v: 0 }), M('unsupported version')],
    ['version "1"', body({ v: '1' }), M('unsupported version')],
    ['orderId upper case', body({ orderId: 'A'.repeat(32) }), M('orderId must be 32 lowercase hex characters')],
    ['orderId of 31', body({ orderId: 'a'.repeat(31) }), M('orderId must be 32 lowercase hex characters')],
    ['orderId of 33', body({ orderId: 'a'.repeat(33) }), M('orderId must be 32 lowercase hex characters')],
    ['orderId with a prefix', body({ orderId: `x${'a'.repeat(32)}` }), M('orderId must be 32 lowercase hex characters')],
    ['orderId a number', body({ orderId: 5 }), M('orderId must be 32 lowercase hex characters')],
    ['kind other', body({ kind: 'unlock' }), M('kind must be lockdown or lift')],
    ['sequence 0', body({ sequence: 0 }), M('sequence must be a positive integer')],
    ['sequence -1', body({ sequence: -1 }), M('sequence must be a positive integer')],
    ['sequence 1.5', body({ sequence: 1.5 }), M('sequence must be a positive integer')],
    ['sequence "5"', body({ sequence: '5' }), M('sequence must be a positive integer')],
    ['sequence 2^53', body({ sequence: 2 ** 53 }), M('sequence must be a positive integer')],
    ['issuedAt with an offset', body({ issuedAt: '2026-12-04T11:00:00.000+01:00' }), M('issuedAt must be an ISO-8601 UTC time')],
    ['issuedAt with a leading space', body({ issuedAt: ' 2026-12-04T11:00:00.000Z' }), M('issuedAt must be an ISO-8601 UTC time')],
    ['issuedAt with a trailing character', body({ issuedAt: '2026-12-04T11:00:00.000Zx' }), M('issuedAt must be an ISO-8601 UTC time')],
    ['issuedAt of two-digit milliseconds', body({ issuedAt: '2026-12-04T11:00:00.00Z' }), M('issuedAt must be an ISO-8601 UTC time')],
    ['issuedAt month 13', body({ issuedAt: '2026-13-04T11:00:00.000Z' }), M('issuedAt must be an ISO-8601 UTC time')],
    ['issuedAt a number', body({ issuedAt: 1_700_000_000_000 }), M('issuedAt must be an ISO-8601 UTC time')],
    ['expiresAt without Z', body({ expiresAt: '2026-12-05T11:00:00.000' }), M('expiresAt must be an ISO-8601 UTC time')],
    ['expiresAt equal to issuedAt', body({ expiresAt: BASE.issuedAt }), M('expiresAt must be after issuedAt')],
    ['expiresAt before issuedAt', body({ expiresAt: '2026-12-04T10:59:59.999Z' }), M('expiresAt must be after issuedAt')],
    ['valid 90 days and 1 ms', body({ expiresAt: '2027-03-04T11:00:00.001Z' }), M('an order is valid for 90 days at most')],
    ['scope null', body({ scope: null }), M('scope must be an object')],
    ['scope an array', body({ scope: [{ fleet: true }] }), M('scope must be an object')],
    ['scope a string', body({ scope: 'fleet' }), M('scope must be an object')],
    ['scope empty', body({ scope: {} }), M('scope must name exactly one selector')],
    ['scope of two selectors', body({ scope: { fleet: true, site: 'Plant 1' } }), M('scope must name exactly one selector')],
    ['scope fleet false', body({ scope: { fleet: false } }), M('scope.fleet must be true')],
    ['scope fleet "true"', body({ scope: { fleet: 'true' } }), M('scope.fleet must be true')],
    ['deviceIds empty', body({ scope: { deviceIds: [] } }), M('scope.deviceIds must list 1 to 100,000 device ids')],
    ['deviceIds a string', body({ scope: { deviceIds: 'uv-7' } }), M('scope.deviceIds must list 1 to 100,000 device ids')],
    ['deviceIds holding a number', body({ scope: { deviceIds: ['uv-7', 7] } }), M('scope.deviceIds must list 1 to 100,000 device ids')],
    ['deviceIds holding a bad id', body({ scope: { deviceIds: ['uv-7', 'u'] } }), M('scope.deviceIds must list 1 to 100,000 device ids')],
    ['deviceIds 100,001', body({ scope: { deviceIds: Array.from({ length: 100_001 }, (_, i) => `uv-${i}`) } }), M('scope.deviceIds must list 1 to 100,000 device ids')],
    ['deviceIds naming a robot twice', body({ scope: { deviceIds: ['uv-7', 'uv-8', 'uv-7'] } }), M('scope.deviceIds lists a robot twice')],
    ['site empty', body({ scope: { site: '' } }), M('scope.site is not a valid site')],
    ['site with a colon', body({ scope: { site: 'ward:b' } }), M('scope.site is not a valid site')],
    ['site a number', body({ scope: { site: 1 } }), M('scope.site is not a valid site')],
    ['model starting with a space', body({ scope: { model: ' UV-7' } }), M('scope.model is not a valid model')],
    ['firmware of 65 characters', body({ scope: { firmware: '1'.repeat(65) } }), M('scope.firmware is not a valid firmware')],
    ['tag with a space', body({ scope: { tag: 'ward b' } }), M('scope.tag is not a valid tag')],
    ['an unknown selector', body({ scope: { robots: ['uv-7'] } }), M('unknown scope selector "robots"')],
    ['actions not a list', body({ actions: 'stop_operating' }), M('actions must be among stop_operating, safe_mode, refuse_revoked_peers, wipe_keys, distrust_ca')],
    ['an unknown action', body({ actions: ['stop_operating', 'self_destruct'] }), M('actions must be among stop_operating, safe_mode, refuse_revoked_peers, wipe_keys, distrust_ca')],
    ['an action twice', body({ actions: ['safe_mode', 'safe_mode'] }), M('an action is listed twice')],
    ['a lockdown without action', body({ actions: [] }), M('a lockdown order names at least one action')],
    ['a lift with an action', body({ kind: 'lift' }), M('a lift order names no action')],
    ['wipeKeys not a list', body({ wipeKeys: UUID1 }), M('wipeKeys must list key ids')],
    ['wipeKeys holding a non-id', body({ actions: ['wipe_keys'], wipeKeys: [UUID1, 'key-1'] }), M('wipeKeys must list key ids')],
    ['wipeKeys holding a number', body({ actions: ['wipe_keys'], wipeKeys: [1] }), M('wipeKeys must list key ids')],
    ['wipe_keys without keys', body({ actions: ['wipe_keys'] }), M('wipeKeys is given with the wipe_keys action, and only then')],
    ['keys without wipe_keys', body({ wipeKeys: [UUID1] }), M('wipeKeys is given with the wipe_keys action, and only then')],
    // v2 (docs/lockdown-orders.md): the version of an order with distrust_ca, and only of such an order.
    ['version 2 without distrust_ca', body({ v: 2, distrustCas: [CA1] }), M('an order is v2 with the distrust_ca action, and only then')],
    ['distrust_ca in a v1 order', body({ actions: ['distrust_ca'], distrustCas: [CA1] }), M('an order is v2 with the distrust_ca action, and only then')],
    ['a v1 order naming a CA', body({ distrustCas: [CA1] }), M('a v1 order distrusts no CA')],
    ['a v1 order with distrustCas not a list', body({ distrustCas: 'x' }), M('a v1 order distrusts no CA')],
    ['v2 with no CA', v2({ distrustCas: [] }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    ['v2 without distrustCas', v2({ distrustCas: undefined }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    ['v2 with 17 CAs', v2({ distrustCas: Array.from({ length: 17 }, (_, i) => i.toString(16).padStart(64, '0')) }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    ['v2 with an upper-case id', v2({ distrustCas: ['C'.repeat(64)] }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    ['v2 with an id of 63', v2({ distrustCas: ['c'.repeat(63)] }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    ['v2 with a number', v2({ distrustCas: [5] }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    // Every id is checked, not just one; and an id is a string (a list holding one id is not an id).
    ['v2 with a good id and an upper-case one', v2({ distrustCas: [CA1, 'C'.repeat(64)] }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    ['v2 with an id inside a list', v2({ distrustCas: [[CA1]] }), M('distrustCas must list 1 to 16 CA key ids (64 lowercase hex characters)')],
    ['v2 naming a CA twice', v2({ distrustCas: [CA1, CA1] }), M('distrustCas lists a CA twice')],
    ['a lift of version 2', v2({ kind: 'lift', actions: [] }), M('an order is v2 with the distrust_ca action, and only then')],
    ['a lift that distrusts a CA', v2({ kind: 'lift' }), M('a lift order names no action')],
    ['mode other', body({ mode: 'lenient' }), M('mode must be strict or best_effort')],
    ['reason empty', body({ reason: '' }), M('reason must be 1-500 characters')],
    ['reason blank', body({ reason: ' \t ' }), M('reason must be 1-500 characters')],
    ['reason of 501', body({ reason: 'r'.repeat(501) }), M('reason must be 1-500 characters')],
    ['reason a number', body({ reason: 5 }), M('reason must be 1-500 characters')],
    ['message blank', body({ message: '  ' }), M('message must be 1-500 characters')],
    ['message of 501', body({ message: 'm'.repeat(501) }), M('message must be 1-500 characters')],
    ['signerKeyId upper case', body({ signerKeyId: 'A'.repeat(64) }), M('signerKeyId must be 64 lowercase hex characters')],
    ['signerKeyId of 63', body({ signerKeyId: 'a'.repeat(63) }), M('signerKeyId must be 64 lowercase hex characters')],
    ['signerKeyId with a suffix', body({ signerKeyId: `${'a'.repeat(64)}0` }), M('signerKeyId must be 64 lowercase hex characters')],
    ['signerKeyId with a prefix', body({ signerKeyId: `0${'a'.repeat(64)}` }), M('signerKeyId must be 64 lowercase hex characters')],
    ['signerKeyId a number', body({ signerKeyId: 64 }), M('signerKeyId must be 64 lowercase hex characters')],
  ];
  it.each(rows)('refuses %s', (_n, b, expected) => {
    expect(outcome(() => checkOrderBody(b))).toBe(expected);
  });

  it('the refusal is a LockdownOrderError by name too', () => {
    try {
      checkOrderBody(null);
    } catch (e) {
      expect((e as Error).name).toBe('LockdownOrderError');
    }
    expect.assertions(1);
  });

  const accepted: Array<[string, Record<string, unknown>]> = [
    ['sequence 1', { sequence: 1 }],
    ['the largest safe sequence', { sequence: Number.MAX_SAFE_INTEGER }],
    ['times without milliseconds', { issuedAt: '2026-12-04T11:00:00Z', expiresAt: '2026-12-05T11:00:00Z' }],
    ['expiresAt 1 ms after issuedAt', { expiresAt: '2026-12-04T11:00:00.001Z' }],
    ['valid exactly 90 days', { expiresAt: '2027-03-04T11:00:00.000Z' }],
    ['a tag with a colon', { scope: { tag: 'ward:b' } }],
    ['a site with a space', { scope: { site: 'Plant 1' } }],
    ['one device id', { scope: { deviceIds: ['uv-7'] } }],
    ['100,000 device ids', { scope: { deviceIds: Array.from({ length: 100_000 }, (_, i) => `uv-${i}`) } }],
    ['every action, keys to wipe', { actions: ['stop_operating', 'safe_mode', 'refuse_revoked_peers', 'wipe_keys'], wipeKeys: [UUID1] }],
    ['a lift', { kind: 'lift', actions: [] }],
    ['v2: distrust one CA', { v: 2, actions: ['distrust_ca'], distrustCas: [CA1] }],
    ['v2: every action, 16 CAs', { v: 2, actions: ['stop_operating', 'safe_mode', 'refuse_revoked_peers', 'wipe_keys', 'distrust_ca'], wipeKeys: [UUID1], distrustCas: Array.from({ length: 16 }, (_, i) => i.toString(16).padStart(64, '0')) }],
    ['a v1 order with an empty distrustCas', { distrustCas: [] }],
    ['best effort', { mode: 'best_effort' }],
    ['reason and message of 500', { reason: 'r'.repeat(500), message: 'm'.repeat(500) }],
    ['reason of one character', { reason: 'r' }],
  ];
  it.each(accepted)('accepts %s', (_n, over) => {
    expect(outcome(() => checkOrderBody(body(over)))).toBe('accepted');
  });

  it('returns the members of the format only, in copies', () => {
    const input = body({ extra: 'x', scope: { deviceIds: ['uv-7'] }, actions: ['stop_operating'], wipeKeys: [] }) as Record<string, unknown>;
    const out = checkOrderBody(input);
    expect(Object.keys(out)).toEqual(['v', 'orderId', 'kind', 'sequence', 'issuedAt', 'expiresAt', 'scope', 'actions', 'wipeKeys', 'distrustCas', 'mode', 'reason', 'message', 'signerKeyId']);
    expect(out).toEqual({ ...BASE, scope: { deviceIds: ['uv-7'] }, actions: ['stop_operating'], wipeKeys: [], distrustCas: [] });
    const cas = [CA2, CA1];
    const out2 = checkOrderBody(v2({ distrustCas: cas }));
    expect(out2.distrustCas).toEqual([CA2, CA1]);
    cas.pop();
    expect(out2.distrustCas).toEqual([CA2, CA1]);
    (input.actions as string[]).push('safe_mode');
    ((input.scope as { deviceIds: string[] }).deviceIds).push('uv-8');
    expect(out.actions).toEqual(['stop_operating']);
    expect(out.scope).toEqual({ deviceIds: ['uv-7'] });
    for (const s of [{ fleet: true }, { site: 'Plant 1' }, { model: 'UV-7' }, { firmware: '2.1.0' }, { tag: 'ward-b' }]) expect(checkOrderBody(body({ scope: s })).scope).toEqual(s);
  });
});

describe('the order\'s bytes', () => {
  it('orderBodyBytes writes the documented member order whatever the input order; the signing input and file', () => {
    const reversed = Object.fromEntries(Object.entries(body()).reverse()) as unknown as OrderBody;
    const text = `{"v":1,"orderId":"${'a'.repeat(32)}","kind":"lockdown","sequence":5,"issuedAt":"2026-12-04T11:00:00.000Z","expiresAt":"2026-12-05T11:00:00.000Z","scope":{"site":"Plant 1"},"actions":["stop_operating"],"wipeKeys":[],"mode":"strict","reason":"robot uv-9 stolen","message":"Stop: security lockdown","signerKeyId":"${BASE.signerKeyId}"}`;
    expect(orderBodyBytes(reversed).toString('utf8')).toBe(text);
    expect(() => orderBodyBytes(body({ sequence: 0 }) as unknown as OrderBody)).toThrow(LockdownOrderError);
    expect(orderSigningInput(Buffer.from('{}')).equals(Buffer.from('ECPS-LOCKDOWN-v1\u0000{}'))).toBe(true);
    expect(encodeOrder(Buffer.from('body'), Buffer.from('sig')).toString()).toBe('{"format":"ECPS-LOCKDOWN-v1","body":"Ym9keQ==","signature":"c2ln"}');
    expect(emergencySignerKeyId(emergency.publicKey)).toBe(spkiHash(emergency.publicKey));
  });

  it('a v2 order carries distrustCas between wipeKeys and mode; a v1 order never carries it, even empty', () => {
    const text2 = `{"v":2,"orderId":"${'a'.repeat(32)}","kind":"lockdown","sequence":5,"issuedAt":"2026-12-04T11:00:00.000Z","expiresAt":"2026-12-05T11:00:00.000Z","scope":{"fleet":true},"actions":["refuse_revoked_peers","distrust_ca"],"wipeKeys":[],"distrustCas":["${CA2}","${CA1}"],"mode":"strict","reason":"robot uv-9 stolen","message":"Stop: security lockdown","signerKeyId":"${BASE.signerKeyId}"}`;
    const reversed = Object.fromEntries(Object.entries(v2({ scope: { fleet: true }, actions: ['refuse_revoked_peers', 'distrust_ca'], distrustCas: [CA2, CA1] })).reverse()) as unknown as OrderBody;
    expect(orderBodyBytes(reversed).toString('utf8')).toBe(text2);
    expect(orderBodyBytes(body({ distrustCas: [] }) as unknown as OrderBody).toString('utf8')).not.toContain('distrustCas');
  });
});

describe('scopeIncludes: in, out, or cannot tell (null)', () => {
  const unknown: RobotFacts = { deviceId: 'uv-7', site: null, model: null, firmware: null, tags: null };
  const rows: Array<[OrderScope, boolean | null, boolean | null]> = [
    [{ fleet: true }, true, true],
    [{ deviceIds: ['uv-1', 'uv-7'] }, true, true],
    [{ deviceIds: ['uv-1'] }, false, false],
    [{ site: 'Plant 1' }, true, null], [{ site: 'Plant 2' }, false, null],
    [{ model: 'UV-7' }, true, null], [{ model: 'UV-9' }, false, null],
    [{ firmware: '2.1.0' }, true, null], [{ firmware: '2.0.0' }, false, null],
    [{ tag: 'night' }, true, null], [{ tag: 'day' }, false, null],
  ];
  it.each(rows)('%j: known facts %s, unknown facts %s', (scope, known, notKnown) => {
    expect(scopeIncludes(scope, ROBOT)).toBe(known);
    expect(scopeIncludes(scope, unknown)).toBe(notKnown);
  });
});

function file(over: Record<string, unknown> = {}, outer: Record<string, unknown> = {}): Buffer {
  const bytes = Buffer.from(JSON.stringify(body(over)));
  const sig = sign('sha256', Buffer.concat([Buffer.from('ECPS-LOCKDOWN-v1\0'), bytes]), { key: emergency.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return Buffer.from(JSON.stringify({ format: 'ECPS-LOCKDOWN-v1', body: bytes.toString('base64'), signature: sig.toString('base64'), ...outer }));
}
const check = (f: Buffer, o: { lastSequence?: number; robot?: RobotFacts; now?: Date } = {}) =>
  outcome(() => verifyOrder(f, { emergencyPublicKey: emergency.publicKey, robot: o.robot ?? ROBOT, lastSequence: o.lastSequence ?? 0, now: o.now ?? NOW }));

describe('verifyOrder: each step and its text', () => {
  const sig = JSON.parse(file().toString()).signature as string;
  const raw = (o: unknown) => Buffer.from(JSON.stringify(o));
  const rows: Array<[string, () => Buffer, string, { lastSequence?: number; robot?: RobotFacts; now?: Date }?]> = [
    ['not JSON', () => Buffer.from('{'), M('not JSON')],
    ['JSON null', () => Buffer.from('null'), M('not an object')],
    ['a JSON array', () => raw([]), M('not an object')],
    ['a JSON number', () => Buffer.from('5'), M('not an object')],
    ['no signature member', () => raw({ format: 'ECPS-LOCKDOWN-v1', body: 'e30=' }), M('format must be ECPS-LOCKDOWN-v1 with body and signature only')],
    ['three members, the format missing', () => raw({ body: 'e30=', signature: sig, note: 'x' }), M('format must be ECPS-LOCKDOWN-v1 with body and signature only')],
    ['body a number', () => file({}, { body: 5 }), M('body and signature must be base64')],
    ['body not base64', () => file({}, { body: 'e30' }), M('body and signature must be base64')],
    ['body with a character outside base64', () => file({}, { body: 'e3-=' }), M('body and signature must be base64')],
    ['signature a number', () => file({}, { signature: 5 }), M('body and signature must be base64')],
    // A list whose text is base64 (a regular expression reads ['AAAA'] as "AAAA"): the type check is what refuses it.
    ['signature a list', () => file({}, { signature: [sig] }), M('body and signature must be base64')],
    ['body a list', () => file({}, { body: [Buffer.from(JSON.stringify(body())).toString('base64')] }), M('body and signature must be base64')],
    ['signature with a space', () => file({}, { signature: ` ${sig}` }), M('body and signature must be base64')],
    ['signature empty', () => file({}, { signature: '' }), M('body and signature must be base64')],
    ['body empty', () => file({}, { body: '' }), 'tampered: lockdown order: body is not JSON'],
    ['body that is no order', () => file({}, { body: Buffer.from('{"v":3}').toString('base64') }), 'tampered: lockdown order: unsupported version'],
    ['body not canonical', () => file({}, { body: Buffer.from(JSON.stringify(body(), null, 1)).toString('base64') }), 'tampered: lockdown order: body is not in canonical form'],
    ['another signer key id', () => file({ signerKeyId: 'b'.repeat(64) }), 'foreign: lockdown order: signed by another key than the fleet emergency key'],
    ['a signature that is not RSA-sized', () => file({}, { signature: 'AAAA' }), 'tampered: lockdown order: signature does not verify'],
    ['a signature over another body', () => file({}, { signature: JSON.parse(file({ sequence: 6 }).toString()).signature }), 'tampered: lockdown order: signature does not verify'],
    ['issued 5 min and 1 ms ahead', () => file({ issuedAt: '2026-12-04T12:05:00.001Z' }), 'not_yet_valid: lockdown order: issued at 2026-12-04T12:05:00.001Z, in the future'],
    ['expired at this instant', () => file({ expiresAt: NOW.toISOString() }), 'expired: lockdown order: expired at 2026-12-04T12:00:00.000Z'],
    ['replayed', () => file(), 'replayed: lockdown order: sequence 5 is not above the last accepted (5)', { lastSequence: 5 }],
    ['out of scope', () => file({ scope: { tag: 'day' } }), 'out_of_scope: lockdown order: robot uv-7 is not in its scope'],
    ['best effort, robot without tags', () => file({ mode: 'best_effort', scope: { tag: 'night' } }), 'out_of_scope: lockdown order: robot uv-7 is not in its scope', { robot: { ...ROBOT, tags: null } }],
  ];
  it.each(rows)('refuses %s', (_n, make, expected, o) => {
    expect(check(make(), o)).toBe(expected);
  });

  const accepted: Array<[string, Record<string, unknown>, { lastSequence?: number; robot?: RobotFacts; now?: Date }?]> = [
    ['issued exactly 5 min ahead', { issuedAt: '2026-12-04T12:05:00.000Z' }],
    ['expiring 1 ms from now', { expiresAt: '2026-12-04T12:00:00.001Z' }],
    ['a sequence one above the last', { sequence: 6 }, { lastSequence: 5 }],
    ['best effort, in scope', { mode: 'best_effort' }],
    ['strict, robot without model', { scope: { model: 'UV-7' } }, { robot: { ...ROBOT, model: null } }],
  ];
  it.each(accepted)('accepts %s', (_n, over, o) => {
    expect(check(file(over), o)).toBe('accepted');
  });

  it('returns the checked body', () => {
    expect(verifyOrder(file(), { emergencyPublicKey: emergency.publicKey, robot: ROBOT, lastSequence: 0, now: NOW })).toEqual(checkOrderBody(body()));
  });
});

describe('the robot\'s state', () => {
  const lock = checkOrderBody(body({ actions: ['stop_operating', 'wipe_keys'], wipeKeys: [UUID1] }));
  it('UNLOCKED is sequence 0, nothing standing; a lockdown records its order (copies), a lift clears it', () => {
    expect(UNLOCKED).toEqual({ lastSequence: 0, locked: null });
    const state = applyOrder(UNLOCKED, lock);
    expect(state).toEqual({ lastSequence: 5, locked: { orderId: 'a'.repeat(32), sequence: 5, actions: ['stop_operating', 'wipe_keys'], wipeKeys: [UUID1], message: 'Stop: security lockdown', expiresAt: '2026-12-05T11:00:00.000Z' } });
    expect(state.locked!.actions).not.toBe(lock.actions);
    expect(state.locked!.wipeKeys).not.toBe(lock.wipeKeys);
    expect(applyOrder(state, checkOrderBody(body({ kind: 'lift', actions: [], sequence: 9 })))).toEqual({ lastSequence: 9, locked: null });
  });

  it('mayOperate: only a standing, unexpired stop_operating stops the robot', () => {
    const locked = (actions: string[], expiresAt = '2026-12-05T11:00:00.000Z'): RobotLockdownState => ({ lastSequence: 5, locked: { orderId: 'a'.repeat(32), sequence: 5, actions: actions as never, wipeKeys: [], message: 'm', expiresAt } });
    expect(mayOperate(UNLOCKED, NOW)).toBe(true);
    expect(mayOperate(locked(['stop_operating']), NOW)).toBe(false);
    expect(mayOperate(locked(['stop_operating']), new Date('2026-12-05T10:59:59.999Z'))).toBe(false);
    expect(mayOperate(locked(['stop_operating']), new Date('2026-12-05T11:00:00.000Z'))).toBe(true);
    expect(mayOperate(locked(['safe_mode', 'refuse_revoked_peers']), NOW)).toBe(true);
  });
});
