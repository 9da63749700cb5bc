// The incident kit round trip (issue 15, docs/incident-kit.md): export for the responder, open it offline (wrong
// passphrase and another operator refused), use the pre-authorised orders (uses counted, exhausted and expired
// refused, each refusal audited in the kit's chain), import back: the offline quarantines and the kit's records merged
// into the main registry and audit in order, conflicts and gaps reported, the main chain still verifies; a second
// import refused; a kit whose audit, manifest or registry copy was changed refused with nothing merged.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { KIT_FILES, openKit, readManifest } from '../../electron/services/incidentKit/kitFormat.ts';
import { openOfflineKit } from '../../electron/services/incidentKit/offlineKit.ts';
import { readKitDir } from '../../electron/services/incidentKit/kitFiles.ts';
import { contract, type ChannelInput, type ChannelName, type ChannelOutput } from '../../shared/contract.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { CTX, PASSPHRASE, openUnlocked, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

afterAll(removeTempDirs);

const BOB_PASS = 'bob has his own passphrase 42';
// Long enough never to turn up by chance in the kit's ciphertext or base64 ("bob" did: 3 letters match a random
// base64 run about once in 30,000 positions).
const BOB = 'officer-robert-second';
let c: FleetConsole;
let kitDir = '';
const exported = { kitId: '', at: 0 };

/** The typed refusal: its code and which kit check failed. */
async function refusal(fn: () => unknown): Promise<[string, unknown]> {
  try {
    await fn();
  } catch (e) {
    if (isConsoleError(e)) return [e.code, e.details?.kitError];
    throw e;
  }
  throw new Error('expected a refusal');
}

/** A channel call as the router makes it: the input parsed by the contract (defaults filled), the output checked. */
async function call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const raw = await (c.handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(contract[channel].input.parse(input), CTX);
  return contract[channel].output.parse(raw) as ChannelOutput<C>;
}

const statusOf = async (deviceId: string) => (await call('fleet:get', { deviceId })).status;
const offlineRecords = async () => (await call('audit:query', { actionPrefix: 'kit.offline.', offset: 0, limit: 100 })).records;

beforeAll(async () => {
  c = await openUnlocked();
  await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
  const robots: Array<[string, string]> = [['uv-001', 'Plant 1'], ['uv-002', 'Plant 1'], ['uv-003', 'Plant 2'], ['uv-004', 'Plant 1']];
  for (const [deviceId, site] of robots) await call('fleet:create', { deviceId, name: deviceId, model: 'UV-7', site, firmware: '2.1.0', status: 'deployed' });
  await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA' });
  await call('operators:add', { name: BOB, role: 'security_officer', passphrase: BOB_PASS });
  kitDir = join(tempDir('ecps-kit-'), 'kit');
  // A site-wide order signed in advance is as wide as issuing it now: a second officer approves (two-person control).
  const input = {
    dir: kitDir, passphrase: PASSPHRASE, reason: 'uv-002 reported stolen', message: 'Security lockdown',
    orders: [
      { name: 'site Plant 1', scope: { site: 'Plant 1' }, maxUses: 2, validForSeconds: 3600 },
      { name: 'robot uv-003', scope: { deviceIds: ['uv-003'] }, maxUses: 1, validForSeconds: 60 },
    ],
  };
  let requestId = '';
  try {
    await call('kit:export', input);
  } catch (e) {
    if (!isConsoleError(e) || e.code !== 'approval_required') throw e;
    requestId = String(e.details?.requestId);
  }
  expect(existsSync(kitDir)).toBe(false);
  await call('session:lock', {});
  await call('session:unlock', { operator: BOB, passphrase: BOB_PASS });
  await call('approvals:approve', { requestId });
  await call('session:lock', {});
  await call('session:unlock', { operator: 'alice', passphrase: PASSPHRASE });
  const kit = (await call('approvals:execute', { requestId })).result as { kitId: string };
  exported.kitId = kit.kitId;
  exported.at = Date.now();
}, 60_000);

afterAll(() => c?.close());

describe('incident kit: export', () => {
  it('holds the registry, CRL slot, signed orders and only the responder\'s sealed slot; exporting is audited', async () => {
    const files = await readKitDir(kitDir);
    const manifest = readManifest(files.manifest).body;
    expect(manifest).toMatchObject({ kitId: exported.kitId, responder: 'alice', exportedBy: 'alice', robots: 4 });
    expect(manifest.orders.map((o) => [o.name, o.maxUses])).toEqual([['site Plant 1', 2], ['robot uv-003', 1]]);
    // Nothing of the registry in clear: the robots' ids and sites appear in no file but inside the sealed payload.
    for (const name of Object.values(KIT_FILES)) {
      const bytes = readFileSync(join(kitDir, name)).toString('latin1');
      for (const secret of ['uv-001', 'Plant 2', BOB, PASSPHRASE]) expect(bytes.includes(secret), `${name} shows ${secret}`).toBe(false);
    }
    const payload = await openKit(manifest, files.payload, PASSPHRASE);
    expect(Object.keys(payload).sort()).toEqual(['certificates', 'crl', 'emergencyPublicKeyPem', 'kitAuditPrivateKey', 'orders', 'robots', 'v']);
    expect(payload.crl?.pem).toMatch(/^-----BEGIN X509 CRL-----/);
    expect(payload.robots.map((r) => r.deviceId).sort()).toEqual(['uv-001', 'uv-002', 'uv-003', 'uv-004']);
    // No operator's slot and no master key: nothing in the payload names bob or carries a wrapped master key.
    expect(JSON.stringify(payload)).not.toContain(BOB);
    expect(JSON.stringify(payload)).not.toMatch(/wrapped|master/i);
    const records = (await call('audit:query', { action: 'kit.export', offset: 0, limit: 5 })).records;
    expect(records.map((r) => [r.outcome, r.targetId, r.details.responder, r.details.robots])).toEqual([['success', exported.kitId, 'alice', 4]]);
    // The orders were signed with the emergency key like any lockdown order (audited there too).
    expect((await call('emergency:lockdownList', {})).orders.map((o) => o.sequence)).toEqual([2, 1]);
  });

  it('refuses a passphrase that is not the responder\'s own, and writes no kit', async () => {
    const dir = join(tempDir('ecps-kit-refused-'), 'kit');
    expect(await refusal(() => call('kit:export', { dir, passphrase: BOB_PASS, reason: 'x', orders: [{ name: 'one robot', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: 60 }] }))).toEqual(['wrong_passphrase', undefined]);
    expect(existsSync(dir)).toBe(false);
    expect((await call('audit:query', { action: 'kit.export', offset: 0, limit: 5 })).records.map((r) => r.outcome)).toEqual(['failure', 'success']);
  });
});

describe('incident kit: offline and back', () => {
  it('opens only with the responder\'s passphrase, as the responder', async () => {
    expect(await refusal(() => openOfflineKit(kitDir, 'alice', 'not the passphrase at all'))).toEqual(['wrong_passphrase', undefined]);
    expect(await refusal(() => openOfflineKit(kitDir, BOB, BOB_PASS))).toEqual(['forbidden', 'wrong_responder']);
  });

  it('uses orders offline (counted, exhausted and expired refused), then import reconciles once', async () => {
    const kit = await openOfflineKit(kitDir, 'alice', PASSPHRASE);
    const info = kit.info();
    expect(info).toMatchObject({ offline: true, providers: 'none', robots: 4, auditRecords: 1 });
    expect(info.orders.map((o) => [o.name, o.remaining, o.expired])).toEqual([['site Plant 1', 2, false], ['robot uv-003', 1, false]]);
    // A copy of the kit as it is now (one record), later used on its own: a second branch of the chain.
    const branch = join(tempDir('ecps-kit-branch-'), 'kit');
    cpSync(kitDir, branch, { recursive: true });

    // Meanwhile, online: uv-004 is renamed (a change after the export); uv-005 joins Plant 1.
    await call('fleet:update', { deviceId: 'uv-004', name: 'uv-004 renamed' });
    await call('fleet:create', { deviceId: 'uv-005', name: 'uv-005', model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', status: 'deployed' });

    const first = await kit.useOrder('site Plant 1', 'uv-002 stolen: lock Plant 1');
    expect(first.quarantined).toEqual(['uv-001', 'uv-002', 'uv-004']);
    expect(JSON.parse(first.file.toString('utf8'))).toHaveProperty('format', 'ECPS-LOCKDOWN-v1');
    const second = await kit.useOrder('site Plant 1', 'again');
    expect([second.order.used, second.quarantined, second.skipped.map((s) => s.status)]).toEqual([2, [], ['quarantined', 'quarantined', 'quarantined']]);
    expect(await refusal(() => kit.useOrder('site Plant 1', 'a third time'))).toEqual(['usage_limit_reached', 'order_exhausted']);
    // The 60-second order, two minutes later.
    const later = await openOfflineKit(kitDir, 'alice', PASSPHRASE, () => new Date(exported.at + 120_000));
    expect(await refusal(() => later.useOrder('robot uv-003', 'too late'))).toEqual(['illegal_transition', 'order_expired']);
    // Reopened, the state is the chain replayed: uses and quarantines kept.
    const again = await openOfflineKit(kitDir, 'alice', PASSPHRASE);
    expect(again.info().orders.map((o) => [o.name, o.used])).toEqual([['site Plant 1', 2], ['robot uv-003', 0]]);
    expect(again.robots().filter((r) => r.status === 'quarantined').map((r) => r.deviceId).sort()).toEqual(['uv-001', 'uv-002', 'uv-004']);

    // The kit's chain, as the table of what happened offline (actions in order).
    const KIT_CHAIN: Array<[string, string, string | null]> = [
      ['kit.open', 'success', exported.kitId],
      ['kit.order.use', 'success', exported.kitId],
      ['kit.robot.quarantine', 'success', 'uv-001'],
      ['kit.robot.quarantine', 'success', 'uv-002'],
      ['kit.robot.quarantine', 'success', 'uv-004'],
      ['kit.order.use', 'success', exported.kitId],
      ['kit.order.use', 'failure', exported.kitId],
      ['kit.open', 'success', exported.kitId],
      ['kit.order.use', 'failure', exported.kitId],
      ['kit.open', 'success', exported.kitId],
    ];

    // Tampered copies are refused with nothing merged (before the real import).
    const lines = readFileSync(join(kitDir, KIT_FILES.audit), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(KIT_CHAIN.length);
    await (await openOfflineKit(branch, 'alice', PASSPHRASE)).useOrder('robot uv-003', 'on the second laptop');
    const branchLines = readFileSync(join(branch, KIT_FILES.audit), 'utf8').trimEnd().split('\n');
    const TAMPER: Array<[string, (dir: string) => void, string]> = [
      ['a record edited', (d) => writeFileSync(join(d, KIT_FILES.audit), lines.map((l, i) => (i === 2 ? l.replace('uv-001', 'uv-003') : l)).join('\n') + '\n'), 'audit_tampered'],
      ['a record removed', (d) => writeFileSync(join(d, KIT_FILES.audit), lines.filter((_, i) => i !== 6).join('\n') + '\n'), 'audit_tampered'],
      ['two records reordered', (d) => writeFileSync(join(d, KIT_FILES.audit), [lines[0], lines[2], lines[1], ...lines.slice(3)].join('\n') + '\n'), 'audit_tampered'],
      ['the last record cut off', (d) => writeFileSync(join(d, KIT_FILES.audit), lines.slice(0, -1).join('\n') + '\n'), 'audit_tampered'],
      // Each record is signed and numbered right; only the link shows that records 3 on come from the other copy.
      ['two copies of the kit spliced', (d) => {
        writeFileSync(join(d, KIT_FILES.audit), [...lines.slice(0, 2), ...branchLines.slice(2)].join('\n') + '\n');
        cpSync(join(branch, KIT_FILES.head), join(d, KIT_FILES.head));
      }, 'audit_tampered'],
      ['the manifest edited', (d) => {
        const m = JSON.parse(readFileSync(join(d, KIT_FILES.manifest), 'utf8')) as { body: string };
        m.body = Buffer.from(Buffer.from(m.body, 'base64').toString('utf8').replace('"maxUses":2', '"maxUses":9')).toString('base64');
        writeFileSync(join(d, KIT_FILES.manifest), JSON.stringify(m));
      }, 'manifest_tampered'],
      ['the registry copy changed', (d) => {
        const b = readFileSync(join(d, KIT_FILES.payload));
        b[b.length >> 1]! ^= 1;
        writeFileSync(join(d, KIT_FILES.payload), b);
      }, 'payload_tampered'],
    ];
    for (const [what, tamper, kind] of TAMPER) {
      const copy = join(tempDir('ecps-kit-tamper-'), 'kit');
      cpSync(kitDir, copy, { recursive: true });
      tamper(copy);
      expect(await refusal(() => call('kit:import', { dir: copy })), what).toEqual(['integrity_failure', kind]);
    }
    expect(await offlineRecords()).toEqual([]);
    expect(await statusOf('uv-001')).toBe('deployed');

    // The real import.
    const report = await call('kit:import', { dir: kitDir });
    expect(report).toMatchObject({ kitId: exported.kitId, responder: 'alice', records: KIT_CHAIN.length, quarantined: ['uv-001', 'uv-002', 'uv-004'] });
    expect(report.ordersUsed.map((o) => [o.name, o.uses, o.maxUses])).toEqual([['site Plant 1', 2, 2]]);
    expect(report.conflicts.map((x) => [x.kind, x.deviceId])).toEqual([['changed_since_export', 'uv-004']]);
    expect(report.gaps.map((x) => [x.kind, x.deviceId])).toEqual([['registered_after_export', 'uv-005']]);
    for (const [deviceId, status] of [['uv-001', 'quarantined'], ['uv-002', 'quarantined'], ['uv-003', 'deployed'], ['uv-004', 'quarantined'], ['uv-005', 'deployed']])
      expect(await statusOf(deviceId!), deviceId).toBe(status);
    // The main audit: the kit's records in their order (newest first from the query), then the import.
    const merged = (await offlineRecords()).reverse();
    expect(merged.map((r) => [r.action.replace('kit.offline.', 'kit.'), r.outcome, r.targetId, r.details.kitSeq])).toEqual(KIT_CHAIN.map(([a, o, t], i) => [a, o, t, i + 1]));
    expect(merged.every((r) => r.actor === 'alice' && r.details.kitId === exported.kitId)).toBe(true);
    const imports = (await call('audit:query', { action: 'kit.import', offset: 0, limit: 20 })).records;
    expect(imports.map((r) => r.outcome)).toEqual(['success', ...TAMPER.map(() => 'failure')]);
    expect(imports[0]!.seq).toBeGreaterThan(merged.at(-1)!.seq);
    expect((await call('audit:verify', {})).ok).toBe(true);

    // Once only.
    expect(await refusal(() => call('kit:import', { dir: kitDir }))).toEqual(['illegal_transition', 'already_imported']);
    expect(await offlineRecords()).toHaveLength(KIT_CHAIN.length);
  });
});
