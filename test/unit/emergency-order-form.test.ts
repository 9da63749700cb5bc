// The "Issue a lockdown order" dialog's form (renderer/src/emergency/orderForm.ts): the screen's scope as the order's
// scope, and the fields as the emergency:lockdownOrder input or each field's error in words, against tables written
// here from docs/lockdown-orders.md (scopes an order names; actions only on a lockdown, each once; wipeKeys with
// wipe_keys and only then; valid 1 minute to 90 days; reason and message 1-500 characters, the message defaulting to
// the reason). What the form sends must pass the channel's own input schema.
import { describe, expect, it } from 'vitest';
import { emergencyChannels, type EmergencyScope } from '../../shared/emergencyContract.ts';
import { orderInputOf, orderScopeOf, type OrderForm } from '../../renderer/src/emergency/orderForm.ts';

const KEY = '0b6f3c2e-4a1d-4c8e-9f00-1234567890ab';
const INPUT = emergencyChannels['emergency:lockdownOrder'].input;
const FORM: OrderForm = { kind: 'lockdown', orderActions: ['stop_operating'], wipeKeys: '', message: '', hours: '168', mode: 'strict', reason: 'uv-001 stolen', approval: 'request', glassReason: '' };
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
  ];
  it.each(ok)('%s', (_what, over, expected) => {
    const r = orderInputOf({ ...FORM, ...over }, ONE);
    expect(r).toMatchObject({ input: { scope: ONE, reason: 'uv-001 stolen', ...expected } });
    if (!('input' in r)) return;
    if (!('wipeKeys' in expected)) expect(r.input).not.toHaveProperty('wipeKeys');
    expect(INPUT.safeParse(r.input).success).toBe(true);
  });

  const refused: Array<[string, Partial<OrderForm>, Record<string, RegExp>]> = [
    ['no reason', { reason: '  ' }, { reason: /^Say why \(recorded in the audit log\)\.$/ }],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, { reason: /At most 500 characters \(501 given\)/ }],
    ['a message over 500 characters', { message: 'm'.repeat(501) }, { message: /At most 500 characters \(501 given\)/ }],
    ['nothing for robots to do', { orderActions: [] }, { orderActions: /^Tick what robots must do\.$/ }],
    ['wipe_keys without keys', { orderActions: ['wipe_keys'] }, { wipeKeys: /^Name at least one key id to wipe\.$/ }],
    ['wipe_keys with what is not a key id', { orderActions: ['wipe_keys'], wipeKeys: `${KEY} k1` }, { wipeKeys: /^Not key ids \(UUIDs, lowercase\): k1\.$/ }],
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
