// Which Vault the emulator pretends to be: the version and edition sys/health reports, and the guarantees that version
// silently drops. Older Vault ignores request fields it does not know (no error), and Vault Community ignores the
// X-Vault-Namespace header, so a client that relies on them loses the guarantee without noticing. The first versions
// that honour each one are in docs/provider-vault.md ("Minimum Vault version"), with their changelog entries.

export interface VaultServerProfile {
  /** What sys/health reports as `version`, e.g. "1.17.0+ent" or "1.12.3". */
  version: string;
  /** Vault Enterprise / HCP (namespaces exist); Community Vault ignores X-Vault-Namespace. */
  enterprise: boolean;
}

/** The default: a current Vault Enterprise, which honours every field the console sends. */
export const MODERN_ENTERPRISE: VaultServerProfile = { version: '1.17.0+ent', enterprise: true };

export interface VaultBehaviour {
  profile: VaultServerProfile;
  /** transit encrypt/decrypt bind `associated_data` into AES-GCM (Vault 1.13.0, GH-17638). */
  associatedData: boolean;
  /** transit sign/verify honour `salt_length` for RSA-PSS (Vault 1.12.0, GH-16549); before, Go's "auto" was used. */
  saltLength: boolean;
  /** keys honour and report `auto_rotate_period` (Vault 1.10.0, GH-13691). */
  autoRotatePeriod: boolean;
  /** X-Vault-Namespace selects a namespace (Enterprise only; Community serves the root namespace whatever it says). */
  namespaces: boolean;
  /** sys/health carries the `enterprise` field (Vault 1.16.0, GH-24270). */
  healthReportsEnterprise: boolean;
}

/** [major, minor, patch] of a Vault version string ("1.15.2+ent", "1.16.0-rc2"); null when it is not one. */
export function versionTriple(version: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

const atLeast = (v: [number, number, number], min: [number, number, number]) => v[0] !== min[0] ? v[0] > min[0] : v[1] !== min[1] ? v[1] > min[1] : v[2] >= min[2];

export function behaviourOf(profile: VaultServerProfile = MODERN_ENTERPRISE): VaultBehaviour {
  const v = versionTriple(profile.version);
  if (!v) throw new Error(`startVaultEmulator: "${profile.version}" is not a Vault version`);
  if (profile.enterprise !== /\+ent(?:\.|$)/.test(profile.version)) throw new Error('startVaultEmulator: Vault Enterprise versions carry "+ent", Community versions do not');
  return {
    profile,
    associatedData: atLeast(v, [1, 13, 0]),
    saltLength: atLeast(v, [1, 12, 0]),
    autoRotatePeriod: atLeast(v, [1, 10, 0]),
    namespaces: profile.enterprise,
    healthReportsEnterprise: atLeast(v, [1, 16, 0]),
  };
}
