// The "Issue a lockdown order" dialog's form (renderer/src/emergency/orderForm.ts): the screen's scope as the order's
// scope, and the fields as the emergency:lockdownOrder input or each field's error in words, against tables written
// here from docs/lockdown-orders.md (scopes an order names; actions only on a lockdown, each once; wipeKeys with
// wipe_keys and only then; valid 1 minute to 90 days; reason and message 1-500 characters, the message defaulting to
// the reason; distrustCaIds, 1-16 CA ids, with distrust_ca and only then, which makes an order wide whatever its
// scope). What the form sends must pass the channel's own input schema.
import { describe, expect, it } from 'vitest';
import { emergencyChannels, type EmergencyScope } from '../../shared/emergencyContract.ts';
import { orderInputOf, orderIsWide, orderScopeOf, pretickDistrust, type OrderForm, type OrderSettings } from '../../renderer/src/emergency/orderForm.ts';

const KEY = '0b6f3c2e-4a1d-4c8e-9f00-1234567890ab';
const INPUT = emergencyChannels['emergency:lockdownOrder'].input;
const CA1 = '5d1c7a3e-2b4f-4e6a-8c0d-aaaaaaaaaaaa';
const CA2 = '5d1c7a3e-2b4f-4e6a-8c0d-bbbbbbbbbbbb';
const FORM: OrderForm = { kind: 'lockdown', orderActions: ['stop_operating'], wipeKeys: '', distrustCaIds: [], message: '', hours: '168', mode: 'strict', reason: 'uv-001 stolen', approval: 'request', glassReason: '' };
const ONE = { deviceIds: ['uv-001'] };

describe("the screen's scope as the order's scope", () => {
  const table: Array<[EmergencyScope, unknown]> = [
    [{ kind: 'robot', deviceId: 'uv-001' }, { deviceIds: ['uv-001'] }],
    [{ kind: 'robots', deviceIds: ['uv-001', 'uv-002'] }, { deviceIds: ['uv-001', 'uv-002'] }],
    [{ kind: 'site', site: 'Plant 1' }, { site: 'Plant 1' }],
    [{ kind: 'model', model: 'UV-7' }, { model: 'UV-7' }],
    [{ kind: 'firmware', firmware: '2.1.0' }, { firmware: '2.1.0' }],
    [{ kind: 'tag', tag: 'night' }, { tag: 'night' }],
    [{ kind: 'fleet' }, { fleet: true }],
    // The holders of a key (version) and the robot of a certificate: named as such, resolved by the console when it signs.
    [{ kind: 'key', keyId: KEY }, { keyId: KEY }],
    [{ kind: 'key', keyId: KEY, version: 3 }, { keyId: KEY, version: 3 }],
    [{ kind: 'serial', serial: '7F:01' }, { serial: '7F:01' }],
  ];
  it.each(table)('%j names %j, which the channel accepts', (scope, expected) => {
    expect(orderScopeOf(scope)).toEqual({ scope: expected });
    expect(INPUT.safeParse({ kind: 'lockdown', scope: expected, actions: ['stop_operating'], reason: 'r', message: 'm', validForSeconds: 60 }).success).toBe(true);
  });
});

describe('break-glass from the dialog', () => {
  const GLASS = { approval: 'break_glass' as const, glassReason: '  no second officer tonight ' };
  // [scope, kind, whether break-glass is sent]: only a lockdown wider than a list of robots (docs/emergency-response.md).
  const table: Array<[unknown, 'lockdown' | 'lift', boolean]> = [
    [{ site: 'Plant 1' }, 'lockdown', true],
    [{ fleet: true }, 'lockdown', true],
    [{ keyId: KEY, version: 2 }, 'lockdown', true],
    [{ serial: '7F:01' }, 'lockdown', true],
    [ONE, 'lockdown', false],
    [{ site: 'Plant 1' }, 'lift', false],
  ];
  it.each(table)('%j, a %s: break-glass sent %s', (scope, kind, sent) => {
    const r = orderInputOf({ ...FORM, ...GLASS, kind }, scope as typeof ONE);
    expect(orderIsWide({ ...FORM, kind }, scope as typeof ONE)).toBe(sent);
    expect('input' in r).toBe(true);
    if (!('input' in r)) return;
    expect(r.input.breakGlass).toEqual(sent ? { reason: 'no second officer tonight' } : undefined);
    expect(INPUT.safeParse(r.input).success).toBe(true);
  });
  // Stopping robots trusting a fleet CA is wide whatever the scope (docs/lockdown-orders.md, "Issuing"): final on robots.
  const distrust: Array<[unknown, 'lockdown' | 'lift', boolean]> = [
    [ONE, 'lockdown', true],
    [{ deviceIds: ['uv-001', 'uv-002'] }, 'lockdown', true],
    [{ fleet: true }, 'lockdown', true],
    // A lift names no action, so what stays ticked from a lockdown does not make it wide.
    [ONE, 'lift', false],
  ];
  it.each(distrust)('distrusting a CA for %j, a %s: wide and break-glass sent %s', (scope, kind, sent) => {
    const form = { ...FORM, ...GLASS, kind, orderActions: ['stop_operating', 'distrust_ca'] as OrderForm['orderActions'], distrustCaIds: [CA1] };
    expect(orderIsWide(form, scope as typeof ONE)).toBe(sent);
    const r = orderInputOf(form, scope as typeof ONE);
    expect('input' in r).toBe(true);
    if (!('input' in r)) return;
    expect(r.input.breakGlass).toEqual(sent ? { reason: 'no second officer tonight' } : undefined);
    expect(INPUT.safeParse(r.input).success).toBe(true);
  });
  it('asking for approval sends no break-glass', () => {
    const r = orderInputOf({ ...FORM, glassReason: 'typed, then changed my mind' }, { site: 'Plant 1' });
    expect('input' in r && r.input).not.toHaveProperty('breakGlass');
  });
  it.each<[string, string, RegExp]>([
    ['no reason', '   ', /^Say why you break glass instead of asking a second officer/],
    ['a reason over 500 characters', 'g'.repeat(501), /At most 500 characters \(501 given\)/],
  ])('break-glass with %s is refused beside its field', (_what, glassReason, message) => {
    const r = orderInputOf({ ...FORM, approval: 'break_glass', glassReason }, { site: 'Plant 1' });
    expect('errors' in r && r.errors.glassReason).toMatch(message);
  });
});

describe('the fields as the channel input', () => {
  const ok: Array<[string, Partial<OrderForm>, Record<string, unknown>]> = [
    ['the defaults: stop for 7 days, the reason as message', {}, { kind: 'lockdown', actions: ['stop_operating'], message: 'uv-001 stolen', validForSeconds: 7 * 24 * 3600, mode: 'strict' }],
    ['actions in the format order, a message, best effort, 1 minute', { orderActions: ['safe_mode', 'refuse_revoked_peers', 'stop_operating'], message: ' Stop now ', mode: 'best_effort', hours: '0.0167' }, { actions: ['stop_operating', 'safe_mode', 'refuse_revoked_peers'], message: 'Stop now', mode: 'best_effort', validForSeconds: 60 }],
    ['keys to wipe, repeats once', { orderActions: ['wipe_keys'], wipeKeys: `${KEY}, ${KEY}` }, { actions: ['wipe_keys'], wipeKeys: [KEY] }],
    ['keys typed without wipe_keys are not sent', { wipeKeys: KEY }, { actions: ['stop_operating'] }],
    ['a lift names no action', { kind: 'lift', orderActions: ['stop_operating', 'wipe_keys'], wipeKeys: 'junk' }, { kind: 'lift', actions: [] }],
    ['90 days exactly', { hours: '2160' }, { validForSeconds: 90 * 24 * 3600 }],
    ['a CA to distrust', { orderActions: ['distrust_ca'], distrustCaIds: [CA1] }, { actions: ['distrust_ca'], distrustCaIds: [CA1] }],
    ['two CAs, with stop, repeats once, in the format order', { orderActions: ['distrust_ca', 'stop_operating'], distrustCaIds: [CA2, CA1, CA2] }, { actions: ['stop_operating', 'distrust_ca'], distrustCaIds: [CA2, CA1] }],
    ['16 CAs, the most', { orderActions: ['distrust_ca'], distrustCaIds: Array.from({ length: 16 }, (_, i) => `5d1c7a3e-2b4f-4e6a-8c0d-${String(i).padStart(12, '0')}`) }, { actions: ['distrust_ca'] }],
    ['CAs chosen, then distrust_ca unticked: none sent', { distrustCaIds: [CA1] }, { actions: ['stop_operating'] }],
    ['a lift names no CA', { kind: 'lift', orderActions: ['distrust_ca'], distrustCaIds: [CA1] }, { kind: 'lift', actions: [] }],
  ];
  it.each(ok)('%s', (_what, over, expected) => {
    const r = orderInputOf({ ...FORM, ...over }, ONE);
    expect(r).toMatchObject({ input: { scope: ONE, reason: 'uv-001 stolen', ...expected } });
    if (!('input' in r)) return;
    if (!('wipeKeys' in expected)) expect(r.input).not.toHaveProperty('wipeKeys');
    if (!('distrustCaIds' in expected) && !r.input.actions.includes('distrust_ca')) expect(r.input).not.toHaveProperty('distrustCaIds');
    if (r.input.actions.includes('distrust_ca')) expect(r.input.distrustCaIds?.length).toBe(new Set((over.distrustCaIds ?? [])).size);
    expect(INPUT.safeParse(r.input).success).toBe(true);
  });

  const refused: Array<[string, Partial<OrderForm>, Record<string, RegExp>]> = [
    ['no reason', { reason: '  ' }, { reason: /^Say why \(recorded in the audit log\)\.$/ }],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, { reason: /At most 500 characters \(501 given\)/ }],
    ['a message over 500 characters', { message: 'm'.repeat(501) }, { message: /At most 500 characters \(501 given\)/ }],
    ['nothing for robots to do', { orderActions: [] }, { orderActions: /^Tick what robots must do\.$/ }],
    ['wipe_keys without keys', { orderActions: ['wipe_keys'] }, { wipeKeys: /^Name at least one key id to wipe\.$/ }],
    ['wipe_keys with what is not a key id', { orderActions: ['wipe_keys'], wipeKeys: `${KEY} k1` }, { wipeKeys: /^Not key ids \(UUIDs, lowercase\): k1\.$/ }],
    ['distrust_ca without a CA', { orderActions: ['stop_operating', 'distrust_ca'] }, { distrustCaIds: /^Choose the fleet CA \(or CAs\) robots must stop trusting\.$/ }],
    ['distrust_ca with what is not a CA id', { orderActions: ['distrust_ca'], distrustCaIds: [CA1, 'ca-1'] }, { distrustCaIds: /^Not fleet CA ids \(UUIDs, lowercase\): ca-1\.$/ }],
    ['17 CAs to distrust', { orderActions: ['distrust_ca'], distrustCaIds: Array.from({ length: 17 }, (_, i) => `5d1c7a3e-2b4f-4e6a-8c0d-${String(i).padStart(12, '0')}`) }, { distrustCaIds: /^At most 16 fleet CAs in one order \(17 chosen\)\.$/ }],
    ['under a minute', { hours: '0.01' }, { hours: /1 minute .* to 2160 hours \(90 days\)/ }],
    ['over 90 days', { hours: '2161' }, { hours: /2160 hours/ }],
    ['no expiry', { hours: '' }, { hours: /2160 hours/ }],
    ['every field at once', { reason: '', orderActions: [], hours: 'x' }, { reason: /Say why/, orderActions: /Tick/, hours: /90 days/ }],
  ];
  it.each(refused)('%s: refused beside the field, in words', (_what, over, expected) => {
    const r = orderInputOf({ ...FORM, ...over }, ONE);
    expect('errors' in r).toBe(true);
    if (!('errors' in r)) return;
    expect(Object.keys(r.errors).sort()).toEqual(Object.keys(expected).sort());
    for (const [field, words] of Object.entries(expected)) expect(r.errors[field as keyof typeof r.errors]).toMatch(words);
  });
});

describe("the playbook's revoke_ca pre-ticks the lockdown's distrust of that CA", () => {
  const S: OrderSettings = { orderActions: ['stop_operating'], wipeKeys: '', distrustCaIds: [], message: '', hours: '168', mode: 'strict' };
  const none = { both: false, caId: null };
  it('ticking revoke_ca and lockdown ticks "Stop trusting a fleet CA" with the revoked CA', () => {
    expect(pretickDistrust(none, { both: true, caId: CA1 }, S)).toMatchObject({ orderActions: ['stop_operating', 'distrust_ca'], distrustCaIds: [CA1] });
    // And what it pre-ticks is what the order sends.
    const r = orderInputOf({ ...FORM, ...pretickDistrust(none, { both: true, caId: CA1 }, S) }, ONE);
    expect('input' in r && r.input).toMatchObject({ actions: ['stop_operating', 'distrust_ca'], distrustCaIds: [CA1] });
  });
  it('adds to CAs the officer chose, once', () => {
    const s = { ...S, orderActions: ['distrust_ca' as const], distrustCaIds: [CA2, CA1] };
    expect(pretickDistrust({ both: false, caId: CA1 }, { both: true, caId: CA1 }, s)).toMatchObject({ orderActions: ['distrust_ca'], distrustCaIds: [CA2, CA1] });
  });
  it('choosing another CA to revoke moves the pre-ticked one', () => {
    const s = { ...S, orderActions: ['stop_operating' as const, 'distrust_ca' as const], distrustCaIds: [CA1] };
    expect(pretickDistrust({ both: true, caId: CA1 }, { both: true, caId: CA2 }, s).distrustCaIds).toEqual([CA2]);
  });
  it('the officer may untick it: a later change of another field does not tick it again', () => {
    const unticked = { ...S, message: 'changed' };
    expect(pretickDistrust({ both: true, caId: CA1 }, { both: true, caId: CA1 }, unticked)).toBe(unticked);
  });
  it.each<[string, { both: boolean; caId: string | null }]>([
    ['revoke_ca without lockdown', { both: false, caId: CA1 }],
    ['the CA not known yet', { both: true, caId: null }],
  ])('%s: nothing ticked', (_what, after) => {
    expect(pretickDistrust(none, after, S)).toBe(S);
  });
});
