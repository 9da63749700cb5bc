// Domain vocabulary shared by the main process and the renderer. Pure data and pure functions only:
// no Node built-ins, no DOM, no Electron (enforced by the lint rule for shared/).

/** Minimum operator passphrase length, in Unicode code points (enforced by the main process, shown by the UI). */
export const MIN_PASSPHRASE_CHARS = 12;

/** Counts code points, so a passphrase in any script is measured the same way on both sides. */
export function passphraseLength(passphrase: string): number {
  return [...passphrase].length;
}

export const KEY_TYPES = ['device_identity', 'communication', 'storage', 'emergency'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const KEY_ALGORITHMS = ['AES_256', 'RSA_2048', 'EC_P256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** NIST SP 800-57 Part 1, section 7: key states. */
export const KEY_STATES = ['pre_activation', 'active', 'suspended', 'deactivated', 'compromised', 'destroyed'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** The specification's provider names (KMS_INTEGRATION.md, "Configuration"), plus a PKCS#11 HSM. */
export const PROVIDER_KINDS = ['local', 'aws_kms', 'hashicorp_vault', 'azure_key_vault', 'google_cloud_kms', 'pkcs11'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** A configured provider instance, e.g. "local", "aws-primary", "vault-backup". */
export type ProviderId = string;
export const PROVIDER_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** The built-in provider: the console's own encrypted store. */
export const LOCAL_PROVIDER_ID = 'local';

export const PROVIDER_KIND_LABELS: Readonly<Record<ProviderKind, string>> = {
  local: 'Local encrypted store',
  aws_kms: 'AWS KMS',
  hashicorp_vault: 'HashiCorp Vault (transit)',
  azure_key_vault: 'Azure Key Vault',
  google_cloud_kms: 'Google Cloud KMS',
  pkcs11: 'PKCS#11 HSM',
};

export interface KeyTypeProfile {
  /** Algorithms allowed for this type; the first is the default. */
  algorithms: readonly KeyAlgorithm[];
  usage: 'encrypt' | 'sign';
  /** Default rotation period in seconds; null means manual rotation only. */
  rotationSeconds: number | null;
  description: string;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The key model of the specification (KMS_INTEGRATION.md, "Key Types and Usage"). */
export const KEY_TYPE_PROFILES: Readonly<Record<KeyType, KeyTypeProfile>> = {
  device_identity: {
    algorithms: ['RSA_2048', 'EC_P256'],
    usage: 'sign',
    rotationSeconds: null,
    description: 'Robot identity: authentication and signing',
  },
  communication: {
    algorithms: ['AES_256'],
    usage: 'encrypt',
    rotationSeconds: DAY,
    description: 'Link encryption, rotated every 24 hours',
  },
  storage: {
    algorithms: ['AES_256'],
    usage: 'encrypt',
    rotationSeconds: null,
    description: 'Data-at-rest encryption, rotated manually',
  },
  emergency: {
    algorithms: ['RSA_2048'],
    usage: 'sign',
    rotationSeconds: 365 * DAY,
    description: 'Emergency orders and overrides, rotated yearly',
  },
};

/**
 * Allowed lifecycle transitions (SP 800-57 Part 1 Rev. 5, figure 3, simplified to the states above).
 * Destruction needs a key that is already deactivated or compromised (the project's rule, stricter than SP 800-57,
 * which also allows destroying a pre-activation key): a never-used key is retired by marking it compromised or by
 * activating and deactivating it, so every destruction is preceded by an audited decision to stop using the key.
 */
export const KEY_TRANSITIONS: Readonly<Record<KeyState, readonly KeyState[]>> = {
  pre_activation: ['active', 'compromised'],
  active: ['suspended', 'deactivated', 'compromised'],
  suspended: ['active', 'deactivated', 'compromised'],
  deactivated: ['compromised', 'destroyed'],
  compromised: ['destroyed'],
  destroyed: [],
};

export function canTransition(from: KeyState, to: KeyState): boolean {
  return KEY_TRANSITIONS[from].includes(to);
}

/** States in which a key may protect new data or create new signatures. */
export function canProtect(state: KeyState): boolean {
  return state === 'active';
}

/**
 * States in which a key may still process (decrypt / verify) data it protected earlier.
 * SP 800-57 lets a deactivated key process; a compromised one only "under very highly controlled conditions", which
 * the console does not offer: a compromised key is disabled wherever it lives, so nothing processes with it.
 */
export function canProcess(state: KeyState): boolean {
  return state === 'active' || state === 'deactivated';
}

export const KEY_STATE_LABELS: Readonly<Record<KeyState, string>> = {
  pre_activation: 'Pre-activation',
  active: 'Active',
  suspended: 'Suspended',
  deactivated: 'Deactivated',
  compromised: 'Compromised',
  destroyed: 'Destroyed',
};

export const KEY_TYPE_LABELS: Readonly<Record<KeyType, string>> = {
  device_identity: 'Device identity',
  communication: 'Communication',
  storage: 'Storage',
  emergency: 'Emergency',
};

// ---- Fleet registry ----

/** A robot's life: built, given its identity, put to work, then taken out of service for cause or for good. */
export const ROBOT_STATUSES = ['manufactured', 'provisioned', 'deployed', 'quarantined', 'revoked', 'decommissioned'] as const;
export type RobotStatus = (typeof ROBOT_STATUSES)[number];

/** Allowed status changes. Quarantine can be lifted (back to deployed); revocation and decommissioning cannot. */
export const ROBOT_TRANSITIONS: Readonly<Record<RobotStatus, readonly RobotStatus[]>> = {
  manufactured: ['provisioned', 'decommissioned'],
  provisioned: ['deployed', 'quarantined', 'revoked', 'decommissioned'],
  deployed: ['quarantined', 'revoked', 'decommissioned'],
  quarantined: ['deployed', 'revoked', 'decommissioned'],
  revoked: ['decommissioned'],
  decommissioned: [],
};

/** RFC 5280 CRLReason values a fleet CA revocation may carry (certs:revoke, and a robot's revocation). */
export const CERT_REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'] as const;
export type CertRevocationReason = (typeof CERT_REVOCATION_REASONS)[number];

export function canRobotTransition(from: RobotStatus, to: RobotStatus): boolean {
  return ROBOT_TRANSITIONS[from].includes(to);
}

/** A robot's device id: what its certificate's subject names, so it is kept short and printable. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;
/** Site and model names: letters, digits, space and a few separators. */
export const FLEET_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._/-]{0,63}$/u;
/** A tag: no spaces, no ';' (the CSV separator of tags). */
export const ROBOT_TAG_PATTERN = /^[\p{L}\p{N}._:/-]{1,32}$/u;
/** Certificates expiring within this many days are flagged on the fleet dashboard. */
export const CERT_EXPIRY_WARNING_DAYS = 30;
