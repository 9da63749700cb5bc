// Which Vault the adapter is talking to, from sys/health, and whether it keeps every guarantee the console relies on.
// Older Vault ignores request fields it does not know (no error), and Vault Community ignores X-Vault-Namespace, so
// such a server would silently drop a guarantee: it is refused instead. Sources: docs/provider-vault.md.

type Triple = readonly [number, number, number];

/** The oldest Vault the console accepts: the newest of the versions below. */
export const VAULT_MINIMUM_VERSION = '1.13.0';

/** What the console sends or expects, and the first Vault version that honours it (Vault's CHANGELOG). */
export const VAULT_GUARANTEES: ReadonlyArray<{ since: Triple; what: string }> = [
  { since: [1, 13, 0], what: 'associated_data (older Vault ignores it: a ciphertext decrypts with any associated data)' },
  { since: [1, 12, 0], what: 'salt_length for RSA-PSS signatures (older Vault ignores it and signs with a different salt length)' },
  { since: [1, 10, 0], what: 'auto_rotate_period (older Vault ignores it: keys never rotate on schedule)' },
  { since: [1, 10, 0], what: 'HTTP 400 for a tampered ciphertext (older Vault answers 500, which reads as an outage)' },
];

export interface VaultServerInfo {
  version: string;
  enterprise: boolean;
}

function triple(version: string): Triple | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

const below = (v: Triple, min: Triple) => (v[0] !== min[0] ? v[0] < min[0] : v[1] !== min[1] ? v[1] < min[1] : v[2] < min[2]);

/**
 * Version and edition from a sys/health body, or null when it names no version. Vault reports `enterprise` from 1.16
 * on; before that, Enterprise builds are told apart by the "+ent" build metadata of their version.
 */
export function serverInfoOf(health: unknown): VaultServerInfo | null {
  if (typeof health !== 'object' || health === null) return null;
  const { version, enterprise } = health as { version?: unknown; enterprise?: unknown };
  if (typeof version !== 'string' || triple(version) === null) return null;
  return { version, enterprise: typeof enterprise === 'boolean' ? enterprise : /\+ent(?:\.|$)/.test(version) };
}

/** Why this server must not be used with these options, or null when it keeps every guarantee. */
export function refusalOf(info: VaultServerInfo, namespace: string | undefined): string | null {
  const v = triple(info.version)!;
  const lost = VAULT_GUARANTEES.filter((g) => below(v, g.since)).map((g) => `${g.what}, needs ${g.since.join('.')}`);
  if (lost.length > 0)
    return `Vault ${info.version} is older than ${VAULT_MINIMUM_VERSION}, the oldest version the console supports; it would silently drop: ${lost.join('; ')}`;
  if (namespace && !info.enterprise)
    return `namespace "${namespace}" is configured, but Vault ${info.version} is not Vault Enterprise: it has no namespaces and would ignore X-Vault-Namespace, serving the root namespace instead`;
  return null;
}
