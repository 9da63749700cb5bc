// The providers commands and keys verify-integrity (docs/cli.md, "Providers and key integrity"): their human output,
// the configuration file of `providers save`, and the refusals that make the exit code tell the truth (a provider
// that does not answer, a key version that fails its check: exit 1 with a typed error). Secrets never reach the
// output: the channels return them as "set", and the human form prints only the settings named in WHERE_FIELDS.
import { stat, readFile } from 'node:fs/promises';
import type { ChannelOutput, ProviderStatus } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { SECRET_FIELDS } from '../../providers/config/schema.ts';
import { formatTable } from './format.ts';

/** The one setting that says where a provider is, per kind (never a secret): the first one set is shown. */
export const WHERE_FIELDS: readonly string[] = ['endpoint', 'region', 'key_vault_url', 'vault_url', 'project_id', 'pkcs11_token_label'];

/** Largest provider configuration file (a service account's JSON fits many times). */
export const MAX_CONFIG_BYTES = 64 * 1024;

function where(p: ProviderStatus): string {
  for (const name of WHERE_FIELDS) {
    const v = p.settings[name];
    if (typeof v === 'string' && v !== '') return v;
  }
  return '-';
}

function health(p: ProviderStatus): string {
  if (!p.health) return 'not checked';
  return p.health.ok ? `ok (${Math.round(p.health.latencyMs)} ms)` : `failing${p.health.detail ? `: ${p.health.detail}` : ''}`;
}

/** providers list: one row per provider, then why the environment's provider was refused (when it was). */
export function formatProviders(v: ChannelOutput<'providers:list'>): string {
  const rows = v.providers.map((p) => [
    p.id,
    p.kind,
    where(p),
    String(p.settings.origin ?? '-'),
    p.useKmsForStorage ? 'yes' : 'no',
    health(p),
    p.circuit,
    p.lastError ? `${p.lastError.kind}: ${p.lastError.message}` : '-',
  ]);
  const table = formatTable([['ID', 'KIND', 'WHERE', 'ORIGIN', 'STORAGE', 'HEALTH', 'CIRCUIT', 'LAST ERROR'], ...rows]);
  const refusal = v.environmentRefusal
    ? [`environment provider refused${v.environmentRefusal.variable ? ` (${v.environmentRefusal.variable})` : ''}: ${v.environmentRefusal.message}`]
    : [];
  return [table, ...refusal].join('\n');
}

/** providers save: what was stored, secrets named only as set or not. */
export function formatSavedProvider(p: ProviderStatus): string {
  const secrets = Object.keys(p.settings).filter((k) => SECRET_FIELDS.includes(k)).sort();
  const named = secrets.map((k) => `${k} ${p.settings[k] === 'set' ? 'set' : 'not set'}`).join(', ');
  return `saved provider ${p.id} (${p.kind}, ${where(p)})${named ? `; ${named}` : ''}`;
}

/** providers test: ok prints the latency; a provider that did not answer is provider_unavailable (exit 1). */
export function providerTestResult(id: string, r: ChannelOutput<'providers:test'>): string {
  if (!r.ok) {
    throw new ConsoleError('provider_unavailable', `Provider ${id} did not pass its health check: ${r.detail ?? 'no detail'}.`, { provider: id, latencyMs: r.latencyMs });
  }
  return `provider ${id} reachable (${Math.round(r.latencyMs)} ms)`;
}

/**
 * providers health: one row per provider (id, kind, reachable, latency, error code); exit 1 when any is unreachable,
 * the table (or the JSON) printed either way so a script sees which.
 */
export function formatProviderHealth(v: ChannelOutput<'providers:health'>): string {
  const rows = v.providers.map((p) => [p.id, p.kind, p.reachable ? 'yes' : 'no', `${p.latencyMs} ms`, p.code ?? '-']);
  const down = v.providers.filter((p) => !p.reachable).length;
  const summary = down === 0 ? `all ${v.providers.length} provider(s) reachable` : `${down} of ${v.providers.length} provider(s) unreachable`;
  return [formatTable([['ID', 'KIND', 'REACHABLE', 'LATENCY', 'CODE'], ...rows]), summary].join('\n');
}

/** The exit code of providers health: 1 when any provider is unreachable. */
export const providerHealthExit = (v: ChannelOutput<'providers:health'>): number => (v.providers.every((p) => p.reachable) ? 0 : 1);

/** keys verify-integrity: each version's result; a failed version is integrity_failure naming them (exit 1). */
export function integrityResult(keyId: string, r: ChannelOutput<'keys:verifyIntegrity'>): string {
  const bad = r.versions.filter((v) => !v.ok);
  if (!r.ok || bad.length > 0) {
    const list = bad.map((v) => `v${v.version} (${v.reason ?? 'failed'})`).join(', ');
    throw new ConsoleError('integrity_failure', `Key ${keyId}: ${bad.length} of ${r.versions.length} version(s) failed the integrity check: ${list || 'the report is not ok'}.`, {
      keyId,
      failedVersions: bad.map((v) => v.version).join(','),
    });
  }
  return [`key ${keyId}: ${r.versions.length} version(s) intact`, ...r.versions.map((v) => `  v${v.version}  ok`)].join('\n');
}

/**
 * The configuration file of `providers save`: a JSON object (the settings as docs/providers.md names them). A file
 * that holds a secret must not be readable by group or others (as ssh refuses a private key): it is refused unread
 * beyond its mode, and no message ever quotes the file's content.
 */
export async function readProviderConfigFile(path: string): Promise<Record<string, unknown>> {
  let mode: number;
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ConsoleError('invalid_input', `--config ${path} is not a regular file.`, { field: 'config' });
    mode = info.mode;
    size = info.size;
  } catch (e) {
    if (e instanceof ConsoleError) throw e;
    throw new ConsoleError('not_found', `--config ${path} cannot be read.`, { field: 'config' });
  }
  if (size > MAX_CONFIG_BYTES) throw new ConsoleError('invalid_input', `--config ${path} is ${size} bytes; at most ${MAX_CONFIG_BYTES}.`, { field: 'config' });
  let config: unknown;
  try {
    config = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new ConsoleError('invalid_input', `--config ${path} is not JSON.`, { field: 'config' });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConsoleError('invalid_input', `--config ${path} must hold a JSON object of settings.`, { field: 'config' });
  }
  const secrets = Object.keys(config).filter((k) => SECRET_FIELDS.includes(k)).sort();
  if (secrets.length > 0 && process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ConsoleError(
      'invalid_input',
      `--config ${path} holds ${secrets.join(', ')} and is readable by other users (mode ${(mode & 0o777).toString(8)}); nothing was saved. Run chmod 600 on it first.`,
      { field: 'config' },
    );
  }
  return config as Record<string, unknown>;
}
