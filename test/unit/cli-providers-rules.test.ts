// The rules of electron/ipc/cli/providersCli.ts called directly (the commands through runCli: cli-run-providers.test.ts),
// against docs/cli.md ("Providers and key integrity"): the list's columns and what they show, the saved provider's
// line (secrets named, never shown), a provider that failed its check and a key version that failed its check as
// typed errors (exit 1), and the configuration file's rules (JSON object, at most 64 KiB, no secret in a file others
// may read). Expected texts are written out here from the docs.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { formatProviderHealth, formatProviders, formatSavedProvider, integrityResult, MAX_CONFIG_BYTES, providerHealthExit, providerTestResult, readProviderConfigFile } from '../../electron/ipc/cli/providersCli.ts';

const root = mkdtempSync(join(tmpdir(), 'ecps-cli-providers-rules-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function file(content: string, mode = 0o600): string {
  const path = join(root, `config-${++n}.json`);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof ConsoleError) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('not refused');
}

const AT = '2026-12-05T10:00:00.000Z';
function provider(over: Partial<ProviderStatus> & { id: string }): ProviderStatus {
  return { kind: 'aws_kms', settings: {}, useKmsForStorage: false, kmsBacked: true, health: null, circuit: 'closed', lastError: null, ...over };
}

describe('providers list: one aligned row per provider, then the environment refusal', () => {
  it('columns: id, kind, where (the first locating setting), origin, storage, health, circuit, last error', () => {
    const text = formatProviders({
      providers: [
        provider({ id: 'local', kind: 'local', settings: { provider: 'local', origin: 'built-in' }, health: { ok: true, latencyMs: 0, checkedAt: AT, detail: null } }),
        provider({ id: 'aws', settings: { endpoint: 'http://127.0.0.1:4000', region: 'eu-central-1', origin: 'saved', aws_secret_access_key: 'set' }, useKmsForStorage: true, health: { ok: true, latencyMs: 12.6, checkedAt: AT, detail: null } }),
        provider({ id: 'az', kind: 'azure_key_vault', settings: { endpoint: '', key_vault_url: 'https://v.example', origin: 'environment' }, health: { ok: false, latencyMs: 3, checkedAt: AT, detail: 'Unavailable (ECONNREFUSED)' }, circuit: 'open', lastError: { kind: 'Unavailable', message: 'ECONNREFUSED', at: AT } }),
        provider({ id: 'hsm', kind: 'pkcs11', settings: { pkcs11_token_label: 'fleet', pkcs11_pin: 'set' }, health: { ok: false, latencyMs: 1, checkedAt: AT, detail: null }, circuit: 'half_open' }),
        provider({ id: 'v', kind: 'hashicorp_vault', settings: { vault_url: 7, origin: 'saved' } }),
      ],
      environmentRefusal: null,
    });
    expect(text).toBe([
      'ID     KIND             WHERE                  ORIGIN       STORAGE  HEALTH                               CIRCUIT    LAST ERROR',
      'local  local            -                      built-in     no       ok (0 ms)                            closed     -',
      'aws    aws_kms          http://127.0.0.1:4000  saved        yes      ok (13 ms)                           closed     -',
      'az     azure_key_vault  https://v.example      environment  no       failing: Unavailable (ECONNREFUSED)  open       Unavailable: ECONNREFUSED',
      'hsm    pkcs11           fleet                  -            no       failing                              half_open  -',
      'v      hashicorp_vault  -                      saved        no       not checked                          closed     -',
    ].join('\n'));
  });

  it('each locating setting, in the order endpoint, region, key_vault_url, vault_url, project_id, pkcs11_token_label', () => {
    const order = ['endpoint', 'region', 'key_vault_url', 'vault_url', 'project_id', 'pkcs11_token_label'];
    for (let i = 0; i < order.length; i++) {
      const settings = Object.fromEntries(order.slice(i).map((k) => [k, `${k}-value`]));
      const row = formatProviders({ providers: [provider({ id: 'p', settings })], environmentRefusal: null }).split('\n')[1]!;
      expect(row.split(/ {2,}/)[2]).toBe(`${order[i]}-value`);
    }
  });

  it('the environment refusal follows the table, with its variable when it has one', () => {
    const one = [provider({ id: 'local', kind: 'local' })];
    expect(formatProviders({ providers: one, environmentRefusal: { message: 'AWS_REGION must be a region.', variable: 'AWS_REGION', localFallback: false } }).split('\n').at(-1))
      .toBe('environment provider refused (AWS_REGION): AWS_REGION must be a region.');
    expect(formatProviders({ providers: one, environmentRefusal: { message: 'KMS_PROVIDER is unknown.', variable: null, localFallback: true } }).split('\n').at(-1))
      .toBe('environment provider refused: KMS_PROVIDER is unknown.');
    expect(formatProviders({ providers: one, environmentRefusal: null }).split('\n')).toHaveLength(2);
  });
});

describe('providers save: the line names the secret fields as set or not, never a value', () => {
  it('secret fields in order, set or not set; none for a kind without secrets shown', () => {
    expect(formatSavedProvider(provider({ id: 'aws', settings: { region: 'eu-central-1', aws_session_token: null, aws_secret_access_key: 'set', aws_access_key_id: 'AKID' } })))
      .toBe('saved provider aws (aws_kms, eu-central-1); aws_secret_access_key set, aws_session_token not set');
    expect(formatSavedProvider(provider({ id: 'g', kind: 'google_cloud_kms', settings: { project_id: 'p1' } }))).toBe('saved provider g (google_cloud_kms, p1)');
  });
});

describe('providers test and keys verify-integrity: a failed check is a typed error (exit 1)', () => {
  it('a provider that answered prints its latency; one that did not is provider_unavailable with its detail', async () => {
    expect(providerTestResult('aws', { ok: true, latencyMs: 4.4, detail: null })).toBe('provider aws reachable (4 ms)');
    expect(await refusal(() => providerTestResult('aws', { ok: false, latencyMs: 2, detail: 'Unavailable (ECONNREFUSED)' }))).toEqual({
      code: 'provider_unavailable', message: 'Provider aws did not pass its health check: Unavailable (ECONNREFUSED).', details: { provider: 'aws', latencyMs: 2 },
    });
    expect((await refusal(() => providerTestResult('v', { ok: false, latencyMs: 0, detail: null }))).message).toBe('Provider v did not pass its health check: no detail.');
  });

  it('every version intact prints them; a failed one is integrity_failure naming each failed version and why', async () => {
    expect(integrityResult('K', { ok: true, versions: [{ version: 1, ok: true, reason: null }, { version: 2, ok: true, reason: null }] })).toBe('key K: 2 version(s) intact\n  v1  ok\n  v2  ok');
    expect(await refusal(() => integrityResult('K', { ok: false, versions: [{ version: 1, ok: false, reason: 'check value does not match' }, { version: 2, ok: true, reason: null }, { version: 3, ok: false, reason: null }] }))).toEqual({
      code: 'integrity_failure',
      message: 'Key K: 2 of 3 version(s) failed the integrity check: v1 (check value does not match), v3 (failed).',
      details: { keyId: 'K', failedVersions: '1,3' },
    });
    // a report that says not ok without a failed version is not taken as intact
    expect((await refusal(() => integrityResult('K', { ok: false, versions: [{ version: 1, ok: true, reason: null }] }))).message).toBe('Key K: 0 of 1 version(s) failed the integrity check: the report is not ok.');
    // nor a failed version under a report that says ok
    expect((await refusal(() => integrityResult('K', { ok: true, versions: [{ version: 1, ok: false, reason: 'gone' }] }))).code).toBe('integrity_failure');
  });
});

describe('the configuration file of providers save', () => {
  it('a JSON object is read; a secret in a file only its owner reads is accepted', async () => {
    expect(await readProviderConfigFile(file('{"provider":"hashicorp_vault","vault_token":"s.abc"}'))).toEqual({ provider: 'hashicorp_vault', vault_token: 's.abc' });
    // no secret: any mode
    expect(await readProviderConfigFile(file('{"provider":"aws_kms"}', 0o644))).toEqual({ provider: 'aws_kms' });
  });

  it('a secret in a file group or others may read is refused, naming the secrets and the mode, never their values', async () => {
    for (const mode of [0o640, 0o604, 0o620, 0o602, 0o601, 0o610]) {
      const r = await refusal(readProviderConfigFile(file('{"vault_token":"s.hidden","pkcs11_pin":"1234","region":"x"}', mode)));
      expect(r.code).toBe('invalid_input');
      expect(r.message).toMatch(new RegExp(`holds pkcs11_pin, vault_token and is readable by other users \\(mode ${mode.toString(8)}\\); nothing was saved\\. Run chmod 600 on it first\\.$`));
      expect(r.message).not.toMatch(/s\.hidden|1234/);
      expect(r.details).toEqual({ field: 'config' });
    }
  });

  it('not JSON, not an object, too large, absent, a folder: refused with their codes, the content never quoted', async () => {
    for (const [content, what] of [['{"vault_token": "s.hidden"', 'is not JSON.'], ['["s.hidden"]', 'must hold a JSON object of settings.'], ['null', 'must hold a JSON object of settings.'], ['"s.hidden"', 'must hold a JSON object of settings.']] as const) {
      const path = file(content);
      const r = await refusal(readProviderConfigFile(path));
      expect([r.code, r.message, r.details]).toEqual(['invalid_input', `--config ${path} ${what}`, { field: 'config' }]);
    }
    const big = file(`{"a":"${'x'.repeat(MAX_CONFIG_BYTES)}"}`);
    expect(await refusal(readProviderConfigFile(big))).toEqual({ code: 'invalid_input', message: `--config ${big} is ${MAX_CONFIG_BYTES + 8} bytes; at most ${MAX_CONFIG_BYTES}.`, details: { field: 'config' } });
    expect(MAX_CONFIG_BYTES).toBe(64 * 1024);
    const exact = file(`{"a":"${'x'.repeat(MAX_CONFIG_BYTES - 8)}"}`);
    expect(Object.keys(await readProviderConfigFile(exact))).toEqual(['a']);
    expect(await refusal(readProviderConfigFile(join(root, 'absent.json')))).toEqual({ code: 'not_found', message: `--config ${join(root, 'absent.json')} cannot be read.`, details: { field: 'config' } });
    expect(await refusal(readProviderConfigFile(root))).toEqual({ code: 'invalid_input', message: `--config ${root} is not a regular file.`, details: { field: 'config' } });
  });
});

// providers health (docs/cli.md): one row per provider with id, kind, reachable yes/no, latency and the error code;
// a last line that counts the unreachable ones; exit 1 when any is unreachable. Rows and lines written out by hand.
describe('providers health: the table, its summary line and the exit code', () => {
  const up = { id: 'aws', kind: 'aws_kms', reachable: true, latencyMs: 12, code: null } as const;
  const down = { id: 'vault-eu', kind: 'hashicorp_vault', reachable: false, latencyMs: 3004, code: 'unavailable' } as const;

  it.each([
    [[up], ['ID   KIND     REACHABLE  LATENCY  CODE', 'aws  aws_kms  yes        12 ms    -', 'all 1 provider(s) reachable'], 0],
    [
      [up, down],
      [
        'ID        KIND             REACHABLE  LATENCY  CODE',
        'aws       aws_kms          yes        12 ms    -',
        'vault-eu  hashicorp_vault  no         3004 ms  unavailable',
        '1 of 2 provider(s) unreachable',
      ],
      1,
    ],
    [[down, { ...down, id: 'v2' }], ['ID        KIND             REACHABLE  LATENCY  CODE', 'vault-eu  hashicorp_vault  no         3004 ms  unavailable', 'v2        hashicorp_vault  no         3004 ms  unavailable', '2 of 2 provider(s) unreachable'], 1],
  ] as const)('%#: prints the rows and exits %s', (providers, lines, exit) => {
    const v = { providers: [...providers] };
    expect(formatProviderHealth(v).split('\n')).toEqual(lines);
    expect(providerHealthExit(v)).toBe(exit);
  });
});
