// A lockdown order issued on its own (emergency:lockdownOrder, docs/lockdown-orders.md "Issuing"), on a real console:
// the holders of a key version or a certificate serial resolved to their robots when the order is signed (the order
// names them as a robot list, and the robot's own checks agree), an empty resolution refused, the wide-scope rule the
// playbook's; and break-glass for one officer: signed at once, recorded as an emergency run needing a second officer's
// review, a CRITICAL alert, every step audited; refused without a justification, for a lift or a robot list, for a
// bad order (no alert, no run), and for a role that may not issue orders.
import { addOperators } from './support/consoleCalls.ts';
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput, ChannelName } from '../../shared/contract.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { verifyOrder, type RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { CTX, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { robotCsr } from './fleetca-kit.ts';
import { type Harness, initialized, PASS } from './providers-kit.ts';

let h: Harness;
const work = tempDir('ecps-order-alone-work-');
const ids = { siteKey: '', unheld: '', emergency: '' };
const serials: Record<string, string> = {};
let emergencyPem = '';

/** The fleet: [device id, site, key versions held of the site key]. */
const ROBOTS: Array<[string, string, number[]]> = [
  ['uv-101', 'Plant 1', [1]],
  ['uv-102', 'Plant 1', [2]],
  ['uv-103', 'Plant 1', [2]],
  ['uv-104', 'Plant 2', []],
];
const ORDER = { kind: 'lockdown' as const, actions: ['stop_operating' as const], reason: 'site key leaked', message: 'Security lockdown: stop', validForSeconds: 3600 };
type OrderInput = ChannelInput<'emergency:lockdownOrder'>;

/** What the robot's own checks say of an order file (the simulator's verifyOrder): accepted, or its refusal code. */
function robotSays(content: string, deviceId: string): string {
  const robot: RobotFacts = { deviceId, site: ROBOTS.find((r) => r[0] === deviceId)![1], model: 'UV-7', firmware: '2.1.0', tags: [] };
  try {
    verifyOrder(Buffer.from(content, 'base64'), { emergencyPublicKey: createPublicKey(emergencyPem), robot, lastSequence: 0, now: new Date() });
    return 'accepted';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

const router = () => createRouter({ handlers: h.console.handlers, access: { check: (channel, ctx, input) => h.console.access.check(channel, ctx, input) } });
const route = (channel: ChannelName, input: unknown) => router().route({ channel, input, ctx: CTX, trustedSender: true }) as Promise<{ ok: boolean; error?: { code: string } }>;
async function signIn(operator: string, passphrase: string): Promise<void> {
  await h.call('session:lock', {});
  await h.call('session:unlock', { operator, passphrase });
}
const sequences = async () => (await h.call('emergency:lockdownList', {})).orders.map((o) => o.sequence);
const breakGlassAlerts = async () => (await h.call('alerts:list', {})).alerts.filter((a) => a.kind === 'emergency_break_glass');

beforeAll(async () => {
  h = await initialized();
  ids.siteKey = (await h.call('keys:create', { type: 'communication', label: 'Plant 1 comm', algorithm: 'AES_256', provider: 'local' })).id;
  await h.call('keys:rotate', { keyId: ids.siteKey });
  ids.unheld = (await h.call('keys:create', { type: 'storage', label: 'held by nobody', algorithm: 'AES_256', provider: 'local' })).id;
  ids.emergency = (await h.call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048', provider: 'local' })).id;
  emergencyPem = (await h.call('keys:publicKey', { keyId: ids.emergency })).pem;
  await h.call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Order Test CA' });
  const c = h.console;
  for (const [deviceId, site, versions] of ROBOTS) {
    c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site, model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
    if (versions.length > 0) c.fleet.recordKeyVersions(deviceId, versions.map((version) => ({ keyId: ids.siteKey, version })), 'provisioning');
  }
  const ca = await c.ca.require();
  for (const deviceId of ['uv-102', 'uv-104']) {
    const cert = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', deviceId), { deviceId });
    c.fleet.attachCertificate(deviceId, { serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
    serials[deviceId] = cert.serial;
  }
}, 120_000);

afterAll(() => {
  h?.console.close();
  removeTempDirs();
});

describe('key-version and certificate-serial scopes', () => {
  it('resolve to the robots holding them when signed: the order names those robots, and only they accept it', async () => {
    // [what the officer names, the robots the order must name] (from the ROBOTS table above).
    const table: Array<[string, () => OrderInput['scope'], string[]]> = [
      ['key version 2', () => ({ keyId: ids.siteKey, version: 2 }), ['uv-102', 'uv-103']],
      ['key version 1', () => ({ keyId: ids.siteKey, version: 1 }), ['uv-101']],
      ['every version of the key', () => ({ keyId: ids.siteKey }), ['uv-101', 'uv-102', 'uv-103']],
      ['a certificate serial (upper case, colons)', () => ({ serial: serials['uv-104']!.toUpperCase().match(/../g)!.join(':') }), ['uv-104']],
    ];
    for (const [what, scope, expected] of table) {
      const out = await h.call('emergency:lockdownOrder', { ...ORDER, scope: scope() });
      expect({ what, scope: out.order.scope, runId: out.runId }).toEqual({ what, scope: { deviceIds: expected }, runId: null });
      const says = ROBOTS.map(([d]) => [d, robotSays(out.content, d)]);
      expect({ what, says }).toEqual({ what, says: ROBOTS.map(([d]) => [d, expected.includes(d) ? 'accepted' : 'out_of_scope']) });
      // The audit record says what the officer named as well as the robots it resolved to.
      const audit = h.auditOf('lockdown.order')[0]!;
      expect(audit.outcome).toBe('success');
      expect(JSON.parse(audit.details.scope as string)).toEqual({ deviceIds: expected });
      expect(audit.details.resolvedFrom).toMatch('serial' in scope() ? /^certificate / : /^holders of key /);
    }
  });

  it('an empty resolution is refused, naming the scope, and burns no sequence; an unknown key or serial is not_found', async () => {
    const before = await sequences();
    const empty = await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope: { keyId: ids.unheld } }));
    expect(empty.code).toBe('invalid_input');
    expect(empty.details).toEqual({ field: 'scope' });
    expect(empty.message).toMatch(/No robot holds .*an order for nobody is not signed/);
    expect((await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope: { keyId: ids.siteKey, version: 3 } }))).code).toBe('invalid_input');
    expect((await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope: { keyId: crypto.randomUUID() } }))).code).toBe('not_found');
    expect((await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope: { serial: '0badc0de' } }))).code).toBe('not_found');
    expect(await sequences()).toEqual(before);
  });

  it('expectedRobots: the count the officer saw must be the count found when signing, else nothing is signed', async () => {
    // A key of its own: uv-101 holds it when the officer is shown the count (1); uv-103 gets it before the signature.
    const keyId = (await h.call('keys:create', { type: 'storage', label: 'counted', algorithm: 'AES_256', provider: 'local' })).id;
    h.console.fleet.recordKeyVersions('uv-101', [{ keyId, version: 1 }], 'provisioning');
    expect((await h.call('emergency:preview', { scope: { kind: 'key', keyId, version: 1 } })).robots.total).toBe(1);
    h.console.fleet.recordKeyVersions('uv-103', [{ keyId, version: 1 }], 'provisioning');
    const before = await sequences();
    const orders = h.auditOf('lockdown.order').length;
    const signatures = h.auditOf('key.sign').length;
    const runs = (await h.call('emergency:runs', {})).runs.length;
    const alerts = (await breakGlassAlerts()).length;
    for (const breakGlass of [undefined, { reason: 'no time to wait' }]) {
      const refused = await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope: { keyId, version: 1 }, expectedRobots: 1, ...(breakGlass ? { breakGlass } : {}) }));
      expect({ breakGlass: !!breakGlass, code: refused.code, details: refused.details }).toEqual({ breakGlass: !!breakGlass, code: 'illegal_transition', details: { field: 'scope', robots: 2, expected: 1 } });
      expect(refused.message).toMatch(/now resolves to 2 robot\(s\), not the 1 expected: nothing was signed/);
      // One audit record of the refusal with both counts (newest first), naming no key or order.
      expect(h.auditOf('lockdown.order')[0]).toMatchObject({
        outcome: 'failure', targetId: null,
        details: { code: 'illegal_transition', expectedRobots: 1, resolvedRobots: 2, resolvedFrom: `holders of key ${keyId}:1`, signed: false },
      });
    }
    // Nothing signed: no order number used, one failed lockdown.order record per refusal and no other, no signature
    // audited, no break-glass run or alert.
    expect(await sequences()).toEqual(before);
    expect(h.auditOf('lockdown.order').length).toBe(orders + 2);
    expect(h.auditOf('key.sign').length).toBe(signatures);
    expect((await h.call('emergency:runs', {})).runs.length).toBe(runs);
    expect((await breakGlassAlerts()).length).toBe(alerts);
    // Asked again with the new count: signed, naming both.
    const out = await h.call('emergency:lockdownOrder', { ...ORDER, scope: { keyId, version: 1 }, expectedRobots: 2 });
    expect(out.order.scope).toEqual({ deviceIds: ['uv-101', 'uv-103'] });
    expect(await sequences()).toEqual([out.order.sequence, ...before]);
    // A serial scope the same way; a scope that is not resolved to robots refuses the count.
    expect((await h.call('emergency:lockdownOrder', { ...ORDER, scope: { serial: serials['uv-102']! }, expectedRobots: 1 })).order.scope).toEqual({ deviceIds: ['uv-102'] });
    expect((await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope: { serial: serials['uv-102']! }, expectedRobots: 0 }))).details).toEqual({ field: 'scope', robots: 1, expected: 0 });
    const list = await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope: { deviceIds: ['uv-101'] }, expectedRobots: 1 }));
    expect([list.code, list.details]).toEqual(['invalid_input', { field: 'expectedRobots' }]);
    for (const expectedRobots of [-1, 1.5, '2']) {
      expect((await route('emergency:lockdownOrder', { ...ORDER, scope: { keyId, version: 1 }, expectedRobots })).error?.code).toBe('invalid_input');
    }
  });

  it('the router refuses a bad key id, version or serial before any handler', async () => {
    const before = await sequences();
    for (const scope of [{ keyId: 'not-a-uuid' }, { keyId: ids.siteKey, version: 0 }, { keyId: ids.siteKey, version: 1.5 }, { serial: 'zz' }, { serial: '' }, { keyId: ids.siteKey, serial: '01' }]) {
      const env = await route('emergency:lockdownOrder', { ...ORDER, scope });
      expect({ scope, code: env.error?.code }).toEqual({ scope, code: 'invalid_input' });
    }
    expect(await sequences()).toEqual(before);
  });
});

describe('every refusal before a sequence is reserved is audited', () => {
  it('one failed lockdown.order record per refusal, with its code and reason; nothing signed, no number used', async () => {
    // [what, the order, the code, the reason the record must give, the field named] (docs/lockdown-orders.md,
    // "Issuing": the console's scope checks, then the lockdown service's checks of the order and its key).
    const cases: Array<[string, () => OrderInput, string, RegExp, string | undefined]> = [
      ['a key nobody holds', () => ({ ...ORDER, scope: { keyId: ids.unheld } }), 'invalid_input', /No robot holds .*an order for nobody is not signed/, 'scope'],
      ['a key version nobody holds', () => ({ ...ORDER, scope: { keyId: ids.siteKey, version: 3 } }), 'invalid_input', /No robot holds .*:3 now/, 'scope'],
      ['an unknown key', () => ({ ...ORDER, scope: { keyId: '00000000-0000-4000-8000-000000000001' } }), 'not_found', /^No key 00000000-0000-4000-8000-000000000001\.$/, undefined],
      ['an unknown certificate serial', () => ({ ...ORDER, scope: { serial: '0badc0de' } }), 'not_found', /^No robot certificate with serial 0badc0de\.$/, undefined],
      ['another robot count', () => ({ ...ORDER, scope: { keyId: ids.siteKey, version: 2 }, expectedRobots: 5 }), 'illegal_transition', /now resolves to 2 robot\(s\), not the 5 expected/, 'scope'],
      ['a count for a robot list', () => ({ ...ORDER, scope: { deviceIds: ['uv-101'] }, expectedRobots: 1 }), 'invalid_input', /expectedRobots applies only to/, 'expectedRobots'],
      ['a lockdown without an action', () => ({ ...ORDER, actions: [], scope: { deviceIds: ['uv-101'] } }), 'invalid_input', /^The order is not valid: /, 'order'],
      ['a lift with an action', () => ({ ...ORDER, kind: 'lift', scope: { deviceIds: ['uv-101'] } }), 'invalid_input', /^The order is not valid: /, 'order'],
      ['wipe_keys naming no key', () => ({ ...ORDER, actions: ['wipe_keys'], scope: { deviceIds: ['uv-101'] } }), 'invalid_input', /^The order is not valid: /, 'order'],
      ['an unknown signing key', () => ({ ...ORDER, scope: { deviceIds: ['uv-101'] }, keyId: '00000000-0000-4000-8000-000000000002' }), 'not_found', /^No key 00000000-0000-4000-8000-000000000002\.$/, undefined],
      ['a signing key that is not an emergency key', () => ({ ...ORDER, scope: { deviceIds: ['uv-101'] }, keyId: ids.siteKey }), 'unsupported_operation', /is a communication key; lockdown orders are signed with an emergency key/, undefined],
      ['break-glass for a robot list', () => ({ ...ORDER, scope: { deviceIds: ['uv-101'] }, breakGlass: { reason: 'r' } }), 'invalid_input', /needs no approval: issue it without break-glass/, 'breakGlass'],
      ['break-glass for a lift', () => ({ ...ORDER, kind: 'lift', actions: [], scope: { site: 'Plant 1' }, breakGlass: { reason: 'r' } }), 'invalid_input', /lift order never needs approval/, 'breakGlass'],
      ['break-glass for a bad order', () => ({ ...ORDER, actions: ['wipe_keys'], scope: { site: 'Plant 1' }, breakGlass: { reason: 'r' } }), 'invalid_input', /^The order is not valid: /, 'order'],
    ];
    const before = await sequences();
    const signatures = h.auditOf('key.sign').length;
    const runs = (await h.call('emergency:runs', {})).runs.length;
    const alerts = (await breakGlassAlerts()).length;
    for (const [what, input, code, reason, field] of cases) {
      const records = h.auditOf('lockdown.order').length;
      const refused = await h.fail(h.call('emergency:lockdownOrder', input()));
      expect({ what, code: refused.code, reason: reason.test(refused.message) }).toEqual({ what, code, reason: true });
      // Exactly one new record (newest first), a failure naming no key or order, with the refusal's code and reason.
      const all = h.auditOf('lockdown.order');
      expect({ what, added: all.length - records }).toEqual({ what, added: 1 });
      const record = all[0]!;
      expect({ what, outcome: record.outcome, targetId: record.targetId, code: record.details.code, signed: record.details.signed, field: record.details.field, sequence: record.details.sequence })
        .toEqual({ what, outcome: 'failure', targetId: null, code, signed: false, field, sequence: undefined });
      expect({ what, reason: reason.test(String(record.details.refusal)), kind: record.details.kind, why: record.details.reason, scope: JSON.parse(String(record.details.scope)) })
        .toEqual({ what, reason: true, kind: input().kind, why: ORDER.reason, scope: input().scope });
    }
    // Nothing signed, no number reserved, no break-glass run or alert; the next valid order takes the next number.
    expect(await sequences()).toEqual(before);
    expect(h.auditOf('key.sign').length).toBe(signatures);
    expect((await h.call('emergency:runs', {})).runs.length).toBe(runs);
    expect((await breakGlassAlerts()).length).toBe(alerts);
    const next = await h.call('emergency:lockdownOrder', { ...ORDER, scope: { deviceIds: ['uv-101'] } });
    expect(next.order.sequence).toBe(Math.max(0, ...before) + 1);
  });
});

describe('break-glass for an order on its own', () => {
  const BOB = { name: 'Bob', pass: `${PASS} bob` };

  it('with a second officer a key-scoped or site lockdown is wide (an approval request), a robot list or a lift is not', async () => {
    // Kate, a second approver, is added with Bob's approval (operator.approver).
    await addOperators(h.console, { name: 'Officer Ada', passphrase: PASS }, [
      { name: BOB.name, role: 'security_officer', passphrase: BOB.pass },
      { name: 'Kate', role: 'key_custodian', passphrase: `${PASS} kate` },
    ]);
    const before = await sequences();
    for (const scope of [{ keyId: ids.siteKey, version: 2 }, { serial: serials['uv-102']! }, { site: 'Plant 1' }, { fleet: true as const }]) {
      const asked = await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, scope }));
      expect({ scope, code: asked.code }).toEqual({ scope, code: 'approval_required' });
    }
    expect(await sequences()).toEqual(before);
    expect((await h.call('emergency:lockdownOrder', { ...ORDER, scope: { deviceIds: ['uv-101'] } })).runId).toBeNull();
    expect((await h.call('emergency:lockdownOrder', { ...ORDER, kind: 'lift', actions: [], scope: { keyId: ids.siteKey, version: 2 } })).order.scope).toEqual({ deviceIds: ['uv-102', 'uv-103'] });
  });

  it('signs at once, raises a CRITICAL alert, records a run needing review, audits each step; only another officer reviews it', async () => {
    const alertsBefore = (await breakGlassAlerts()).length;
    const out = await h.call('emergency:lockdownOrder', { ...ORDER, scope: { keyId: ids.siteKey, version: 2 }, breakGlass: { reason: 'no second officer on site tonight' } });
    expect(out.order).toMatchObject({ kind: 'lockdown', state: 'issued', scope: { deviceIds: ['uv-102', 'uv-103'] }, issuedBy: 'Officer Ada' });
    expect(['uv-101', 'uv-102', 'uv-103'].map((d) => robotSays(out.content, d))).toEqual(['out_of_scope', 'accepted', 'accepted']);
    const runId = out.runId!;
    const run = await h.call('emergency:run', { runId });
    expect(run).toMatchObject({ origin: 'order', state: 'done', actions: ['lockdown'], review: 'needs_review', breakGlassReason: 'no second officer on site tonight', scope: { kind: 'key', keyId: ids.siteKey, version: 2 } });
    expect(run.steps[0]).toMatchObject({ action: 'lockdown', state: 'done', detail: { sequence: out.order.sequence, fileName: out.fileName, content: out.content } });
    const alerts = await breakGlassAlerts();
    expect(alerts.length).toBe(alertsBefore + 1);
    expect(alerts.filter((a) => a.subject === runId).map((a) => a.severity)).toEqual(['CRITICAL']);
    expect((await h.call('emergency:runs', { needsReview: true })).runs.map((r) => [r.runId, r.origin])).toEqual([[runId, 'order']]);
    // Pushed as a run's changes like a playbook's: stored with its one action running, then that action done.
    const pushed = h.events.filter((e) => e.event === 'emergency:runChanged' && (e.payload as { runId: string }).runId === runId).map((e) => e.payload as { change: string; state: string; step: { state: string } | null });
    expect(pushed.map((e) => [e.change, e.step?.state, e.state])).toEqual([['started', 'running', 'running'], ['step', 'done', 'done']]);
    // Audited: the break-glass run, its action, the order (and its signature as a key operation).
    expect(h.auditOf('emergency.execute')[0]).toMatchObject({ outcome: 'success', targetId: runId, details: { breakGlass: 'no second officer on site tonight', actions: 'lockdown', origin: 'order' } });
    expect(h.auditOf('emergency.action')[0]).toMatchObject({ outcome: 'success', targetId: runId, details: { step: 'lockdown', orderSequence: out.order.sequence } });
    expect(h.auditOf('lockdown.order')[0]).toMatchObject({ outcome: 'success', details: { sequence: out.order.sequence, resolvedFrom: `holders of key ${ids.siteKey}:2` } });
    expect(h.auditOf('key.sign').length).toBeGreaterThan(0);

    expect((await h.fail(h.call('emergency:review', { runId, note: 'my own' }))).code).toBe('forbidden');
    await signIn(BOB.name, BOB.pass);
    expect(await h.call('emergency:review', { runId, note: 'checked with the site manager' })).toMatchObject({ review: 'reviewed', reviewedBy: 'Bob' });
    expect((await h.call('emergency:runs', { needsReview: true })).runs).toEqual([]);
    await signIn('Officer Ada', PASS);
  });

  it('a site lockdown breaks glass with the site as its scope', async () => {
    const out = await h.call('emergency:lockdownOrder', { ...ORDER, scope: { site: 'Plant 2' }, breakGlass: { reason: 'robots moving' } });
    expect(out.order.scope).toEqual({ site: 'Plant 2' });
    expect((await h.call('emergency:run', { runId: out.runId! })).scope).toEqual({ kind: 'site', site: 'Plant 2' });
  });

  it('is refused without a justification, for a lift, for a robot list and for a bad order: nothing signed, no alert, no run', async () => {
    const seqs = await sequences();
    const alerts = (await breakGlassAlerts()).length;
    const runs = (await h.call('emergency:runs', {})).runs.length;
    for (const reason of ['', '   ', 'x'.repeat(501)]) {
      const env = await route('emergency:lockdownOrder', { ...ORDER, scope: { site: 'Plant 1' }, breakGlass: { reason } });
      expect({ reason: reason.length, ok: env.ok, code: env.error?.code }).toEqual({ reason: reason.length, ok: false, code: 'invalid_input' });
    }
    expect((await route('emergency:lockdownOrder', { ...ORDER, scope: { site: 'Plant 1' }, breakGlass: {} })).error?.code).toBe('invalid_input');
    const cases: Array<[string, OrderInput, RegExp]> = [
      ['a lift', { ...ORDER, kind: 'lift', actions: [], scope: { site: 'Plant 1' }, breakGlass: { reason: 'r' } }, /lift order never needs approval/],
      ['a robot list', { ...ORDER, scope: { deviceIds: ['uv-101'] }, breakGlass: { reason: 'r' } }, /needs no approval/],
      ['wipe_keys naming no key', { ...ORDER, actions: ['wipe_keys'], scope: { site: 'Plant 1' }, breakGlass: { reason: 'r' } }, /not valid/],
      ['an empty resolution', { ...ORDER, scope: { keyId: ids.unheld }, breakGlass: { reason: 'r' } }, /order for nobody/],
    ];
    for (const [what, input, message] of cases) {
      const refused = await h.fail(h.call('emergency:lockdownOrder', input));
      expect({ what, code: refused.code, message: message.test(refused.message) }).toEqual({ what, code: 'invalid_input', message: true });
    }
    expect(await sequences()).toEqual(seqs);
    expect((await breakGlassAlerts()).length).toBe(alerts);
    expect((await h.call('emergency:runs', {})).runs.length).toBe(runs);
  });

  it('a key custodian may not break glass (nor issue orders at all): forbidden before the handler, audited as denied', async () => {
    const seqs = await sequences();
    await signIn('Kate', `${PASS} kate`);
    try {
      const denied = h.auditOf('access.denied').length;
      const env = await route('emergency:lockdownOrder', { ...ORDER, scope: { site: 'Plant 1' }, breakGlass: { reason: 'I am sure' } });
      expect([env.ok, env.error?.code]).toEqual([false, 'forbidden']);
      expect(h.auditOf('access.denied').length).toBe(denied + 1);
    } finally {
      await signIn('Officer Ada', PASS);
    }
    expect(await sequences()).toEqual(seqs);
  });
});
