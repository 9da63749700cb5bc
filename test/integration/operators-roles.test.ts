// Roles (issue 14, docs/operators.md): every channel called as every role through the router, with the expected
// verdict taken from the table below (written from the issue's role list, not read from shared/permissions.ts); a
// refusal is `forbidden`, reaches no handler and is audited as a denied access. A viewer changes nothing even with
// valid inputs. A sample of commands through the CLI, signed in as operators of different roles.
import crypto from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, type ChannelName, type Handlers } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { cliRunner } from './support/cliProcess.ts';
import { contractCaller, addOperators } from './support/consoleCalls.ts';
import { CTX, open, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';

type RoleName = 'viewer' | 'station_operator' | 'key_custodian' | 'security_officer' | 'admin';
const ROLE_LETTER: Record<RoleName, string> = { viewer: 'v', station_operator: 's', key_custodian: 'k', security_officer: 'o', admin: 'a' };
const ROLE_NAMES = Object.keys(ROLE_LETTER) as RoleName[];
const OPERATOR_OF: Record<RoleName, string> = { viewer: 'Vera', station_operator: 'Sam', key_custodian: 'Kate', security_officer: 'Otto', admin: 'alice' };
const pass = (name: string) => `${name} has a long passphrase`;

// Who may call what: v viewer (read only), s station operator (provisioning, distribution), k key custodian (keys,
// rotation, providers' keys), o security officer (revocation, compromise, CA), a admin (operators, providers,
// policies; and everything, being the first operator of a one-person console). `*` = any signed-in operator.
const READ = 'vskoa';
const EXPECTED: Record<ChannelName, string> = {
  'session:status': '*', 'session:init': '*', 'session:unlock': '*', 'session:lock': '*', 'session:changePassphrase': '*', 'session:info': '*',
  'operators:changePassphrase': '*', 'operators:list': READ, 'operators:add': 'a', 'operators:remove': 'a', 'operators:setRole': 'a',
  // Second factor: each operator enrols their own; an admin resets another's. The idle time: read by all, set by an admin.
  'operators:enrollTotp': '*', 'operators:confirmTotp': '*', 'operators:enrollToken': '*', 'operators:resetTotp': 'a',
  // Listing a module's tokens to bind one's own, and one's own recovery codes: any signed-in operator.
  'operators:tokenSlots': '*', 'operators:regenerateRecoveryCodes': '*',
  // The recovery-codes reminder's dismissal: each operator's own.
  'operators:recoveryReminder': '*', 'operators:dismissRecoveryReminder': '*',
  'session:idleLock': READ, 'session:setIdleLock': 'a', 'session:visibility': '*',
  'keys:list': READ, 'keys:get': READ, 'keys:publicKey': READ, 'keys:verify': READ, 'keys:verifyIntegrity': READ,
  'keys:create': 'ka', 'keys:rotate': 'ka', 'keys:encrypt': 'ka', 'keys:decrypt': 'ka', 'keys:sign': 'ka',
  'keys:backup': 'ka', 'keys:verifyBackup': 'ka', 'keys:migrate': 'ka',
  // Input-dependent: with {} only who holds neither permission is refused; the inputs below split the rest.
  'keys:setState': 'koa',
  'providers:list': READ, 'providers:save': 'a', 'providers:test': 'a', 'providers:slots': 'a', 'providers:remove': 'a',
  // A health check of every provider with nothing but reachable, latency and an error code: a viewer may script it.
  'providers:health': READ,
  'audit:query': READ, 'audit:verify': READ, 'audit:export': READ, 'audit:actions': READ, 'audit:keyFingerprint': READ,
  'fleet:list': READ, 'fleet:get': READ, 'fleet:sites': READ, 'fleet:models': READ, 'fleet:exportCsv': READ, 'fleet:dashboard': READ,
  'fleet:keyAssignments': READ, 'fleet:siteKeyAssignments': READ, 'fleet:keyUsage': READ, 'fleet:revocationPlan': READ,
  'fleet:create': 'sa', 'fleet:update': 'sa', 'fleet:importCsv': 'sa', 'fleet:assignKey': 'sa', 'fleet:clearKeyAssignment': 'sa',
  'fleet:setStatus': 'soa',
  'ca:status': READ, 'certs:list': READ, 'bundles:list': READ, 'station:status': READ,
  // Signing a fresh CRL is a CA key operation: the security officer's. The last published CRL is public (RFC 5280:
  // relying parties fetch it), so every reader may download it.
  'ca:init': 'oa', 'ca:crl': 'oa', 'ca:publishedCrl': READ, 'certs:revoke': 'oa',
  // Replacing or revoking the fleet CA: the security officer's (and guarded: a second officer approves).
  'ca:history': READ, 'ca:replace': 'oa', 'ca:revoke': 'oa',
  'bundles:build': 'sa', 'station:start': 'sa', 'station:stop': 'sa', 'station:retry': 'sa', 'station:confirmReprovision': 'sa',
  'field:status': READ, 'field:start': 'sa', 'field:stop': 'sa', 'field:autostart': READ, 'field:setAutostart': 'sa',
  'rotation:status': READ, 'rotation:due': READ, 'rotation:policies': READ, 'rotation:jobs': READ, 'rotation:usage': READ,
  'rotation:upcoming': READ, 'rotation:batchList': READ, 'rotation:batchGet': READ, 'rotation:batchItems': READ,
  'rotation:runNow': 'ka', 'rotation:pause': 'ka', 'rotation:resume': 'ka', 'rotation:batchStart': 'ka', 'rotation:batchCancel': 'ka',
  'rotation:setTypePolicy': 'a', 'rotation:setKeyPolicy': 'a', 'rotation:clearKeyPolicy': 'a',
  'rotation:providerSchedule': READ, 'rotation:checkDrift': 'ka',
  'rollout:list': READ, 'rollout:get': READ, 'rollout:getPolicy': READ, 'rollout:holdings': READ, 'rollout:versions': READ, 'rollout:needsVisit': READ,
  'rollout:halt': 'ka', 'rollout:resume': 'ka', 'rollout:retire': 'ka', 'rollout:reinstate': 'ka', 'rollout:setPolicy': 'a', 'rollout:clearPolicy': 'a',
  // Metrics are read by all; acknowledging an alert (an incident) is the security officer's.
  'metrics:series': READ, 'alerts:list': READ, 'alerts:acknowledge': 'oa',
  // Lockdown orders: the security officer's (the issue's role list: "revocation, compromise, CA, lockdown").
  'emergency:lockdownList': READ, 'emergency:lockdownOrder': 'oa',
  // The compliance report (denied accesses, failed sign-ins, compromises): evidence for the security officer.
  'report:generate': 'oa',
  // Emergency response: anyone may look at the blast radius and the runs; acting and reviewing is the officer's.
  'emergency:preview': READ, 'emergency:runs': READ, 'emergency:run': READ, 'emergency:execute': 'oa', 'emergency:retry': 'oa', 'emergency:review': 'oa',
  // Two-person control: anyone signed in may approve, deny, execute or bring an approval file (the request's policy and
  // the guarded channel's own permission decide inside); policies are the admin's.
  'approvals:list': READ, 'approvals:policies': READ, 'approvals:exportRequest': READ,
  'approvals:approve': '*', 'approvals:deny': '*', 'approvals:execute': '*', 'approvals:importApproval': '*', 'approvals:enrolKey': '*',
  'approvals:setPolicy': 'a',
  // Removing an operator's approval key (a leaked one) is the admin's, like resetting their second factor.
  'approvals:revokeKey': 'a',
  // Which approval keys were revoked (fingerprints, who, when, why): nothing secret, read by all.
  'approvals:listRevokedKeys': READ,
  // Who has an approval key enrolled now (operator, fingerprint, enrolled at): nothing secret, read by all.
  'approvals:listKeys': READ,
  // Recovery shares and backups are the admin's; the recovery ceremony runs before sign-in (k shares are its authority).
  'recovery:status': READ, 'recovery:createShares': 'a', 'recovery:recover': '*', 'backup:create': 'a', 'backup:restore': 'a',
  // Incident kits: exporting hands out pre-signed lockdown orders, importing merges offline quarantines: the officer's.
  'kit:export': 'oa', 'kit:import': 'oa',
};
/** The input-dependent cases: (channel, valid input, who may). */
const BY_INPUT: Array<{ channel: ChannelName; input: Record<string, unknown>; may: string }> = [
  { channel: 'keys:setState', input: { keyId: crypto.randomUUID(), state: 'compromised', reason: 'leaked' }, may: 'oa' },
  { channel: 'keys:setState', input: { keyId: crypto.randomUUID(), state: 'suspended', reason: 'paused' }, may: 'ka' },
  { channel: 'fleet:setStatus', input: { deviceId: 'robot-0001', status: 'revoked', reason: 'stolen' }, may: 'oa' },
  { channel: 'fleet:setStatus', input: { deviceId: 'robot-0001', status: 'quarantined', reason: 'odd traffic' }, may: 'oa' },
  { channel: 'fleet:setStatus', input: { deviceId: 'robot-0001', status: 'deployed', reason: '' }, may: 'sa' },
  // Break-glass on an order issued on its own is the security officer's, as the order itself.
  { channel: 'emergency:lockdownOrder', input: { kind: 'lockdown', scope: { site: 'Plant 1' }, actions: ['stop_operating'], reason: 'r', message: 'm', validForSeconds: 60, breakGlass: { reason: 'alone' } }, may: 'oa' },
];

const allowed = (may: string, role: RoleName) => may === '*' || may.includes(ROLE_LETTER[role]);

let c: FleetConsole;
const dir = tempDir('ecps-roles-');
const handlerCalls: string[] = [];
let route: (channel: ChannelName, input: unknown) => Promise<{ ok: boolean; error?: { code: string } }>;

async function signIn(role: RoleName): Promise<void> {
  if ((await c.handlers['session:status']({}, CTX)).state === 'unlocked') await c.handlers['session:lock']({}, CTX);
  await c.handlers['session:unlock']({ operator: OPERATOR_OF[role], passphrase: role === 'admin' ? PASSPHRASE : pass(OPERATOR_OF[role]) }, CTX);
}

/** Records of single denials (a flood's count record, `repeated`, is none: every call below opens a new window). */
const deniedCount = () => c.audit.query({ action: 'access.denied', limit: 1000 }).records.filter((r) => r.details?.repeated === undefined).length;
const call = contractCaller(() => c);

beforeAll(async () => {
  c = await open(dir, { rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
  await addOperators(c, { name: OPERATOR_OF.admin, passphrase: PASSPHRASE }, ROLE_NAMES.filter((r) => r !== 'admin').map((role) => ({ name: OPERATOR_OF[role], role, passphrase: pass(OPERATOR_OF[role]) })));
  // A handler object that records which handlers ran, then runs the console's (the one open at the time: a test reopens it).
  const spied = Object.fromEntries(
    CHANNELS.map((name) => [name, (input: never, ctx: never) => (handlerCalls.push(name), (c.handlers[name] as (i: never, x: never) => Promise<unknown>)(input, ctx))]),
  ) as Handlers;
  const router = createRouter({ handlers: spied, access: { check: (channel, ctx, input) => c.access.check(channel, ctx, input) } });
  route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('the role x channel matrix, through the router', () => {
  it('the table covers every channel of the contract', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...CHANNELS].sort());
  });

  for (const role of ROLE_NAMES) {
    it(`${role}: forbidden exactly where the table says, before any handler runs, each refusal audited`, async () => {
      await signIn(role);
      const before = deniedCount();
      const wrong: string[] = [];
      let refused = 0;
      // session:lock last: it ends the session.
      const order = [...CHANNELS.filter((ch) => ch !== 'session:lock'), 'session:lock' as const];
      for (const channel of order) {
        handlerCalls.length = 0;
        // Denials of one kind are coalesced per window (docs/audit-log.md): a new window for each call.
        c.access.flush();
        const env = await route(channel, {});
        const forbidden = !env.ok && env.error?.code === 'forbidden';
        if (forbidden === allowed(EXPECTED[channel], role)) wrong.push(`${channel}: ${forbidden ? 'forbidden' : `not forbidden (${env.ok ? 'ok' : env.error?.code})`}`);
        if (forbidden) {
          refused++;
          expect(handlerCalls, channel).toEqual([]);
        }
      }
      await signIn(role);
      for (const { channel, input, may } of BY_INPUT) {
        handlerCalls.length = 0;
        c.access.flush();
        const env = await route(channel, input);
        const forbidden = !env.ok && env.error?.code === 'forbidden';
        const label = `${channel} ${JSON.stringify(input)}`;
        if (forbidden === allowed(may, role)) wrong.push(`${label}: ${forbidden ? 'forbidden' : `not forbidden (${env.ok ? 'ok' : env.error?.code})`}`);
        if (forbidden) {
          refused++;
          expect(handlerCalls, label).toEqual([]);
        }
      }
      expect(wrong).toEqual([]);
      expect(deniedCount() - before).toBe(refused);
    });
  }

  it('a denied access names the operator, the channel, the role and what it lacked', async () => {
    await signIn('viewer');
    c.access.flush();
    const env = await route('keys:create', { type: 'storage', label: 'nope' });
    expect(env).toMatchObject({ ok: false, error: { code: 'forbidden', details: { role: 'viewer', needs: 'keys' } } });
    const last = c.audit.query({ action: 'access.denied', limit: 1 }).records[0]!;
    expect(last).toMatchObject({ actor: 'Vera', targetType: 'channel', targetId: 'keys:create', outcome: 'failure', details: { code: 'forbidden', role: 'viewer', needs: 'keys', transport: 'test' } });
  });

  it('the handlers refuse too when called without the router', async () => {
    await signIn('viewer');
    await expect(c.handlers['keys:create']({ type: 'storage', label: 'direct' }, CTX)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('a viewer cannot change anything', () => {
  /**
   * Every table but the audit's and what watches it (alerts: a refusal raises an unauthorised-access alert, checked
   * below; metric_buckets: the refused calls are counted), and the operators without their throttle columns.
   */
  const state = () =>
    withRawDb(dir, (db) => {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'audit_%' AND name NOT IN ('operators', 'unlock_throttle', 'alerts', 'metric_buckets') ORDER BY name").pluck().all() as string[];
      return {
        ...Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()])),
        operators: db.prepare('SELECT name, role, kdf_salt, wrapped_master FROM operators ORDER BY name').all(),
      };
    });

  /** The store as a closed console leaves it (the open one holds the database exclusively). */
  const closedState = async () => {
    c.close();
    const s = state();
    c = await open(dir, { rotation: { scheduler: false } });
    return s;
  };

  it('every changing channel, with valid inputs, is refused and the store is unchanged', async () => {
    await signIn('admin');
    const key = await call('keys:create', { type: 'communication', label: 'link' });
    await call('fleet:create', { deviceId: 'robot-0001', name: 'Arm one', model: 'UV-7', site: 'Plant 1' });
    const before = await closedState();
    await signIn('viewer');
    const changing: Array<[ChannelName, Record<string, unknown>]> = [
      ['keys:create', { type: 'storage', label: 'x' }],
      ['keys:rotate', { keyId: key.id }],
      ['keys:setState', { keyId: key.id, state: 'suspended', reason: 'r' }],
      ['keys:setState', { keyId: key.id, state: 'compromised', reason: 'r' }],
      ['keys:encrypt', { keyId: key.id, plaintext: Buffer.from('hi') }],
      ['keys:backup', { providerId: 'local' }],
      ['keys:migrate', { providerId: 'local' }],
      ['providers:save', { config: { provider: 'hashicorp_vault', id: 'vault-x', vault_url: 'https://127.0.0.1:8200', vault_token: 'hvs.x' } }],
      ['providers:remove', { id: 'local' }],
      ['fleet:create', { deviceId: 'robot-0002', name: 'Arm two', model: 'UV-7', site: 'Plant 1' }],
      ['fleet:update', { deviceId: 'robot-0001', firmware: '9.9.9' }],
      ['fleet:setStatus', { deviceId: 'robot-0001', status: 'revoked', reason: 'r' }],
      ['fleet:setStatus', { deviceId: 'robot-0001', status: 'deployed', reason: 'r' }],
      ['fleet:importCsv', { csv: 'device_id,name,model,site,firmware,tags,status\nrobot-0003,A,UV-7,P,1.0,,manufactured\n' }],
      ['fleet:assignKey', { scope: 'site', scopeId: 'Plant 1', keyType: 'communication', keyId: key.id }],
      ['ca:init', { providerId: 'local', algorithm: 'EC_P256', commonName: 'Fleet CA' }],
      ['certs:revoke', { serial: '0a1b', reason: 'superseded' }],
      ['ca:replace', { algorithm: 'EC_P256', commonName: 'Fleet CA 2', reason: 'r' }],
      ['ca:revoke', { reason: 'r' }],
      ['bundles:build', { deviceId: 'robot-0001' }],
      ['station:start', { paths: ['/dev/null'] }],
      ['rotation:runNow', { keyId: key.id }],
      ['rotation:pause', {}],
      ['rotation:batchStart', { selection: { type: 'communication' } }],
      ['rotation:setTypePolicy', { type: 'storage', policy: { mode: 'manual' } }],
      ['rotation:setKeyPolicy', { keyId: key.id, policy: { mode: 'manual' } }],
      ['operators:add', { name: 'Mallory', role: 'admin', passphrase: pass('Mallory') }],
      ['operators:setRole', { name: 'Vera', role: 'admin' }],
      ['operators:remove', { name: 'Kate' }],
      ['operators:resetTotp', { name: 'Kate' }],
      ['session:setIdleLock', { minutes: 200 }],
    ];
    for (const [channel, input] of changing) {
      const env = await route(channel, input);
      expect(env, channel).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await closedState()).toEqual(before);
    // Each refusal is unauthorised access, CRITICAL in the specification: one open alert per refused channel.
    await signIn('admin');
    const raised = (await call('alerts:list', { unacknowledgedOnly: true, limit: 1000 })).alerts.filter((a) => a.kind === 'unauthorized_access').map((a) => ({ subject: a.subject, severity: a.severity }));
    for (const [channel] of changing) expect(raised, channel).toContainEqual({ subject: channel, severity: 'CRITICAL' });
  });
});

describe('through the CLI: the actor is the operator who signed in, and the role decides', () => {
  const { dir: cliDir, cli } = cliRunner('ecps-roles-cli-', PASSPHRASE, 'in-process');
  const as = (operator: string, passphrase: string, args: string[]) => cli(args, undefined, { ECPS_OPERATOR: operator, ECPS_PASSPHRASE: passphrase });

  beforeAll(async () => {
    const setup = await open(join(cliDir, 'store'));
    await setup.handlers['session:init']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    await setup.handlers['operators:add']({ name: 'Vera', role: 'viewer', passphrase: pass('Vera') }, CTX);
    await setup.handlers['operators:add']({ name: 'Kate', role: 'key_custodian', passphrase: pass('Kate') }, CTX);
    setup.close();
  });

  it('a key custodian creates a key; a viewer lists it but cannot create, rotate or run rotations; audited under each name', async () => {
    const made = await as('Kate', pass('Kate'), ['keys', 'create', '--type', 'storage', '--label', 'cli key', '--json']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const keyId = (JSON.parse(made.stdout) as { id: string }).id;

    const listed = await as('Vera', pass('Vera'), ['keys', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { keys: Array<{ id: string }> }).keys.map((k) => k.id)).toEqual([keyId]);

    for (const args of [['keys', 'create', '--type', 'storage', '--label', 'no'], ['keys', 'rotate', keyId], ['rotation', 'run-due'], ['rotation', 'policy', 'set', '--type', 'storage', '--policy', '/dev/null']]) {
      const r = await as('Vera', pass('Vera'), args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain('error [forbidden]');
    }
    // --operator names who signs in: Vera's passphrase does not open Kate's slot.
    expect((await as('Kate', pass('Vera'), ['keys', 'list'])).stderr).toContain('error [wrong_passphrase]');

    const check = await open(join(cliDir, 'store'));
    await check.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const created = check.audit.query({ action: 'key.create', limit: 10 }).records;
    expect(created.map((r) => r.actor)).toEqual(['Kate']);
    const denied = check.audit.query({ action: 'access.denied', limit: 10 }).records;
    expect(denied.map((r) => [r.actor, r.targetId, r.details.transport]).reverse()).toEqual([
      ['Vera', 'keys:create', 'cli'],
      ['Vera', 'keys:rotate', 'cli'],
      ['Vera', 'rotation:runNow', 'cli'],
      ['Vera', 'rotation:setTypePolicy', 'cli'],
    ]);
    check.close();
  });

  // `rotation batch resume` restarts the batch jobs a killed console left unfinished: it starts rotations, the same
  // thing rotation:batchStart does (docs/operators.md, "Where it is enforced": a CLI command that uses a service
  // directly is checked against the channel that does the same thing). So who may run it is that channel's row of the
  // table above, and a refusal is audited against that channel.
  it('rotation batch resume: the role table\'s rotation:batchStart row decides; a viewer gets forbidden, exit 1, audited', async () => {
    const who: Array<[name: string, role: RoleName, passphrase: string]> = [['Vera', 'viewer', pass('Vera')], ['Kate', 'key_custodian', pass('Kate')], ['alice', 'admin', PASSPHRASE]];
    const refusedBy: string[] = [];
    for (const [name, role, passphrase] of who) {
      const r = await as(name, passphrase, ['rotation', 'batch', 'resume']);
      if (allowed(EXPECTED['rotation:batchStart'], role)) {
        expect([r.code, r.stderr, r.stdout.trim()], name).toEqual([0, '', 'no unfinished batch jobs']);
      } else {
        expect([r.code, r.stderr.includes('error [forbidden]')], name).toEqual([1, true]);
        refusedBy.push(name);
      }
    }
    expect(refusedBy).toEqual(['Vera']);
    const check = await open(join(cliDir, 'store'));
    await check.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const denied = check.audit.query({ action: 'access.denied', limit: 100 }).records.filter((r) => r.targetId === 'rotation:batchStart');
    expect(denied.map((r) => [r.actor, r.outcome, r.details.code, r.details.role, r.details.needs, r.details.transport])).toEqual([['Vera', 'failure', 'forbidden', 'viewer', 'keys', 'cli']]);
    check.close();
  });
});
