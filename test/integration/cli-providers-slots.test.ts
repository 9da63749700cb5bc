// `providers slots --module PATH` (docs/cli.md, channel providers:slots): the slots and tokens of a PKCS#11 module,
// through runCli in this process against the real SoftHSM2 (test/integration/softhsm-kit.ts sets SOFTHSM2_CONF for
// this process, so the test lives here and not in test/unit). What each token is called, who made it and its serial
// are read from outside the console with pkcs11-tool (opensc); the roles are shared/permissions.ts' (admin only).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, cliInProcess } from './support/cliProcess.ts';
import { createSoftHsmToken, removeSoftHsmFolder, SOFTHSM_MODULE, type SoftHsmToken } from './softhsm-kit.ts';

const ADMIN_PASS = 'Provider slots admin passphrase';
/** The operators and roles, and whether providers:slots is theirs (shared/permissions.ts: admin). */
const OPERATORS: ReadonlyArray<[name: string, role: string, passphrase: string, may: boolean]> = [
  ['bob', 'viewer', 'Provider slots bob passphrase', false],
  ['carol', 'key_custodian', 'Provider slots carol passphrase', false],
  ['sally', 'security_officer', 'Provider slots sally passphrase', false],
  ['alice', 'admin', ADMIN_PASS, true],
];

let dir = '';
const tokens: SoftHsmToken[] = [];
const run = (args: string[], as: { operator?: string; passphrase?: string; extra?: Record<string, string> } = {}) =>
  cliInProcess([...args, '--data-dir', join(dir, 'store'), ...(as.operator ? ['--operator', as.operator] : [])], {
    env: cliEnv({ ECPS_PASSPHRASE: as.passphrase ?? ADMIN_PASS, ...as.extra }),
  });

/** What pkcs11-tool -L says of each initialised token: label, manufacturer, model, serial (independent of the console). */
function toolSlots(token: SoftHsmToken): Array<{ label: string; manufacturer: string; model: string; serial: string }> {
  const out = token.pkcs11Tool(['-L']);
  const field = (block: string, name: string) => new RegExp(`${name}\\s*:\\s*(.*)`).exec(block)?.[1]?.trim() ?? '';
  return out.split(/\n(?=Slot \d+)/).filter((b) => /token label/.test(b)).map((b) => ({
    label: field(b, 'token label'), manufacturer: field(b, 'token manufacturer'), model: field(b, 'token model'), serial: field(b, 'serial num'),
  }));
}

describe('cli providers slots', () => {
  beforeAll(async () => {
    tokens.push(createSoftHsmToken('slots-a'), createSoftHsmToken('slots-b'));
    dir = mkdtempSync(join(tmpdir(), 'ecps-cli-slots-'));
    expect((await run(['init'])).code).toBe(0);
    // A second approver would need the first one's approval (operator.approver): alice, alone, turns that off first.
    const policy = await run(['approvals', 'policy', 'set', 'operator.approver', '--m', '0']);
    expect(policy.code, policy.stderr).toBe(0);
    for (const [name, role, passphrase] of OPERATORS) {
      if (name === 'alice') continue;
      const r = await run(['operators', 'add', name, '--role', role], { extra: { ECPS_NEW_OPERATOR_PASSPHRASE: passphrase } });
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    for (const t of tokens) await t.cleanup();
    removeSoftHsmFolder();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists each token with its maker, model, serial and that it needs a PIN (as pkcs11-tool sees them); --json too', async () => {
    const seen = toolSlots(tokens[0]!).filter((t) => tokens.some((k) => k.label === t.label));
    expect(seen.map((t) => t.label).sort()).toEqual(tokens.map((t) => t.label).sort());

    const human = await run(['providers', 'slots', '--module', SOFTHSM_MODULE]);
    expect([human.code, human.stderr]).toEqual([0, '']);
    const lines = human.stdout.split('\n').filter((l) => l !== '');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['SLOT', 'TOKEN', 'MAKER/MODEL', 'SERIAL', 'PIN']);
    for (const t of seen) {
      const row = lines.find((l) => l.includes(` ${t.label} `));
      expect(row, t.label).toBeDefined();
      expect(row!.split(/\s{2,}/).slice(1)).toEqual([t.label, `${t.manufacturer} ${t.model}`, t.serial, 'yes']);
    }

    const json = await run(['providers', 'slots', '--module', SOFTHSM_MODULE, '--json']);
    expect([json.code, json.stderr]).toEqual([0, '']);
    const { slots } = JSON.parse(json.stdout) as { slots: Array<Record<string, unknown>> };
    for (const t of seen) {
      expect(slots.find((s) => s.tokenLabel === t.label)).toMatchObject({ tokenPresent: true, manufacturer: t.manufacturer, model: t.model, serial: t.serial, loginRequired: true });
    }
    // the slot ids printed are the --json ones
    for (const s of slots.filter((x) => seen.some((t) => t.label === x.tokenLabel))) expect(lines.some((l) => l.startsWith(`${String(s.slotId)} `))).toBe(true);
  });

  it('a module that does not exist or is not absolute: invalid_input, exit 1, nothing on stdout', async () => {
    for (const module of ['/usr/lib/no-such-pkcs11-module.so', 'libsofthsm2.so']) {
      const r = await run(['providers', 'slots', '--module', module]);
      expect([module, r.code, r.stdout]).toEqual([module, 1, '']);
      expect(r.stderr).toMatch(/^error \[invalid_input\]: /);
    }
  });

  it('the role table decides: only the admin lists a module for providers (forbidden, exit 1, for the others)', async () => {
    for (const [name, role, passphrase, may] of OPERATORS) {
      const r = await run(['providers', 'slots', '--module', SOFTHSM_MODULE, '--json'], { operator: name, passphrase });
      if (may) expect([role, r.code, r.stderr]).toEqual([role, 0, '']);
      else {
        expect([role, r.code, r.stdout]).toEqual([role, 1, '']);
        expect(r.stderr).toMatch(/^error \[forbidden\]: /);
      }
    }
  });

  it.each([
    [['providers', 'slots']],
    [['providers', 'slots', '--module']],
    [['providers', 'slots', SOFTHSM_MODULE]],
    [['providers', 'slots', '--module', SOFTHSM_MODULE, 'extra']],
    [['providers', 'slots', '--module', SOFTHSM_MODULE, '--token-label', 'x']],
  ])('usage mistake %j: exit 2, nothing on stdout', async (argv) => {
    const r = await run(argv);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^usage error: .+\nRun "ecps-console help" for the list of commands\.\n$/);
  });
});
