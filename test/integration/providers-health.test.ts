// providers:health and `providers health` (issue 14, docs/providers.md "Health check"): a health check of every
// configured provider that a viewer may run, against the AWS KMS and Vault emulators on 127.0.0.1. The rules written
// here, not read from the service:
// - one row per provider, local first then by id: id, kind, reachable, latency (whole ms), code; nothing else (no
//   settings, no provider message: they may carry an endpoint or an account);
// - a provider that does not answer is unreachable with code `unavailable`; one that refuses the console's credentials
//   `access_denied`; a reachable one has code null;
// - any signed-in operator may run it, a viewer included (providers:test stays the admin's); each check is one
//   `provider.health` audit record (actor: who ran it; details: the providers in order, each one's code, `ok` when
//   reachable, and how many were unreachable; no latency, message, setting or secret); providers:list is not audited;
// - the CLI prints the same (--json: the channel's value) and exits 1 when any provider is unreachable, 0 otherwise.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelName, Envelope, ProviderHealth } from '../../shared/contract.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import { cliRunner } from './support/cliProcess.ts';
import { addOperators } from './support/consoleCalls.ts';
import { CTX, open, removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, type Emulators, type Harness, initialized, PASS, startEmulators, vaultConfig } from './providers-kit.ts';

const VIEWER = { name: 'Vera', role: 'viewer' as const, passphrase: 'Vera has a long passphrase' };
const ADMIN = 'Officer Ada';

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => {
  await emu.close();
  removeTempDirs();
});

type Down = 'aws' | 'vault';
type Row = Pick<ProviderHealth, 'id' | 'kind' | 'reachable' | 'code'>;
const LOCAL: Row = { id: 'local', kind: 'local', reachable: true, code: null };
const up = (id: string, kind: ProviderHealth['kind']): Row => ({ id, kind, reachable: true, code: null });
const unreachable = (id: string, kind: ProviderHealth['kind'], code: ProviderHealth['code']): Row => ({ id, kind, reachable: false, code });

/** Which emulators are down -> the rows expected (aws-primary, vault-backup and a Vault provider with a wrong token). */
const CASES: Array<{ down: Down[]; expect: Row[] }> = [
  { down: [], expect: [LOCAL, up('aws-primary', 'aws_kms'), up('vault-backup', 'hashicorp_vault'), unreachable('vault-wrong-token', 'hashicorp_vault', 'access_denied')] },
  { down: ['aws'], expect: [LOCAL, unreachable('aws-primary', 'aws_kms', 'unavailable'), up('vault-backup', 'hashicorp_vault'), unreachable('vault-wrong-token', 'hashicorp_vault', 'access_denied')] },
  {
    down: ['vault'],
    expect: [LOCAL, up('aws-primary', 'aws_kms'), unreachable('vault-backup', 'hashicorp_vault', 'unavailable'), unreachable('vault-wrong-token', 'hashicorp_vault', 'unavailable')],
  },
  {
    down: ['aws', 'vault'],
    expect: [LOCAL, unreachable('aws-primary', 'aws_kms', 'unavailable'), unreachable('vault-backup', 'hashicorp_vault', 'unavailable'), unreachable('vault-wrong-token', 'hashicorp_vault', 'unavailable')],
  },
];

async function whileDown<T>(down: Down[], fn: () => Promise<T>): Promise<T> {
  for (const d of down) await emu[d].faults.down();
  try {
    return await fn();
  } finally {
    for (const d of down) await emu[d].faults.up();
  }
}

/** The secrets and endpoints of the saved providers: none may appear in an answer. */
const secrets = () => [emu.vaultToken, 'hvs.not-the-right-token-at-all', awsConfig(emu).aws_secret_access_key as string, awsConfig(emu).aws_access_key_id as string, emu.aws.endpoint, emu.vault.endpoint];

describe('providers:health through the router', () => {
  let h: Harness;
  let route: (channel: ChannelName, input: unknown) => Promise<Envelope<unknown>>;
  const signIn = async (name: string, passphrase: string) => {
    if ((await h.console.handlers['session:status']({}, CTX)).state === 'unlocked') await h.console.handlers['session:lock']({}, CTX);
    await h.console.handlers['session:unlock']({ operator: name, passphrase }, CTX);
  };

  beforeAll(async () => {
    h = await initialized();
    await addOperators(h.console, { name: ADMIN, passphrase: PASS }, [VIEWER]);
    await h.call('providers:save', { config: awsConfig(emu) });
    await h.call('providers:save', { config: vaultConfig(emu) });
    await h.call('providers:save', { config: vaultConfig(emu, { id: 'vault-wrong-token', vault_token: 'hvs.not-the-right-token-at-all' }) });
    const router = createRouter({ handlers: h.console.handlers, access: h.console.access });
    route = (channel, input) => router.route({ channel, input, ctx: CTX, trustedSender: true });
    await signIn(VIEWER.name, VIEWER.passphrase);
  });
  afterAll(() => h.console.close());

  for (const c of CASES) {
    it(`a viewer checks every provider with ${c.down.length === 0 ? 'every emulator up' : `${c.down.join(' and ')} down`}`, async () => {
      const env = await whileDown(c.down, () => route('providers:health', {}));
      if (!env.ok) throw new Error(JSON.stringify(env.error));
      const rows = (env.value as { providers: ProviderHealth[] }).providers;
      expect(rows.map(({ id, kind, reachable, code }) => ({ id, kind, reachable, code }))).toEqual(c.expect);
      for (const r of rows) {
        expect(Object.keys(r).sort()).toEqual(['code', 'id', 'kind', 'latencyMs', 'reachable']);
        expect(Number.isInteger(r.latencyMs) && r.latencyMs >= 0, `${r.id} latency ${r.latencyMs}`).toBe(true);
      }
      const text = JSON.stringify(env);
      for (const s of secrets()) expect(text).not.toContain(s);
      // One audit record of the check, its details written from the table's row.
      const record = h.console.audit.query({ action: 'provider.health', limit: 1 }).records[0];
      expect(record).toMatchObject({ actor: VIEWER.name, outcome: 'success', targetId: null });
      expect(record?.details).toEqual({
        providers: c.expect.map((r) => r.id).join(','),
        codes: c.expect.map((r) => r.code ?? 'ok').join(','),
        unreachable: c.expect.filter((r) => !r.reachable).length,
      });
      for (const s of secrets()) expect(JSON.stringify(record)).not.toContain(s);
    });
  }

  it('a viewer may not run providers:test; providers:list is not audited, each providers:health is one record', async () => {
    expect(await route('providers:test', { id: 'aws-primary' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const records = () => h.console.audit.query({ limit: 1000 }).records;
    // A first check with every emulator up lets a circuit the previous cases opened close again (that transition is
    // the registry's own record, provider.circuit, whoever checks); then only the check itself is recorded.
    expect((await route('providers:health', {})).ok).toBe(true);
    const before = records().length;
    expect((await route('providers:list', {})).ok).toBe(true);
    const afterList = records().length;
    expect((await route('providers:health', {})).ok).toBe(true);
    expect([afterList - before, records().length - afterList]).toEqual([0, 1]);
    expect(records()[0]).toMatchObject({ action: 'provider.health', actor: VIEWER.name }); // newest first
    // The input is strict.
    expect(await route('providers:health', { id: 'aws-primary' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});

describe('providers health on the command line, as a viewer', () => {
  const { dir, cli } = cliRunner('ecps-cli-providers-health-', PASS, 'in-process');
  const asViewer = (args: string[]) => cli(args, undefined, { ECPS_OPERATOR: VIEWER.name, ECPS_PASSPHRASE: VIEWER.passphrase });

  /** The newest n provider.health records in the CLI's store (opened once the command has closed it). */
  async function healthRecords(n: number) {
    const store = await open(join(dir, 'store'), { env: {} });
    try {
      await store.handlers['session:unlock']({ operator: ADMIN, passphrase: PASS }, CTX);
      return store.audit.query({ action: 'provider.health', limit: n }).records;
    } finally {
      store.close();
    }
  }

  beforeAll(async () => {
    const setup = await open(join(dir, 'store'), { env: {} });
    await setup.handlers['session:init']({ operator: ADMIN, passphrase: PASS }, CTX);
    await addOperators(setup, { name: ADMIN, passphrase: PASS }, [VIEWER]);
    await setup.handlers['providers:save']({ config: awsConfig(emu) }, CTX);
    await setup.handlers['providers:save']({ config: vaultConfig(emu) }, CTX);
    setup.close();
  });

  /** Emulators down -> exit code and the rows (id reachable code) expected. */
  const CLI_CASES: Array<{ down: Down[]; code: number; rows: string[][] }> = [
    { down: [], code: 0, rows: [['local', 'local', 'yes', '-'], ['aws-primary', 'aws_kms', 'yes', '-'], ['vault-backup', 'hashicorp_vault', 'yes', '-']] },
    { down: ['aws'], code: 1, rows: [['local', 'local', 'yes', '-'], ['aws-primary', 'aws_kms', 'no', 'unavailable'], ['vault-backup', 'hashicorp_vault', 'yes', '-']] },
  ];

  for (const c of CLI_CASES) {
    it(`${c.down.length === 0 ? 'every emulator up' : `${c.down.join(' and ')} down`}: exit ${c.code}, the table and --json say which`, async () => {
      const human = await whileDown(c.down, () => asViewer(['providers', 'health']));
      expect(human.code, human.stderr).toBe(c.code);
      const lines = human.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID\s+KIND\s+REACHABLE\s+LATENCY\s+CODE$/);
      const cells = lines.slice(1, 1 + c.rows.length).map((l) => l.split(/\s{2,}/));
      expect(cells.map((r) => [r[0], r[1], r[2], r[4]])).toEqual(c.rows);
      for (const r of cells) expect(r[3]).toMatch(/^\d+ ms$/);
      const down = c.rows.filter((r) => r[2] === 'no').length;
      expect(lines[1 + c.rows.length]).toBe(down === 0 ? `all ${c.rows.length} provider(s) reachable` : `${down} of ${c.rows.length} provider(s) unreachable`);

      const json = await whileDown(c.down, () => asViewer(['providers', 'health', '--json']));
      expect(json.code).toBe(c.code);
      const value = JSON.parse(json.stdout) as { providers: ProviderHealth[] };
      expect(value.providers.map((p) => [p.id, p.kind, p.reachable ? 'yes' : 'no', p.code ?? '-'])).toEqual(c.rows);
      for (const s of secrets()) expect(human.stdout + json.stdout + human.stderr + json.stderr).not.toContain(s);
      // Each command's check is audited in the store, as the viewer, with the table's ids and codes.
      const checks = await healthRecords(2);
      const details = { providers: c.rows.map((r) => r[0]).join(','), codes: c.rows.map((r) => (r[3] === '-' ? 'ok' : r[3])).join(','), unreachable: c.rows.filter((r) => r[2] === 'no').length };
      expect(checks.map((r) => [r.actor, r.details])).toEqual([[VIEWER.name, details], [VIEWER.name, details]]);
    });
  }
});
