// The console's key bundle service (electron/services/station/bundleService.ts) against docs/key-bundles.md: who may
// receive a bundle ("Who may receive a bundle": provisioned or deployed, an active certificate of the current CA or of a
// retired one), the sequence reserved before the CA signature and burnt by a failure ("Sequence"), the file delivery's
// one transaction and its bundle.issue records ("File delivery"), the serial delivery's rows ("Serial delivery") and
// the v2/v3/v4 layouts ("Emergency material", "The new CA certificate", "Every CRL the robot must hear"). Each bundle
// is opened with the robot's own check (verifyBundle with the robot's identity key). Real SQLite store (key_bundles),
// real audit log and transactions; the registry is a table of robots written here.
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROBOT_STATUSES, type RobotStatus } from '../../shared/domain.ts';
import { ConsoleError } from '../../shared/errors.ts';
import type { CaEndorsement } from '../../electron/services/ca/caEndorsement.ts';
import { bundleDepsFrom, createBundleService, DISTRIBUTABLE_STATUSES, type BundleServiceDeps } from '../../electron/services/station/bundleService.ts';
import { bundleConfirmationKey, bundleEmergency, signerKeyId, verifyBundle } from '../../electron/station/bundle.ts';
import { createFleetRepo } from '../../electron/store/fleetRepo.ts';
import { createKeyBundlesRepo } from '../../electron/store/keyBundlesRepo.ts';
import { caFixture, robotCsr, type CaFixture } from '../integration/fleetca-kit.ts';
import { endorseInput, identity, kitFullCa } from './bundle-kit.ts';
import { CTX, openUnlocked, removeTempDirs, tempDir } from './store-testkit.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
afterAll(() => removeTempDirs());

const current = await kitFullCa('CN=Current CA');
const retired = await kitFullCa('CN=Retired CA');
const stranger = await kitFullCa('CN=Stranger CA');

/** The endorsement caEndorsement.ts would hand over for a robot of the retired CA (docs/key-bundles.md, v3). */
const ENDORSEMENT: CaEndorsement = {
  fromCaId: 'retired-id', toCaId: 'current-id', caCertDer: current.caCertDer, endorserKeyId: signerKeyId(retired.publicKey),
  endorsement: await retired.sign(endorseInput(current.caCertDer)),
};

interface CertRow { status: 'active' | 'revoked' | 'expired'; notBefore: string; pem: string }
interface Robot { status: RobotStatus; certificates: CertRow[]; key: KeyObject }

const KEYS = [{ keyId: 'k-comm', version: 3 }, { keyId: 'k-store', version: 1 }];

async function robot(status: RobotStatus = 'deployed', ca = current): Promise<Robot> {
  const id = identity();
  const cert = await ca.issue(id.publicKey, 'uv-1');
  return { status, key: id.privateKey, certificates: [{ status: 'active', notBefore: '2026-01-01T00:00:00.000Z', pem: cert.pem }] };
}

function rig(robots: Record<string, Robot>, more: Partial<BundleServiceDeps> = {}) {
  const f: CaFixture = caFixture();
  cleanups.push(() => f.store.close());
  const bundles = createKeyBundlesRepo(f.store.store.db);
  // The robots' rows (key_bundles refers to them); what the service reads of a robot comes from the table above.
  const fleetRepo = createFleetRepo(f.store.store.db);
  const at = '2026-01-01T00:00:00.000Z';
  fleetRepo.ensureSite('Plant 1', at);
  fleetRepo.ensureModel('UV-3', at);
  for (const deviceId of Object.keys(robots)) {
    fleetRepo.insert({ deviceId, name: deviceId, model: 'UV-3', site: 'Plant 1', firmware: '1.0', tags: [], status: robots[deviceId]!.status, statusReason: null, lastSeen: null, createdAt: at, updatedAt: at });
  }
  const recorded: Array<{ deviceId: string; keys: unknown; source: unknown }> = [];
  /** Every key buffer handed to the service, to check that each was zeroed after use. */
  const handed: Buffer[] = [];
  /** Copies of the material handed out per build, in order. */
  const materials: Buffer[][] = [];
  const deps: BundleServiceDeps = {
    fleet: {
      get: (deviceId: string) => {
        const r = robots[deviceId];
        if (!r) throw new ConsoleError('not_found', `Robot ${deviceId} is not registered.`);
        return { deviceId, status: r.status, certificates: r.certificates };
      },
      recordKeyVersions: (deviceId: string, keys: unknown, source: unknown) => void recorded.push({ deviceId, keys, source }),
    } as never,
    audit: f.audit,
    clock: f.clock,
    bundles,
    actor: () => 'officer-2',
    caCertificatePem: async () => current.caCertPem,
    caSign: (data) => current.sign(data),
    async newestKeys() {
      const out = KEYS.map((k, i) => ({ ...k, material: Buffer.alloc(32, 0x11 * (i + 1) + materials.length) }));
      materials.push(out.map((k) => Buffer.from(k.material)));
      handed.push(...out.map((k) => k.material));
      return out;
    },
    transaction: (fn) => f.store.store.db.transaction(fn)(),
    ...more,
  };
  const records = (action = 'bundle.issue') => f.audit.query({ action, offset: 0, limit: 100 }).records.reverse()
    .map((x) => ({ actor: x.actor, targetType: x.targetType, targetId: x.targetId, outcome: x.outcome, details: x.details }));
  const allZero = () => handed.length > 0 && handed.every((b) => b.every((x) => x === 0));
  return { f, deps, service: createBundleService(deps), bundles, recorded, records, allZero, materials };
}

const open = (file: Buffer, r: Robot, o: { trust?: string[]; last?: number } = {}) =>
  verifyBundle(file, { caCertPem: o.trust ?? [current.caCertPem], deviceId: 'uv-1', identityPrivateKey: r.key, lastSequence: o.last ?? 0 });
const bodyOf = (file: Buffer) => JSON.parse(Buffer.from((JSON.parse(file.toString()) as { body: string }).body, 'base64').toString()) as Record<string, unknown>;

/** A ConsoleError's code and message, and its details when it has any (what the window is told). */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConsoleError) return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('a bundle file (bundles:build)', () => {
  it('signed by the current CA for the robot\'s identity key; recorded, issued and audited; key material zeroed', async () => {
    const r = await robot();
    const t = rig({ 'uv-1': r });
    const built = await t.service.build('uv-1');
    expect({ fileName: built.fileName, sequence: built.sequence, keys: built.keys }).toEqual({ fileName: 'uv-1.bundle-1.json', sequence: 1, keys: KEYS });
    const opened = open(built.content, r);
    expect(opened.body).toMatchObject({ v: 1, deviceId: 'uv-1', sequence: 1, signerKeyId: signerKeyId(current.publicKey), issuedAt: new Date(t.f.clock.now()).toISOString() });
    expect(opened.keys).toEqual(KEYS.map((k, i) => ({ ...k, material: t.materials[0]![i] })));
    expect(t.allZero()).toBe(true);
    expect(t.recorded).toEqual([{ deviceId: 'uv-1', keys: KEYS, source: 'distribution' }]);
    expect(t.service.list('uv-1')).toEqual([
      { sequence: 1, bundleId: opened.body.bundleId, issuedAt: opened.body.issuedAt, delivery: 'file', state: 'issued', keys: KEYS, errorCode: null },
    ]);
    expect(t.records()).toEqual([{ actor: 'officer-2', targetType: 'robot', targetId: 'uv-1', outcome: 'success', details: { sequence: 1, keys: 'k-comm@3,k-store@1', delivery: 'file' } }]);

    // The next build takes the next number; the list is newest first.
    t.f.clock.advance(1000);
    const second = await t.service.build('uv-1');
    expect(second.sequence).toBe(2);
    expect(open(second.content, r, { last: 1 }).body.bundleId).not.toBe(opened.body.bundleId);
    expect(t.service.list('uv-1').map((x) => x.sequence)).toEqual([2, 1]);
  });

  it('only provisioned or deployed robots receive one; the others are refused, audited, with no number used', async () => {
    expect([...DISTRIBUTABLE_STATUSES].sort()).toEqual(['deployed', 'provisioned']);
    for (const status of ROBOT_STATUSES) {
      const t = rig({ 'uv-1': await robot(status) });
      if (status === 'provisioned' || status === 'deployed') {
        expect((await t.service.build('uv-1')).sequence, status).toBe(1);
        continue;
      }
      expect(await refusal(t.service.build('uv-1')), status).toEqual({ code: 'illegal_transition', message: `Robot uv-1 is ${status}: only provisioned or deployed robots receive key bundles.`, details: { deviceId: 'uv-1', status } });
      expect(t.records(), status).toEqual([{ actor: 'officer-2', targetType: 'robot', targetId: 'uv-1', outcome: 'failure', details: { code: 'illegal_transition', sequence: null } }]);
      expect(t.service.list('uv-1'), status).toEqual([]);
    }
  });

  it('needs an active certificate and takes the newest active one', async () => {
    const r = await robot();
    r.certificates[0]!.status = 'revoked';
    const t = rig({ 'uv-1': r });
    expect(await refusal(t.service.build('uv-1'))).toEqual({ code: 'illegal_transition', message: 'Robot uv-1 has no active certificate: provision it first.', details: { deviceId: 'uv-1' } });

    // Four certificates, each for another identity key: the newest active one is the one the bundle is wrapped to.
    const older = await robot();
    const newest = await robot();
    const oldest = await robot();
    const revokedNewer = await robot();
    const mixed: Robot = {
      status: 'deployed', key: newest.key,
      certificates: [
        { ...older.certificates[0]!, notBefore: '2026-02-01T00:00:00.000Z' },
        { ...newest.certificates[0]!, notBefore: '2026-03-01T00:00:00.000Z' },
        { ...oldest.certificates[0]!, notBefore: '2026-01-01T00:00:00.000Z' },
        { ...revokedNewer.certificates[0]!, status: 'revoked', notBefore: '2026-04-01T00:00:00.000Z' },
      ],
    };
    const built = await rig({ 'uv-1': mixed }).service.build('uv-1');
    expect(open(built.content, mixed).keys.map((k) => k.keyId)).toEqual(['k-comm', 'k-store']);
  });

  it('a certificate of no CA the console can endorse is refused integrity_failure; the current CA\'s robot is never endorsed', async () => {
    const foreign = await robot('deployed', stranger);
    expect(await refusal(rig({ 'uv-1': foreign }).service.build('uv-1'))).toEqual({ code: 'integrity_failure', message: 'The certificate of uv-1 was not issued by the current fleet CA.', details: { deviceId: 'uv-1' } });
    expect(await refusal(rig({ 'uv-1': foreign }, { caEndorsementFor: async () => null }).service.build('uv-1'))).toMatchObject({ code: 'integrity_failure' });

    const asked: string[] = [];
    const r = await robot();
    const t = rig({ 'uv-1': r }, { caEndorsementFor: async (id) => (asked.push(id), ENDORSEMENT), recordEndorsed: () => asked.push('recorded') });
    expect(open((await t.service.build('uv-1')).content, r).body.v).toBe(1);
    expect(asked).toEqual([]);
  });

  it('a robot of the retired CA: v3 with the current CA endorsed by it, recorded as sent, audited endorsedBy', async () => {
    const r = await robot('deployed', retired);
    const endorsed: unknown[] = [];
    const asked: unknown[] = [];
    const t = rig({ 'uv-1': r }, {
      caEndorsementFor: async (id, cert) => (asked.push([id, cert.issuer]), ENDORSEMENT),
      recordEndorsed: (id, e) => void endorsed.push([id, e.fromCaId]),
    });
    const built = await t.service.build('uv-1');
    // The robot trusts only the retired CA: the endorsement teaches it the current one.
    const opened = open(built.content, r, { trust: [retired.caCertPem] });
    expect(opened.body).toMatchObject({ v: 3, caEndorsement: { caCert: current.caCertDer.toString('base64'), endorserKeyId: signerKeyId(retired.publicKey) } });
    expect(opened.endorsedCaPem).not.toBeNull();
    expect(asked).toEqual([['uv-1', 'CN=Retired CA']]);
    expect(endorsed).toEqual([['uv-1', 'retired-id']]);
    expect(t.records()).toMatchObject([{ outcome: 'success', details: { sequence: 1, delivery: 'file', endorsedBy: 'retired-id' } }]);
    // A console that does not record endorsements (no recordEndorsed) still builds it.
    const u = rig({ 'uv-1': r }, { caEndorsementFor: async () => ENDORSEMENT });
    expect(open((await u.service.build('uv-1')).content, r, { trust: [retired.caCertPem] }).body.v).toBe(3);
  });

  it('a failed signature burns the number (row failed with the code, audited with it), records nothing; the next build goes on', async () => {
    const r = await robot();
    let fail: Error | null = new ConsoleError('provider_unavailable', 'The CA key\'s provider did not answer.');
    const endorsedCalls: unknown[] = [];
    const t = rig({ 'uv-1': r }, {
      caSign: async (data) => {
        if (fail) throw fail;
        return current.sign(data);
      },
      recordEndorsed: () => endorsedCalls.push(1),
    });
    expect(await refusal(t.service.build('uv-1'))).toEqual({ code: 'provider_unavailable', message: 'The CA key\'s provider did not answer.' });
    expect(t.allZero()).toBe(true);
    expect(t.service.list('uv-1')).toMatchObject([{ sequence: 1, state: 'failed', errorCode: 'provider_unavailable', delivery: 'file' }]);
    expect(t.records()).toEqual([{ actor: 'officer-2', targetType: 'robot', targetId: 'uv-1', outcome: 'failure', details: { code: 'provider_unavailable', sequence: 1 } }]);
    expect(t.recorded).toEqual([]);

    // Not a console error: internal, with the cause in the message.
    fail = new Error('socket hang up');
    expect(await refusal(t.service.build('uv-1'))).toEqual({ code: 'internal', message: 'The key bundle could not be built: socket hang up' });
    expect(t.service.list('uv-1')[0]).toMatchObject({ sequence: 2, state: 'failed', errorCode: 'internal' });

    // A thrown value that is no Error at all: its text.
    fail = 'the HSM said no' as unknown as Error;
    expect(await refusal(t.service.build('uv-1'))).toEqual({ code: 'internal', message: 'The key bundle could not be built: the HSM said no' });

    fail = null;
    expect((await t.service.build('uv-1')).sequence).toBe(4);
    expect(t.records().map((x) => x.details)).toEqual([
      { code: 'provider_unavailable', sequence: 1 }, { code: 'internal', sequence: 2 }, { code: 'internal', sequence: 3 }, { sequence: 4, keys: 'k-comm@3,k-store@1', delivery: 'file' },
    ]);
  });

  it('a bundle refusal is coded bundle_<code>; an error code longer than 64 characters is cut in the row', async () => {
    const t = rig({ 'uv-1': await robot() }, { newestKeys: async () => [] });
    // createBundle: "a bundle carries at least one key" (BundleError malformed).
    expect(await refusal(t.service.build('uv-1'))).toEqual({ code: 'internal', message: 'The key bundle could not be built: a bundle carries at least one key' });
    expect(t.service.list('uv-1')).toMatchObject([{ sequence: 1, state: 'failed', errorCode: 'bundle_malformed' }]);
    expect(t.records()).toMatchObject([{ outcome: 'failure', details: { code: 'bundle_malformed', sequence: 1 } }]);

    const long = 'x'.repeat(70);
    const u = rig({ 'uv-1': await robot() }, { caSign: async () => { throw new ConsoleError(long as never, 'odd provider'); } });
    await refusal(u.service.build('uv-1'));
    expect(u.service.list('uv-1')[0]!.errorCode).toBe('x'.repeat(64));
  });

  it('a row that stopped being issued while the CA signed: no success, audited failure internal', async () => {
    const r = await robot();
    const holder: { t?: ReturnType<typeof rig> } = {};
    const t = rig({ 'uv-1': r }, {
      caSign: async (data) => {
        holder.t!.bundles.setState('uv-1', 1, 'failed', ['issuing'], 'elsewhere');
        return current.sign(data);
      },
    });
    holder.t = t;
    expect(await refusal(t.service.build('uv-1'))).toEqual({ code: 'internal', message: 'Bundle 1 of uv-1 is no longer being issued.' });
    expect(t.records()).toEqual([{ actor: 'officer-2', targetType: 'robot', targetId: 'uv-1', outcome: 'failure', details: { code: 'internal', sequence: 1 } }]);
    // The row was failed elsewhere: it keeps that code (only an issuing or issued row is burnt).
    expect(t.service.list('uv-1')[0]).toMatchObject({ state: 'failed', errorCode: 'elsewhere' });
  });

  it('list: not_found for an unknown robot', async () => {
    expect(await refusal((async () => rig({}).service.list('uv-9'))())).toMatchObject({ code: 'not_found' });
  });
});

describe('emergency material and CRLs in a bundle', () => {
  const emergencyKeyDer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
  const item = (name: string) => ({ itemId: name, content: Buffer.from(`${name} content`) });

  it('v2 with the emergency key, the orders and the current CA\'s CRL; each item recorded as included with the sequence', async () => {
    const r = await robot();
    const included: unknown[] = [];
    const orders = {
      forBundle: async () => ({ emergencyKeyDer, orders: [item('order-1'), item('order-2')], crl: item('crl-current'), otherCrls: [] }) as never,
      recordIncluded: (id: string, items: readonly object[], seq: number) => void included.push([id, items.map((x) => (x as { itemId: string }).itemId), seq]),
    };
    const t = rig({ 'uv-1': r }, { orders });
    const built = await t.service.build('uv-1');
    const opened = open(built.content, r);
    expect(opened.body.v).toBe(2);
    expect(bundleEmergency(opened.body)).toEqual({ emergencyKeyDer, orders: [item('order-1').content, item('order-2').content], crls: [item('crl-current').content] });
    expect(included).toEqual([['uv-1', ['order-1', 'order-2', 'crl-current'], 1]]);
  });

  it('v4 when another CA\'s CRL rides along (current CA\'s first); no CRL of the current CA: the others only', async () => {
    const r = await robot();
    const included: unknown[] = [];
    const orders = {
      forBundle: async () => ({ emergencyKeyDer: null, orders: [], crl: null, otherCrls: [item('crl-old-1'), item('crl-old-2')] }) as never,
      recordIncluded: (id: string, items: readonly object[], seq: number) => void included.push([id, items.map((x) => (x as { itemId: string }).itemId), seq]),
    };
    const t = rig({ 'uv-1': r }, { orders });
    const opened = open((await t.service.build('uv-1')).content, r);
    expect(opened.body.v).toBe(4);
    expect(bundleEmergency(opened.body)).toEqual({ emergencyKeyDer: null, orders: [], crls: [item('crl-old-1').content, item('crl-old-2').content] });
    expect(bodyOf((await t.service.build('uv-1')).content)).toMatchObject({ v: 4, caEndorsement: null });
    expect(included).toEqual([['uv-1', ['crl-old-1', 'crl-old-2'], 1], ['uv-1', ['crl-old-1', 'crl-old-2'], 2]]);
  });

  it('a failed build records no item as included', async () => {
    const included: unknown[] = [];
    const orders = { forBundle: async () => ({ emergencyKeyDer, orders: [item('order-1')], crl: null, otherCrls: [] }) as never, recordIncluded: () => void included.push(1) };
    const t = rig({ 'uv-1': await robot() }, { orders, caSign: async () => { throw new ConsoleError('provider_unavailable', 'down'); } });
    await refusal(t.service.build('uv-1'));
    await refusal(t.service.issueForSerial('uv-1'));
    expect(included).toEqual([]);
  });
});

describe('a bundle for the serial link', () => {
  it('issued, not audited, nothing recorded yet; the sequence heard before the signature; kb from the bundle id and the material', async () => {
    const r = await robot();
    const order: string[] = [];
    const t = rig({ 'uv-1': r }, { caSign: async (data) => (order.push('sign'), current.sign(data)) });
    const b = await t.service.issueForSerial('uv-1', (seq) => order.push(`reserved ${seq}`));
    expect(order).toEqual(['reserved 1', 'sign']);
    const opened = open(b.file, r);
    expect({ deviceId: b.deviceId, sequence: b.sequence, bundleId: b.bundleId, keys: b.keys }).toEqual({ deviceId: 'uv-1', sequence: 1, bundleId: opened.body.bundleId, keys: KEYS });
    expect(b.kb.equals(bundleConfirmationKey('uv-1', opened.body.bundleId, t.materials[0]!))).toBe(true);
    expect(t.allZero()).toBe(true);
    expect(t.service.list('uv-1')).toMatchObject([{ sequence: 1, state: 'issued', delivery: 'serial', keys: KEYS, errorCode: null }]);
    expect(t.records()).toEqual([]);
    expect(t.recorded).toEqual([]);
  });

  it('the items and the endorsement it carries are recorded (included, sent) once it is issued', async () => {
    const r = await robot('deployed', retired);
    const log: unknown[] = [];
    const t = rig({ 'uv-1': r }, {
      orders: { forBundle: async () => ({ emergencyKeyDer: null, orders: [{ itemId: 'order-1', content: Buffer.from('order') }], crl: null, otherCrls: [] }) as never, recordIncluded: (id, items, seq) => void log.push(['included', id, items.length, seq]) },
      caEndorsementFor: async () => ENDORSEMENT,
      recordEndorsed: (id, e) => void log.push(['endorsed', id, e.fromCaId]),
    });
    const b = await t.service.issueForSerial('uv-1');
    expect(open(b.file, r, { trust: [retired.caCertPem] }).body.v).toBe(3);
    expect(log).toEqual([['included', 'uv-1', 1, 1], ['endorsed', 'uv-1', 'retired-id']]);
  });

  it('a session that fails while the CA still signs: the issuing row is failed, and stays failed when the signature comes', async () => {
    const r = await robot();
    let signing!: () => void;
    const started = new Promise<void>((res) => (signing = res));
    let release!: () => void;
    const released = new Promise<void>((res) => (release = res));
    const failed: unknown[] = [];
    const t = rig({ 'uv-1': r }, {
      caSign: async (data) => {
        signing();
        await released;
        return current.sign(data);
      },
      onFailed: (id, keys, code) => void failed.push([id, keys, code]),
    });
    const pending = t.service.issueForSerial('uv-1');
    await started;
    expect(t.service.list('uv-1')[0]!.state).toBe('issuing');
    t.service.recordFailed({ deviceId: 'uv-1', sequence: 1 }, 'step_timeout', () => undefined);
    expect(t.service.list('uv-1')[0]).toMatchObject({ state: 'failed', errorCode: 'step_timeout' });
    expect(failed).toEqual([['uv-1', KEYS, 'step_timeout']]);
    release();
    await pending;
    expect(t.service.list('uv-1')[0]).toMatchObject({ state: 'failed', errorCode: 'step_timeout' });
  });

  it('a failed build: the row failed with its code, the sequence was heard, nothing audited', async () => {
    const heard: number[] = [];
    const t = rig({ 'uv-1': await robot() }, { caSign: async () => { throw new ConsoleError('provider_unavailable', 'down'); } });
    expect(await refusal(t.service.issueForSerial('uv-1', (s) => heard.push(s)))).toEqual({ code: 'provider_unavailable', message: 'down' });
    expect(heard).toEqual([1]);
    expect(t.allZero()).toBe(true);
    expect(t.service.list('uv-1')).toMatchObject([{ sequence: 1, state: 'failed', errorCode: 'provider_unavailable', delivery: 'serial' }]);
    expect(t.records()).toEqual([]);
    // Refused before a reservation: no row.
    const u = rig({ 'uv-1': await robot('quarantined') });
    expect(await refusal(u.service.issueForSerial('uv-1'))).toMatchObject({ code: 'illegal_transition' });
    expect(u.service.list('uv-1')).toEqual([]);
  });

  it('recordInstalled: installed, registry and audit in one transaction, once; an audit that fails undoes it', async () => {
    const r = await robot();
    const installed: unknown[] = [];
    const t = rig({ 'uv-1': r }, { onInstalled: (id, keys) => void installed.push([id, keys]) });
    const b = await t.service.issueForSerial('uv-1');
    expect(() => t.service.recordInstalled(b, () => { throw new Error('audit refused'); })).toThrow('audit refused');
    expect(t.service.list('uv-1')[0]!.state).toBe('issued');
    let audited = 0;
    t.recorded.length = 0;
    installed.length = 0;
    t.service.recordInstalled(b, () => void (audited += 1));
    expect(t.service.list('uv-1')[0]!.state).toBe('installed');
    expect(audited).toBe(1);
    expect(t.recorded).toEqual([{ deviceId: 'uv-1', keys: KEYS, source: 'distribution' }]);
    expect(installed).toEqual([['uv-1', KEYS]]);
    // Not awaiting installation any more, nor an unknown sequence.
    for (const seq of [1, 7]) {
      let thrown: unknown = null;
      try {
        t.service.recordInstalled({ deviceId: 'uv-1', sequence: seq }, () => void (audited += 1));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConsoleError);
      expect(thrown).toMatchObject({ code: 'illegal_transition', message: `Bundle ${seq} of uv-1 is not awaiting installation.` });
    }
    expect(audited).toBe(1);
    expect(installed).toHaveLength(1);
  });

  it('recordFailed: failed with the code (cut to 64), audited, the rollout told once; an unknown bundle is audited only', async () => {
    const r = await robot();
    const failed: unknown[] = [];
    const t = rig({ 'uv-1': r }, { onFailed: (id, keys, code) => void failed.push([id, keys, code]) });
    const b = await t.service.issueForSerial('uv-1');
    let audited = 0;
    const code = `robot_${'y'.repeat(70)}`;
    t.service.recordFailed(b, code, () => void (audited += 1));
    expect(t.service.list('uv-1')[0]).toMatchObject({ state: 'failed', errorCode: code.slice(0, 64) });
    expect(failed).toEqual([['uv-1', KEYS, code]]);
    t.service.recordFailed(b, 'again', () => void (audited += 1));
    t.service.recordFailed({ deviceId: 'uv-1', sequence: 9 }, 'none', () => void (audited += 1));
    expect(audited).toBe(3);
    expect(failed).toHaveLength(1);
    expect(t.service.list('uv-1')[0]!.errorCode).toBe(code.slice(0, 64));
  });

  it('without the rollout hooks: installed and failed are recorded all the same', async () => {
    const t = rig({ 'uv-1': await robot() });
    const one = await t.service.issueForSerial('uv-1');
    const two = await t.service.issueForSerial('uv-1');
    let audited = 0;
    t.service.recordInstalled(one, () => void (audited += 1));
    t.service.recordFailed(two, 'robot_refused', () => void (audited += 1));
    expect(audited).toBe(2);
    expect(t.service.list('uv-1').map((x) => [x.sequence, x.state, x.errorCode])).toEqual([[2, 'failed', 'robot_refused'], [1, 'installed', null]]);
  });
});

describe('wired to the unlocked console (bundleDepsFrom)', () => {
  it('the signed-in operator, the current CA\'s certificate and key, the keys the robot is assigned (material intact)', async () => {
    const dir = tempDir('ecps-bundle-wired-');
    const work = tempDir('ecps-bundle-wired-work-');
    const c = await openUnlocked(dir);
    cleanups.push(() => c.close());
    await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Wired Bundle CA' }, CTX);
    const comm = await c.handlers['keys:create']({ type: 'communication', label: 'robot link', algorithm: 'AES_256' }, CTX);
    const storage = await c.handlers['keys:create']({ type: 'storage', label: 'robot disk', algorithm: 'AES_256' }, CTX);
    await c.handlers['fleet:create']({ deviceId: 'uv-1', name: 'uv-1', model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: [], status: 'deployed' }, CTX);
    const ca = await c.ca.require();
    const issued = await ca.issueDeviceCertificate(robotCsr(work, '/CN=uv-1', 'ec'), { deviceId: 'uv-1' });
    c.fleet.attachCertificate('uv-1', { serial: issued.serial, notAfter: issued.notAfter, pem: issued.pem });

    const built = await c.bundles.build('uv-1');
    const opened = verifyBundle(built.content, { caCertPem: ca.caCertificatePem(), deviceId: 'uv-1', identityPrivateKey: createPrivateKey(readFileSync(path.join(work, 'robot.key'))), lastSequence: 0 });
    expect(opened.body.signerKeyId).toBe(signerKeyId(new X509Certificate(ca.caCertificatePem()).publicKey));
    expect(opened.keys.map((k) => [k.keyId, k.version]).sort()).toEqual([[comm.id, 1], [storage.id, 1]].sort());
    // The service zeroes its copies; the keys it wrapped were the real material, not buffers zeroed by the station's release.
    for (const k of opened.keys) expect(k.material.length === 32 && k.material.some((b) => b !== 0)).toBe(true);
    expect(c.audit.query({ action: 'bundle.issue', offset: 0, limit: 10 }).records.map((x) => [x.actor, x.outcome])).toEqual([['alice', 'success']]);
    // A second build unwraps the keys afresh: the material is still there.
    const again = await c.bundles.build('uv-1');
    const second = verifyBundle(again.content, { caCertPem: ca.caCertificatePem(), deviceId: 'uv-1', identityPrivateKey: createPrivateKey(readFileSync(path.join(work, 'robot.key'))), lastSequence: 1 });
    expect(second.keys.map((k) => k.material.toString('hex')).sort()).toEqual(opened.keys.map((k) => k.material.toString('hex')).sort());
  });

  it('the endorsements, when given, answer for a retired CA\'s robot and record each as sent in a bundle; the hooks pass through', async () => {
    const sent: unknown[] = [];
    const forCertificate = async () => ENDORSEMENT;
    const endorsements = { forCertificate, recordSent: (id: string, e: CaEndorsement, via: string) => void sent.push([id, e.fromCaId, via]), endorse: async () => ENDORSEMENT };
    const onInstalled = () => undefined;
    const base = { ca: {} as never, keys: {} as never, fleet: {} as never, fleetRepo: {} as never, bundles: {} as never, session: { actor: () => 'otto' } as never, audit: {} as never, clock: {} as never, transaction: <T>(fn: () => T) => fn(), assignments: {} as never };
    const without = bundleDepsFrom(base);
    expect(without.caEndorsementFor).toBeUndefined();
    expect(without.recordEndorsed).toBeUndefined();
    expect(without.actor()).toBe('otto');
    const wired = bundleDepsFrom({ ...base, endorsements, hooks: { onInstalled } });
    expect(wired.caEndorsementFor).toBe(forCertificate);
    wired.recordEndorsed!('uv-1', ENDORSEMENT);
    expect(sent).toEqual([['uv-1', 'retired-id', 'bundle']]);
    expect(wired.onInstalled).toBe(onInstalled);
  });
});
