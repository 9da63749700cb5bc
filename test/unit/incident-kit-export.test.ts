// Exporting an incident kit (docs/incident-kit.md, "What is in a kit", "Export") in process, so the mutation run
// reaches kitService.ts's export half (the round trip through the console's guard and approvals is
// test/integration/incident-kit.test.ts, outside the mutation configuration). Real parts: a whole console over a real
// SQLite store, with a real emergency key (the orders are signed by the lockdown service), a real fleet CA (the CRL)
// and the real audit log (the manifest's signature). Orders here are robot lists, which need no approval.
// Expected values come from the doc's table of the kit's files and from the inputs written below: the kit holds
// every robot and its certificates, the CRL, the emergency public key, each order signed with its own expiry
// (exportedAt + validForSeconds) and maximum uses, sealed for the responder (the signed-in exporter) only.
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { verifyOrder } from '../../electron/services/emergency/lockdownOrder.ts';
import { readKitDir } from '../../electron/services/incidentKit/kitFiles.ts';
import { kitGenesis, kitPublicKeyOf, openKit, readManifest, verifyKitChain } from '../../electron/services/incidentKit/kitFormat.ts';
import { contract, type ChannelInput, type ChannelName, type ChannelOutput } from '../../shared/contract.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { benchDeviceId, seedSiteWithCertificates } from '../bench/fleetSeed.ts';
import { CTX, dbFile, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

const T0 = Date.parse('2026-12-06T08:00:00.000Z');
const AT = (ms: number) => new Date(T0 + ms).toISOString();
const BOB_PASS = `${PASSPHRASE} bob`;
let c: FleetConsole;
let emergencyKeyId: string;
const SERIALS = ['5a' + '0'.repeat(29) + '1', '5a' + '0'.repeat(29) + '2'];

/** A channel call as the router makes it: the input parsed by the contract (defaults filled), the output checked. */
async function call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const raw = await (c.handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(contract[channel].input.parse(input), CTX);
  return contract[channel].output.parse(raw) as ChannelOutput<C>;
}

// Four robots at two sites without certificates, two more (seeded at "Bench Site") with one certificate each; a fleet
// CA (so a CRL); the emergency key; a second security officer (Bob). Nothing here reaches the kit export.
beforeAll(async () => {
  const dir = tempDir('ecps-kit-export-');
  c = await openUnlocked(dir, { clock: manualClock(T0) });
  emergencyKeyId = (await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' })).id;
  for (const [deviceId, site] of [['uv-001', 'Plant 1'], ['uv-002', 'Plant 1'], ['uv-003', 'Plant 2'], ['uv-004', 'Plant 2']] as const) {
    await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site, firmware: '2.1.0', status: 'deployed' });
  }
  await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Kit Test CA' });
  await call('operators:add', { name: 'bob', role: 'security_officer', passphrase: BOB_PASS });
  c.close();
  seedSiteWithCertificates(dbFile(dir), 2, (i) => SERIALS[i - 1]!);
  c = await open(dir, { clock: manualClock(T0) });
  await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
}, 60_000);

afterAll(() => {
  c?.close();
  removeTempDirs();
});

const kitDir = () => join(tempDir('ecps-kit-out-'), 'kit');
const signedOrders = async () => (await call('emergency:lockdownList', {})).orders.length;
const exportRecords = () => c.audit.query({ action: 'kit.export', offset: 0, limit: 50 }).records.reverse();

async function refusal(p: Promise<unknown>): Promise<{ code: string; field: unknown; message: string } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return isConsoleError(e) ? { code: e.code, field: e.details?.field, message: e.message } : { code: `not a console error: ${String(e)}`, field: null, message: '' };
  }
}

describe('kit export: what goes in the kit', () => {
  it('every robot and certificate, the CRL, the emergency key, each order signed with its expiry and max uses; audited', async () => {
    const dir = kitDir();
    const crlBefore = (await call('ca:crl', {}));
    const ordersBefore = await signedOrders();
    const out = await call('kit:export', {
      dir, passphrase: PASSPHRASE, reason: 'uv-002 reported stolen', message: 'Security lockdown',
      orders: [
        { name: 'two robots', scope: { deviceIds: ['uv-001', 'uv-002'] }, maxUses: 2, validForSeconds: 3600 },
        { name: 'robot uv-003', scope: { deviceIds: ['uv-003'] }, maxUses: 1, validForSeconds: 7200, actions: ['safe_mode'] },
        { name: 'robot uv-004', scope: { deviceIds: ['uv-004'] }, maxUses: 3, validForSeconds: 600 },
      ],
    });
    // The latest expiry of the orders: the second's.
    expect(out).toMatchObject({ responder: 'alice', robots: 6, dir, expiresAt: AT(7200_000) });
    expect(await signedOrders()).toBe(ordersBefore + 3);

    const files = await readKitDir(dir);
    const manifest = readManifest(files.manifest);
    const body = manifest.body;
    expect(body).toMatchObject({ v: 1, kitId: out.kitId, exportedAt: AT(0), exportedBy: 'alice', responder: 'alice', expiresAt: AT(7200_000), robots: 6 });
    expect(body.orders.map((o) => [o.name, o.expiresAt, o.maxUses])).toEqual([['two robots', AT(3600_000), 2], ['robot uv-003', AT(7200_000), 1], ['robot uv-004', AT(600_000), 3]]);
    expect(out.orders).toEqual(body.orders);
    // Sequences follow the console's order sequence, one per order, in the order given.
    const seqs = body.orders.map((o) => o.sequence);
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    // The manifest is signed with this console's audit key.
    expect(manifest.auditKeySpki.equals(Buffer.from((c.audit.signDocument(Buffer.from('x'))).publicKeySpki))).toBe(true);
    expect(files.audit).toBe('');
    // The kit's own chain: empty, its head at the genesis, signed by the kit key the manifest names.
    expect(verifyKitChain(out.kitId, kitPublicKeyOf(body), files.audit, files.head)).toEqual({ records: [], head: { seq: 0, hash: kitGenesis(out.kitId) } });

    expect(body.payloadSha256).toBe(createHash('sha256').update(files.payload).digest('hex'));
    const payload = await openKit(body, files.payload, PASSPHRASE);
    expect(payload.robots.map((r) => [r.deviceId, r.site]).sort()).toEqual([
      [benchDeviceId(1), 'Bench Site'], [benchDeviceId(2), 'Bench Site'], ['uv-001', 'Plant 1'], ['uv-002', 'Plant 1'], ['uv-003', 'Plant 2'], ['uv-004', 'Plant 2'],
    ].sort());
    expect(payload.certificates.map((x) => [x.deviceId, x.serial, x.status]).sort()).toEqual([[benchDeviceId(1), SERIALS[0], 'active'], [benchDeviceId(2), SERIALS[1], 'active']]);
    // The CRL published at export: the fleet CA's, numbered after the one published before.
    expect(payload.crl?.pem).toMatch(/^-----BEGIN X509 CRL-----\n/);
    expect(payload.crl!.crlNumber).toBeGreaterThan(crlBefore.crlNumber);
    expect(payload.emergencyPublicKeyPem).toBe((await call('keys:publicKey', { keyId: emergencyKeyId })).pem);
    // Each order verifies for a robot in its scope against the kit's emergency key, with what was asked for.
    const key = createPublicKey(payload.emergencyPublicKeyPem!);
    const facts = (deviceId: string) => ({ deviceId, site: null, model: null, firmware: null, tags: null });
    const expected: Array<[string, string, string[], string, number]> = [
      ['two robots', 'uv-002', ['stop_operating'], AT(3600_000), 2],
      ['robot uv-003', 'uv-003', ['safe_mode'], AT(7200_000), 1],
      ['robot uv-004', 'uv-004', ['stop_operating'], AT(600_000), 3],
    ];
    expect(payload.orders.map((o) => o.name)).toEqual(expected.map((e) => e[0]));
    payload.orders.forEach((o, i) => {
      const [, robot, actions, expiresAt, maxUses] = expected[i]!;
      const order = verifyOrder(Buffer.from(o.file, 'base64'), { emergencyPublicKey: key, robot: facts(robot), lastSequence: 0, now: new Date(T0) });
      expect([order.kind, order.actions, order.issuedAt, order.expiresAt, order.sequence, order.message]).toEqual(['lockdown', actions, AT(0), expiresAt, body.orders[i]!.sequence, 'Security lockdown']);
      expect(order.reason).toBe(`incident kit ${out.kitId}: uv-002 reported stolen`);
      expect([o.orderId, o.sequence, o.expiresAt, o.maxUses, o.actions, o.scope]).toEqual([order.orderId, order.sequence, expiresAt, maxUses, actions, order.scope]);
      expect(body.orders[i]!.orderId).toBe(order.orderId);
    });

    // Only the responder's passphrase opens it.
    await expect(openKit(body, files.payload, BOB_PASS)).rejects.toMatchObject({ code: 'wrong_passphrase' });

    const rec = exportRecords().filter((r) => r.targetId === out.kitId);
    expect(rec.map((r) => [r.actor, r.outcome, r.details])).toEqual([['alice', 'success', {
      responder: 'alice', robots: 6, certificates: 2, crlNumber: payload.crl!.crlNumber, expiresAt: AT(7200_000), reason: 'uv-002 reported stolen',
      orders: body.orders.map((o) => `${o.name}=${o.orderId}x${o.maxUses}`).join(' '),
    }]]);
    // The kit is the responder's open kit until its latest expiry.
    const alice = (await call('operators:list', {})).operators.find((o) => o.name === 'alice');
    expect(alice?.openKits?.find((k) => k.kitId === out.kitId)).toEqual({ kitId: out.kitId, exportedAt: AT(0), expiresAt: AT(7200_000) });
  });

  it('the message defaults to the reason', async () => {
    const dir = kitDir();
    const out = await call('kit:export', { dir, passphrase: PASSPHRASE, reason: 'drill', orders: [{ name: 'one', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: 60 }] });
    const files = await readKitDir(dir);
    const payload = await openKit(readManifest(files.manifest).body, files.payload, PASSPHRASE);
    const order = verifyOrder(Buffer.from(payload.orders[0]!.file, 'base64'), {
      emergencyPublicKey: createPublicKey(payload.emergencyPublicKeyPem!), robot: { deviceId: 'uv-001', site: null, model: null, firmware: null, tags: null }, lastSequence: 0, now: new Date(T0),
    });
    expect([order.message, order.expiresAt, out.expiresAt]).toEqual(['drill', AT(60_000), AT(60_000)]);
  });
});

describe('kit export: refusals write nothing and sign nothing', () => {
  it('two orders with one name: invalid_input (field orders)', async () => {
    const dir = kitDir();
    const before = await signedOrders();
    const audited = exportRecords().length;
    const err = await refusal(call('kit:export', {
      dir, passphrase: PASSPHRASE, reason: 'x',
      orders: [{ name: 'same', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: 60 }, { name: 'same', scope: { deviceIds: ['uv-002'] }, maxUses: 1, validForSeconds: 60 }],
    }));
    expect(err).toEqual({ code: 'invalid_input', field: 'orders', message: "Two orders share a name; each order's name must be unique in the kit." });
    expect([existsSync(dir), await signedOrders(), exportRecords().length]).toEqual([false, before, audited]);
  });

  it("a passphrase that is not the responder's own: wrong_passphrase, audited, no order signed", async () => {
    const dir = kitDir();
    const before = await signedOrders();
    const err = await refusal(call('kit:export', { dir, passphrase: BOB_PASS, reason: 'x', orders: [{ name: 'one', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: 60 }] }));
    expect([err?.code, err?.message]).toEqual(['wrong_passphrase', "The passphrase is not yours: a kit is sealed with its responder's own passphrase."]);
    expect([existsSync(dir), await signedOrders()]).toEqual([false, before]);
    expect(exportRecords().at(-1)).toMatchObject({ actor: 'alice', outcome: 'failure', details: { code: 'wrong_passphrase' } });
  });
});

describe('kit export without a fleet CA', () => {
  it('holds no CRL, and its record says crlNumber null', async () => {
    const other = await openUnlocked(tempDir('ecps-kit-noca-'), { clock: manualClock(T0) });
    try {
      await other.handlers['keys:create'](contract['keys:create'].input.parse({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }), CTX);
      await other.handlers['fleet:create'](contract['fleet:create'].input.parse({ deviceId: 'uv-001', name: 'uv-001', model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', status: 'deployed' }), CTX);
      const dir = kitDir();
      const out = await other.handlers['kit:export'](contract['kit:export'].input.parse({ dir, passphrase: PASSPHRASE, reason: 'no CA yet', orders: [{ name: 'one', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: 60 }] }), CTX);
      const files = await readKitDir(dir);
      expect((await openKit(readManifest(files.manifest).body, files.payload, PASSPHRASE)).crl).toBeNull();
      const rec = other.audit.query({ action: 'kit.export', offset: 0, limit: 5 }).records;
      expect(rec.map((r) => [r.targetId, r.outcome, r.details.crlNumber])).toEqual([[out.kitId, 'success', null]]);
    } finally {
      other.close();
    }
  });
});
