// A lockdown order that makes robots stop trusting a fleet CA (action distrust_ca, order version 2,
// docs/lockdown-orders.md "File format"), issued through emergency:lockdownOrder on a real console: the order names
// the CA by the key id robots know it by (SHA-256 of its certificate's SubjectPublicKeyInfo, computed here from the
// certificate ca:history shows), the robot's own checks accept it and then distrust that CA; the refusals (the action
// without a CA, a CA without the action, an unknown CA, a CA twice) are typed, audited and sign nothing; such an order
// is wide whatever its scope (an approval request once a second officer exists).
import { addOperators } from './support/consoleCalls.ts';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput } from '../../shared/contract.ts';
import { applyOrder, distrustsCa, UNLOCKED, verifyOrder, type RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { CTX, removeTempDirs } from '../unit/store-testkit.ts';
import { type Harness, initialized, PASS } from './providers-kit.ts';

let h: Harness;
let emergencyPem = '';
let caId = '';
let caKeyId = '';
const ROBOT: RobotFacts = { deviceId: 'uv-201', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] };
type OrderInput = ChannelInput<'emergency:lockdownOrder'>;
const ORDER = {
  kind: 'lockdown' as const, scope: { deviceIds: ['uv-201'] }, actions: ['refuse_revoked_peers' as const, 'distrust_ca' as const],
  reason: 'fleet CA key copied', message: 'Security: the fleet CA is no longer trusted', validForSeconds: 3600,
};
const sequences = async () => (await h.call('emergency:lockdownList', {})).orders.map((o) => o.sequence);

beforeAll(async () => {
  h = await initialized();
  await h.call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048', provider: 'local' }).then(async (k) => {
    emergencyPem = (await h.call('keys:publicKey', { keyId: k.id })).pem;
  });
  await h.call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Distrust Test CA' });
  const [ca] = (await h.call('ca:history', {})).cas;
  caId = ca!.id;
  // The documented id: SHA-256 (hex) of the CA certificate's SubjectPublicKeyInfo DER.
  caKeyId = createHash('sha256').update(new X509Certificate(ca!.certificatePem).publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
  h.console.fleet.create({ deviceId: 'uv-201', name: 'Robot uv-201', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
}, 120_000);

afterAll(() => {
  h?.console.close();
  removeTempDirs();
});

describe('distrust_ca through emergency:lockdownOrder', () => {
  it('signs a version 2 order naming the CA by its key id; the robot accepts it and distrusts that CA from then on', async () => {
    const out = await h.call('emergency:lockdownOrder', { ...ORDER, distrustCaIds: [caId] });
    const body = JSON.parse(Buffer.from(JSON.parse(Buffer.from(out.content, 'base64').toString()).body, 'base64').toString()) as Record<string, unknown>;
    expect(body).toMatchObject({ v: 2, actions: ['refuse_revoked_peers', 'distrust_ca'], distrustCas: [caKeyId] });
    const order = verifyOrder(Buffer.from(out.content, 'base64'), { emergencyPublicKey: createPublicKey(emergencyPem), robot: ROBOT, lastSequence: 0, now: new Date() });
    const state = applyOrder(UNLOCKED, order);
    expect(distrustsCa(state, caKeyId)).toBe(true);
    expect(h.auditOf('lockdown.order')[0]).toMatchObject({ outcome: 'success', details: { sequence: out.order.sequence, distrustCaIds: caId, distrustCas: caKeyId } });
  });

  it('refuses the action without a CA, a CA without the action, an unknown CA and a CA twice: typed, audited, nothing signed', async () => {
    const unknown = '00000000-0000-4000-8000-0000000000ca';
    const cases: Array<[string, OrderInput, string, RegExp]> = [
      ['distrust_ca naming no CA', { ...ORDER }, 'invalid_input', /^Name the fleet CA/],
      ['a CA without distrust_ca', { ...ORDER, actions: ['stop_operating'], distrustCaIds: [caId] }, 'invalid_input', /named with the "Stop trusting a fleet CA" action/],
      ['an unknown CA', { ...ORDER, distrustCaIds: [unknown] }, 'not_found', new RegExp(`^No fleet CA ${unknown}\\.$`)],
      ['a CA twice', { ...ORDER, distrustCaIds: [caId, caId] }, 'invalid_input', /^A fleet CA is named twice\.$/],
    ];
    const before = await sequences();
    const signatures = h.auditOf('key.sign').length;
    for (const [what, input, code, message] of cases) {
      const records = h.auditOf('lockdown.order').length;
      const refused = await h.fail(h.call('emergency:lockdownOrder', input));
      expect({ what, code: refused.code, message: message.test(refused.message) }).toEqual({ what, code, message: true });
      const all = h.auditOf('lockdown.order');
      expect({ what, added: all.length - records, outcome: all[0]!.outcome, field: all[0]!.details.field, signed: all[0]!.details.signed })
        .toEqual({ what, added: 1, outcome: 'failure', field: 'distrustCaIds', signed: false });
    }
    expect(await sequences()).toEqual(before);
    expect(h.auditOf('key.sign').length).toBe(signatures);
  });

  it('the router refuses a CA id that is not a UUID, no CA, and more than 16 CAs, before any handler', async () => {
    const before = await sequences();
    for (const distrustCaIds of [['not-a-uuid'], [], Array.from({ length: 17 }, (_, i) => `00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`)]) {
      const router = createRouter({ handlers: h.console.handlers, access: { check: (channel, ctx, input) => h.console.access.check(channel, ctx, input) } });
      const env = (await router.route({ channel: 'emergency:lockdownOrder', input: { ...ORDER, distrustCaIds }, ctx: CTX, trustedSender: true })) as { ok: boolean; error?: { code: string } };
      expect({ n: distrustCaIds.length, ok: env.ok, code: env.error?.code }).toEqual({ n: distrustCaIds.length, ok: false, code: 'invalid_input' });
    }
    expect(await sequences()).toEqual(before);
  });

  it('audits the CAs of a distrust order, in the order given and comma-separated; an order without the action has no such members', async () => {
    // docs/lockdown-orders.md "Issuing", step 4: distrustCaIds (console ids) and distrustCas (key ids), each
    // comma-separated in the order given; a version 1 order has neither (and its body no distrustCas).
    await h.call('ca:replace', { algorithm: 'EC_P256', commonName: 'Distrust Test CA 2', reason: 'planned replacement' });
    const cas = (await h.call('ca:history', {})).cas;
    const second = cas.find((c) => c.id !== caId)!;
    const secondKeyId = createHash('sha256').update(new X509Certificate(second.certificatePem).publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    const both = await h.call('emergency:lockdownOrder', { ...ORDER, distrustCaIds: [second.id, caId] });
    expect(h.auditOf('lockdown.order')[0]).toMatchObject({ outcome: 'success', details: { sequence: both.order.sequence, distrustCaIds: `${second.id},${caId}`, distrustCas: `${secondKeyId},${caKeyId}` } });
    const plain = await h.call('emergency:lockdownOrder', { ...ORDER, actions: ['stop_operating'] });
    const record = h.auditOf('lockdown.order')[0]!;
    expect(record).toMatchObject({ outcome: 'success', details: { sequence: plain.order.sequence, actions: 'stop_operating' } });
    expect({ distrustCaIds: 'distrustCaIds' in record.details, distrustCas: 'distrustCas' in record.details }).toEqual({ distrustCaIds: false, distrustCas: false });
    const body = JSON.parse(Buffer.from(JSON.parse(Buffer.from(plain.content, 'base64').toString()).body, 'base64').toString()) as Record<string, unknown>;
    expect({ v: body.v, distrustCas: 'distrustCas' in body }).toEqual({ v: 1, distrustCas: false });
  });

  it('is wide whatever its scope: with a second officer a one-robot distrust order is an approval request, a plain one is not', async () => {
    await addOperators(h.console, { name: 'Officer Ada', passphrase: PASS }, [{ name: 'Bob', role: 'security_officer', passphrase: `${PASS} bob` }]);
    const before = await sequences();
    const asked = await h.fail(h.call('emergency:lockdownOrder', { ...ORDER, distrustCaIds: [caId] }));
    expect(asked.code).toBe('approval_required');
    expect(await sequences()).toEqual(before);
    const plain = await h.call('emergency:lockdownOrder', { ...ORDER, actions: ['stop_operating'] });
    expect(plain.runId).toBeNull();
  });

  it('a one-robot playbook whose lockdown distrusts a CA is wide too: an approval request, or break-glass recorded for review', async () => {
    // A second security officer exists (the test above). The same playbook without the distrust runs at once.
    const playbook = (lockdownActions: Array<'stop_operating' | 'distrust_ca'>) => ({
      scope: { kind: 'robot' as const, deviceId: 'uv-201' }, actions: ['lockdown' as const], reason: 'fleet CA key copied',
      lockdown: { actions: lockdownActions, message: 'Security', validForSeconds: 3600, ...(lockdownActions.includes('distrust_ca') ? { distrustCaIds: [caId] } : {}) },
    });
    const before = await sequences();
    const open = async () => (await h.call('approvals:list', { open: true })).requests.filter((r) => r.channel === 'emergency:execute').length;
    const requests = await open();
    const asked = await h.fail(h.call('emergency:execute', playbook(['stop_operating', 'distrust_ca'])));
    expect(asked.code).toBe('approval_required');
    // The console's guard made the request (emergency.wide), not only the service's refusal.
    expect(await open()).toBe(requests + 1);
    expect(await sequences()).toEqual(before);
    const glass = await h.call('emergency:execute', { ...playbook(['stop_operating', 'distrust_ca']), breakGlass: { reason: 'Bob is away' } });
    expect([glass.run?.state, glass.run?.breakGlassReason, glass.run?.review]).toEqual(['done', 'Bob is away', 'needs_review']);
    const order = verifyOrder(Buffer.from(glass.lockdownFile!.content, 'base64'), { emergencyPublicKey: createPublicKey(emergencyPem), robot: ROBOT, lastSequence: 0, now: new Date() });
    expect(order).toMatchObject({ v: 2, distrustCas: [caKeyId] });
    const plain = await h.call('emergency:execute', playbook(['stop_operating']));
    expect([plain.run?.state, plain.run?.breakGlassReason]).toEqual(['done', null]);
  });
});
