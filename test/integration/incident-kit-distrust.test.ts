// Containing a compromised fleet CA offline with an incident kit (docs/incident-kit.md, "Containing a compromised fleet
// CA offline"; docs/lockdown-orders.md, "Version 2"), through the CLI in this process on a real store: `kit export
// --order distrust-ca:current` (refused clearly before a CA exists or for an unknown one, nothing signed), the kit
// opened offline (`kit status` says what the order does), `kit use` writes the signed order and quarantines no robot;
// the written file passes the robot simulator's own checks and makes it distrust that CA (the key id computed here
// from the CA certificate's SPKI); uses counted, exhausted and expired refused; `kit import` reports the distrusted CA
// with the notice to revoke and replace it online, and revokes nothing; a kit whose audit was edited is refused. And
// two-person control: a kit carrying a distrust order needs what issuing one online needs (isWideOrder), whatever its
// scope.
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { KIT_FILES } from '../../electron/services/incidentKit/kitFormat.ts';
import { contract, type ChannelInput, type ChannelName, type ChannelOutput } from '../../shared/contract.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { applyLockdownOrder, lockdownState, storeEmergencyKey } from '../robot-sim/lockdown.ts';
import { CTX, FAST_KDF, PASSPHRASE, openUnlocked, removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { cliEnv, cliInProcess, cliJson, cliRunner } from './support/cliProcess.ts';

const PASS = 'Kit-Distrust-Passphrase 4711';
const { dir, cli: run } = cliRunner('ecps-cli-kit-distrust-', PASS, 'in-process');
const json = cliJson(run);
const kit = join(dir, 'kit');
const noStore = join(dir, 'never-created');
const offline = (args: string[], now?: () => Date) => cliInProcess(['--data-dir', noStore, ...args], { env: cliEnv({ ECPS_PASSPHRASE: PASS }), ...(now ? { now } : {}) });
const VALID_FOR = 3600;

/** The console on the CLI's store, for what the CLI does not show (the CA's certificate, the emergency key). */
async function withConsole<T>(fn: (c: FleetConsole) => Promise<T>): Promise<T> {
  const c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
  try {
    await c.handlers['session:unlock']({ operator: 'alice', passphrase: PASS }, CTX);
    return await fn(c);
  } finally {
    c.close();
  }
}

let emergencyPem = '';
const ROBOTS: Array<[string, string]> = [['uv-001', 'Plant 1'], ['uv-002', 'Plant 2']];

beforeAll(async () => {
  expect((await run(['init'])).code).toBe(0);
  await withConsole(async (c) => {
    const key = await c.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
    emergencyPem = (await c.handlers['keys:publicKey']({ keyId: key.id }, CTX)).pem;
    for (const [deviceId, site] of ROBOTS) await c.handlers['fleet:create']({ deviceId, name: deviceId, model: 'UV-7', site, firmware: '2.1.0', tags: [], status: 'deployed' }, CTX);
  });
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeTempDirs();
});

const lockdownCount = () => withConsole(async (c) => (await c.handlers['emergency:lockdownList']({}, CTX)).orders.length);

describe('kit export --order distrust-ca:...', () => {
  it('is refused clearly, with nothing signed, when there is no CA yet, for an unknown CA, and for a malformed form', async () => {
    const none = await run(['kit', 'export', '--out', kit, '--order', 'distrust-ca:current', '--reason', 'CA readiness']);
    expect([none.code, none.stderr]).toEqual([1, expect.stringMatching(/not_found.*no fleet CA yet/)]);
    const usage = await run(['kit', 'export', '--out', kit, '--order', 'distrust-ca:the-old-one', '--reason', 'x']);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringMatching(/distrust-ca:current or distrust-ca:CA-ID/)]);
    expect(await withConsole(async (c) => (await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA Plant' }, CTX)).initialized)).toBe(true);
    const unknownId = randomUUID();
    const unknown = await run(['kit', 'export', '--out', kit, '--order', `distrust-ca:${unknownId}`, '--reason', 'x']);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(new RegExp(`not_found.*no fleet CA ${unknownId}`))]);
    expect(existsSync(kit)).toBe(false);
    expect(await lockdownCount()).toBe(0);
  });

  it('exported, used offline (no robot quarantined; the file makes a robot distrust that CA), then imported with the notice', async () => {
    const ca = await withConsole(async (c) => (await c.handlers['ca:history']({}, CTX)).cas[0]!);
    // The key id robots know the CA by, computed here: SHA-256 (hex) of the CA certificate's SubjectPublicKeyInfo DER.
    const caKeyId = createHash('sha256').update(new X509Certificate(ca.certificatePem).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    const exported = await json(['kit', 'export', '--out', kit, '--order', 'distrust-ca:current', '--order', `distrust-ca:${ca.id}`, '--max-uses', '1', '--valid-for', String(VALID_FOR), '--reason', 'CA key may leak']);
    const exportedAt = Date.now();
    expect((exported.orders as Array<{ name: string }>).map((o) => o.name)).toEqual(['distrust-ca:current', `distrust-ca:${ca.id}`]);
    const before = join(tempDir('ecps-kit-distrust-copy-'), 'kit');
    cpSync(kit, before, { recursive: true });

    // Offline: what the orders do, in text and JSON.
    const text = await offline(['kit', 'status', '--kit', kit]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`stops every robot trusting fleet CA ${ca.subject} (${ca.id.slice(0, 8)}) (final on robots; quarantines no robot)`);
    const status = JSON.parse((await offline(['kit', 'status', '--kit', kit, '--json'])).stdout) as { orders: Array<{ name: string; scope: unknown; actions: string[]; distrustCas: unknown }> };
    expect(status.orders.map((o) => [o.scope, o.actions, o.distrustCas])).toEqual([0, 1].map(() => [
      { fleet: true }, ['distrust_ca', 'refuse_revoked_peers'], [{ caId: ca.id, keyId: caKeyId, subject: ca.subject, state: 'current' }],
    ]));

    // Use it: the order file written, no robot quarantined in the kit.
    const orderFile = join(dir, 'distrust.json');
    const used = await offline(['kit', 'use', 'distrust-ca:current', '--kit', kit, '--reason', 'CA key leaked', '--out', orderFile]);
    expect([used.code, used.stderr]).toEqual([0, '']);
    expect(used.stdout).toMatch(/stops every robot that takes it trusting fleet CA .*no robot quarantined/);
    const robots = JSON.parse((await offline(['kit', 'robots', '--kit', kit, '--json'])).stdout) as { robots: Array<{ deviceId: string; status: string }> };
    expect(robots.robots.map((r) => [r.deviceId, r.status])).toEqual([['uv-001', 'deployed'], ['uv-002', 'deployed']]);

    // The robot simulator's own checks, on a key store holding the emergency key: accepted, the CA distrusted, the
    // robot not stopped (the order names no stop_operating).
    for (const [deviceId, site] of ROBOTS) {
      const keystore = tempDir('ecps-kit-distrust-robot-');
      storeEmergencyKey(keystore, spkiOf(emergencyPem));
      const applied = applyLockdownOrder({ keystore, facts: { deviceId, site, model: 'UV-7', firmware: '2.1.0', tags: [] }, file: readFileSync(orderFile), now: new Date() });
      expect(applied.order.actions).toEqual(['distrust_ca', 'refuse_revoked_peers']);
      expect(lockdownState(keystore).distrustedCas).toEqual([caKeyId]);
    }

    // Uses counted: the order had one; the other, after its expiry, refused (both recorded in the kit's chain).
    const again = await offline(['kit', 'use', 'distrust-ca:current', '--kit', kit, '--reason', 'again']);
    expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/usage_limit_reached/)]);
    const late = await offline(['kit', 'use', `distrust-ca:${ca.id}`, '--kit', kit, '--reason', 'too late'], () => new Date(exportedAt + (VALID_FOR + 60) * 1000));
    expect([late.code, late.stderr]).toEqual([1, expect.stringMatching(/illegal_transition.*expired/)]);

    // A copy whose audit was edited (the distrusted CA's id removed from the use record) is refused, nothing merged.
    const tampered = join(tempDir('ecps-kit-distrust-tampered-'), 'kit');
    cpSync(kit, tampered, { recursive: true });
    const lines = readFileSync(join(tampered, KIT_FILES.audit), 'utf8');
    expect(lines).toContain(`"distrustCaIds":"${ca.id}"`);
    writeFileSync(join(tampered, KIT_FILES.audit), lines.replace(`"distrustCaIds":"${ca.id}"`, `"distrustCaIds":"${randomUUID()}"`));
    const refused = await run(['kit', 'import', tampered]);
    // Record 4: kit.open by `kit status`, by `kit status --json`, by `kit use`, then its kit.order.use.
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/integrity_failure.*audit chain fails at record 4/)]);

    // Import: the distrusted CA reported with what to do online; the CA itself left as it was; no robot quarantined.
    const report = await json(['kit', 'import', kit]) as unknown as ChannelOutput<'kit:import'>;
    expect(report.quarantined).toEqual([]);
    expect(report.ordersUsed.map((o) => [o.name, o.uses, o.maxUses])).toEqual([['distrust-ca:current', 1, 1]]);
    expect(report.distrustedCas).toEqual([{
      kitSeq: 4, orderId: expect.any(String), name: 'distrust-ca:current', caId: ca.id, subject: ca.subject, state: 'current',
      message: expect.stringMatching(/stop trusting fleet CA .*ca:replace.*ca:revoke.*did not revoke it/),
    }]);
    await withConsole(async (c) => {
      expect((await c.handlers['ca:history']({}, CTX)).cas.map((x) => [x.id, x.state])).toEqual([[ca.id, 'current']]);
      for (const [deviceId] of ROBOTS) expect((await c.handlers['fleet:get']({ deviceId }, CTX)).status).toBe('deployed');
      const uses = (await c.handlers['audit:query']({ action: 'kit.offline.order.use', offset: 0, limit: 10 }, CTX)).records;
      expect(uses.filter((r) => r.outcome === 'success').map((r) => r.details.distrustCaIds)).toEqual([ca.id]);
      const done = (await c.handlers['audit:query']({ action: 'kit.import', offset: 0, limit: 10 }, CTX)).records;
      expect(done.map((r) => [r.outcome, r.details.distrustedCas ?? r.details.kitError])).toEqual([['success', ca.id], ['failure', 'audit_tampered']]);
    });
    // The copy taken before any use, imported now: refused (a kit is imported once), as for any kit.
    expect((await run(['kit', 'import', before])).stderr).toMatch(/already_imported|imported/);
  }, 60_000);
});

const spkiOf = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

describe('kit:export of a distrust order: two-person control (docs/two-person-control.md, emergency.wide)', () => {
  let c: FleetConsole;
  const SECOND = 'officer-second-distrust';
  const SECOND_PASS = 'the second officer passphrase 99';
  async function call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    const raw = await (c.handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(contract[channel].input.parse(input), CTX);
    return contract[channel].output.parse(raw) as ChannelOutput<C>;
  }
  async function codeOf(fn: () => Promise<unknown>): Promise<string> {
    try {
      await fn();
      return 'ok';
    } catch (e) {
      if (isConsoleError(e)) return e.code;
      throw e;
    }
  }
  afterAll(() => c?.close());

  it('a distrust order for one robot needs approval like a wide one; a plain one-robot order does not', async () => {
    c = await openUnlocked();
    await call('keys:create', { type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' });
    await call('fleet:create', { deviceId: 'uv-001', name: 'uv-001', model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', status: 'deployed' });
    await call('ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA' });
    await call('operators:add', { name: SECOND, role: 'security_officer', passphrase: SECOND_PASS });
    const caId = (await call('ca:history', {})).cas[0]!.id;
    const base = { passphrase: PASSPHRASE, reason: 'drill' };
    const distrustDir = join(tempDir('ecps-kit-distrust-2p-'), 'kit');
    const distrust = { name: 'distrust one robot', scope: { deviceIds: ['uv-001'] }, actions: ['distrust_ca' as const], distrustCaIds: [caId], maxUses: 1, validForSeconds: 600 };
    expect(await codeOf(() => call('kit:export', { ...base, dir: distrustDir, orders: [distrust] }))).toBe('approval_required');
    expect(existsSync(distrustDir)).toBe(false);
    const requests = (await call('approvals:list', {})).requests;
    expect(requests.map((r) => [r.action, r.channel])).toEqual([['emergency.wide', 'kit:export']]);
    // The same scope without the distrust: exported at once (a list of robots is not wide).
    const plainDir = join(tempDir('ecps-kit-distrust-plain-'), 'kit');
    const { distrustCaIds: _ids, ...plain } = distrust;
    expect(await codeOf(() => call('kit:export', { ...base, dir: plainDir, orders: [{ ...plain, name: 'one robot', actions: ['stop_operating'] }] }))).toBe('ok');
    expect(existsSync(plainDir)).toBe(true);
  }, 60_000);
});
