// `operators token slots` and `operators token bind` (electron/ipc/cli/commands.ts through runCli) in this process on a
// real store and a real SoftHSM2 token, against docs/cli.md and docs/operators.md ("Second factor (PKCS#11 token)"):
// slots lists the module's tokens; bind signs in first, then takes the PIN from ECPS_TOKEN_PIN (never argv), binds
// the key pair and prints ten recovery codes once; from then on the unlock needs the PIN. Every test opens its own
// consoles (never in a beforeAll hook: vitest.mutate.config.ts); it runs only in the CLI's own mutation run.
import { afterAll, describe, expect, it } from 'vitest';
import { createSoftHsmToken, removeSoftHsmFolder, type SoftHsmToken } from '../integration/softhsm-kit.ts';
import { auditRows, cli, cliEnv as env, cliFolder, ok, refused, seededStore } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-token-');
const tokens: SoftHsmToken[] = [];
afterAll(async () => {
  for (const t of tokens.splice(0)) await t.cleanup();
  removeSoftHsmFolder();
});
const KEY_LABEL = 'alice-sign-in';
/** docs/operators.md: four groups of four characters of Crockford's base32. */
const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

function tokenWithKey(prefix: string): SoftHsmToken {
  const t = createSoftHsmToken(prefix);
  tokens.push(t);
  t.pkcs11Tool(['--login', '--pin', t.pin, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', KEY_LABEL]);
  return t;
}

describe('operators token slots', () => {
  it("lists the module's slots: the token by its label, its PIN required; --json gives the same slots", async () => {
    const t = tokenWithKey('slots');
    const dir = await seededStore(fresh());
    const out = ok(await cli(['operators', 'token', 'slots', '--module', t.modulePath, '--data-dir', dir])).stdout;
    const lines = out.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['SLOT', 'TOKEN', 'MAKER/MODEL', 'SERIAL', 'PIN']);
    const row = lines.find((l) => l.includes(t.label));
    expect(row, out).toBeDefined();
    expect(row!.trimEnd().endsWith('yes')).toBe(true);
    const json = JSON.parse(ok(await cli(['operators', 'token', 'slots', '--module', t.modulePath, '--json', '--data-dir', dir])).stdout) as {
      slots: Array<{ tokenLabel: string | null; tokenPresent: boolean; loginRequired: boolean | null }>;
    };
    expect(json.slots.filter((s) => s.tokenLabel === t.label)).toMatchObject([{ tokenPresent: true, loginRequired: true }]);
    expect(auditRows(dir).filter((r) => r.action === 'operator.token_slots').map((r) => [r.actor, r.outcome])).toEqual([['alice', 'success'], ['alice', 'success']]);
  });
});

describe('operators token bind', () => {
  it('the PIN from ECPS_TOKEN_PIN binds the key; ten codes printed once; then the unlock needs the PIN', async () => {
    const t = tokenWithKey('bind');
    const dir = await seededStore(fresh());
    const bind = ['operators', 'token', 'bind', '--module', t.modulePath, '--token-label', t.label, '--key-label', KEY_LABEL, '--data-dir', dir];
    const bound = ok(await cli(bind, { env: env({ ECPS_TOKEN_PIN: t.pin }) }));
    const lines = bound.stdout.split('\n');
    // the heading names the token; what follows "Recovery codes" is format.ts's (cli-format-rules.test.ts)
    expect(lines[0]!.startsWith(`token key bound: your unlock now needs token ${t.label} and its PIN. Recovery codes`), lines[0]).toBe(true);
    expect(lines.slice(1, -1)).toHaveLength(10);
    for (const code of lines.slice(1, -1)) expect(code).toMatch(CODE_SHAPE);
    expect(bound.stdout).not.toContain(t.pin);

    refused(await cli(['keys', 'list', '--data-dir', dir]), 'second_factor_required');
    ok(await cli(['keys', 'list', '--data-dir', dir], { env: env({ ECPS_TOKEN_PIN: t.pin }) }));
    const steps = auditRows(dir).filter((r) => r.action === 'operator.token_enable').map((r) => [r.actor, r.outcome]);
    expect(steps).toEqual([['alice', 'success']]);
    expect(JSON.stringify(auditRows(dir))).not.toContain(t.pin);
  });

  it('without a PIN (no ECPS_TOKEN_PIN, nothing on stdin) nothing is bound: the message names the variable', async () => {
    const t = tokenWithKey('nopin');
    const dir = await seededStore(fresh());
    const r = await cli(['operators', 'token', 'bind', '--module', t.modulePath, '--token-label', t.label, '--key-label', KEY_LABEL, '--data-dir', dir]);
    refused(r, 'invalid_input');
    expect(r.stderr).toContain('No token PIN given: set ECPS_TOKEN_PIN, type it at the prompt, or pipe it on stdin.');
    ok(await cli(['keys', 'list', '--data-dir', dir]));
  });

  it('signs in before the PIN is asked for: a wrong passphrase is wrong_passphrase, not a missing PIN', async () => {
    const t = tokenWithKey('order');
    const dir = await seededStore(fresh());
    const r = await cli(['operators', 'token', 'bind', '--module', t.modulePath, '--token-label', t.label, '--key-label', KEY_LABEL, '--data-dir', dir], {
      env: env({ ECPS_PASSPHRASE: 'not the passphrase of alice' }),
    });
    refused(r, 'wrong_passphrase');
    expect(r.stderr).not.toContain('token PIN');
  });

  it('a wrong PIN binds nothing (wrong_second_factor) and the passphrase alone still signs in', async () => {
    const t = tokenWithKey('wrongpin');
    const dir = await seededStore(fresh());
    const r = await cli(['operators', 'token', 'bind', '--module', t.modulePath, '--token-label', t.label, '--key-label', KEY_LABEL, '--data-dir', dir], {
      env: env({ ECPS_TOKEN_PIN: `${t.pin}-wrong` }),
    });
    expect(r.code).toBe(1);
    ok(await cli(['keys', 'list', '--data-dir', dir]));
  });
});
