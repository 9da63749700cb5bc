// The one provider contract. Every backend (local store, AWS KMS, HashiCorp Vault transit, and later Azure Key Vault,
// Google Cloud KMS, PKCS#11) implements KmsProvider; services depend on this interface, never on an SDK.
// One conformance suite (test/integration/conformance/) runs against every adapter.

import type { ProviderKind } from '../../shared/domain.ts';

export { PROVIDER_KINDS, type ProviderKind } from '../../shared/domain.ts';

/** Key specs the console asks providers for (the console's key types map onto these, see shared/domain.ts). */
export type ProviderKeySpec = 'AES_256' | 'RSA_2048' | 'EC_P256';
export type ProviderKeyUsage = 'encrypt' | 'sign';

/** Provider-side key state, normalised. */
export type ProviderKeyState = 'enabled' | 'disabled' | 'pending_deletion' | 'destroyed';

export interface ProviderCapabilities {
  /** Specs this provider can create, per usage. */
  specs: { encrypt: readonly ProviderKeySpec[]; sign: readonly ProviderKeySpec[] };
  /** Encrypt/decrypt bind associated data (AWS: EncryptionContext; Vault: associated_data). */
  associatedData: boolean;
  /** Largest plaintext accepted by encrypt() (AWS: 4096). Envelopes wrap only 32-byte data keys, so any value >= 32 works. */
  maxPlaintextBytes: number;
  /** rotate() adds a version that new operations use; older versions still decrypt / verify. */
  rotation: boolean;
  /** rotate() works for signing keys too (AWS KMS: no; Vault: yes). */
  rotateSigningKeys: boolean;
  /** A rotation period the provider itself enforces (AWS EnableKeyRotation, Vault auto_rotate_period). */
  automaticRotation: boolean;
  /** Destruction is scheduled with a waiting period that can be cancelled (AWS: 7-30 days). */
  scheduledDestruction: boolean;
  /** Key material never leaves the provider (everything but 'local'). */
  kmsBacked: boolean;
}

export interface ProviderKeyInfo {
  /** The provider's stable reference: AWS key ARN or id, Vault key name, local UUID. */
  keyRef: string;
  /** Human name: AWS alias (without "alias/"), Vault key name, local label. */
  name: string | null;
  spec: ProviderKeySpec;
  usage: ProviderKeyUsage;
  state: ProviderKeyState;
  /** Newest version (1 for providers that do not number versions and were never rotated). */
  currentVersion: number;
  createdAt: string;
  /** When state is pending_deletion. */
  deletionDate: string | null;
  rotationPeriodDays: number | null;
}

export interface CreateKeyInput {
  /** Console-side name; adapters derive their own naming (e.g. AWS alias "alias/ecps/<name>"). [A-Za-z0-9_-], 1..64. */
  name: string;
  spec: ProviderKeySpec;
  usage: ProviderKeyUsage;
  /** Provider-enforced rotation period, where automaticRotation is declared; null = none. */
  rotationPeriodDays?: number | null;
  description?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page; null at the end. */
  nextPageToken: string | null;
}

export interface HealthReport {
  ok: boolean;
  latencyMs: number;
  /** Short, non-secret description of what failed. */
  detail: string | null;
  /**
   * Of a failed check, the kind of provider error behind it, where one was thrown (providers:health's error code: the
   * kind alone, never the message). Absent on success.
   */
  errorKind?: ProviderErrorKind;
}

/** The provider's own rotation schedule for one key, as the provider reports it. */
export interface ProviderRotationSchedule {
  enabled: boolean;
  /** The period the provider rotates at (null when off). */
  periodSeconds: number | null;
  /** When the provider says it rotates next (ISO; null when off or not reported). */
  nextRotationAt: string | null;
}

/** One version of a key as the provider lists it. */
export interface ProviderVersionInfo {
  /** The provider's version number as the console records it (KeyVersionRow.providerVersion): 1, 2, ... */
  version: number;
  /** The provider's own id of it (AWS KeyMaterialId, Vault version number, Cloud KMS version name, Azure version id). */
  versionId: string;
  createdAt: string | null;
  /** How it was made, where the provider says: by its own schedule, on demand (rotate), or not said. */
  origin: 'automatic' | 'on_demand' | null;
}

/** The rotation periods a provider accepts: from minSeconds to maxSeconds (null: no upper bound), in steps of stepSeconds. */
export interface ProviderRotationLimits {
  minSeconds: number;
  maxSeconds: number | null;
  stepSeconds: number;
  /** The limits in words, naming the provider's API ("AWS KMS RotationPeriodInDays: whole days from 90 to 2560"). */
  text: string;
}

/**
 * Optional capability: the provider rotates a key by itself on a schedule the console sets, reads back and switches
 * off, and lists the key's versions (so the console can notice versions it did not make). Absent on providers that
 * cannot rotate by themselves (local store, PKCS#11).
 */
export interface ProviderRotationControl {
  readonly limits: ProviderRotationLimits;
  /** Whether keys of this spec can rotate on the provider's own schedule (AWS: symmetric keys only). */
  supportsSpec(spec: ProviderKeySpec): boolean;
  setSchedule(keyRef: string, periodSeconds: number): Promise<void>;
  getSchedule(keyRef: string): Promise<ProviderRotationSchedule>;
  disableSchedule(keyRef: string): Promise<void>;
  /** Every version the provider holds, oldest first. */
  listVersions(keyRef: string): Promise<ProviderVersionInfo[]>;
}

/** What the console knows of a key's versions, for rotate(). */
export interface RotateHint {
  knownVersion?: number;
}

export interface KmsProvider {
  /** Instance id from the configuration (e.g. "aws-primary"); unique within one console. */
  readonly id: string;
  readonly kind: ProviderKind;
  readonly capabilities: ProviderCapabilities;

  createKey(input: CreateKeyInput): Promise<ProviderKeyInfo>;
  describeKey(keyRef: string): Promise<ProviderKeyInfo>;
  listKeys(options?: { pageSize?: number; pageToken?: string | null }): Promise<Page<ProviderKeyInfo>>;

  /** Provider ciphertext is opaque bytes; `version` is the key version that encrypted it, where the provider says. */
  encrypt(keyRef: string, plaintext: Buffer, aad?: Buffer): Promise<{ ciphertext: Buffer; version: number | null }>;
  /** `materialId`: the provider's id of the key material that wrapped it, where the provider says (AWS KeyMaterialId). */
  decrypt(keyRef: string, ciphertext: Buffer, aad?: Buffer): Promise<{ plaintext: Buffer; version: number | null; materialId?: string | null }>;
  /** A fresh 256-bit data key, in clear (caller zeroes it) and wrapped under keyRef; `materialId` as for decrypt. */
  generateDataKey(keyRef: string, aad?: Buffer): Promise<{ plaintext: Buffer; wrapped: Buffer; version: number | null; materialId?: string | null }>;

  /** Signs SHA-256(message): RSA keys with RSASSA-PSS (MGF1-SHA-256, salt 32), EC keys with ECDSA (DER). */
  sign(keyRef: string, message: Buffer, version?: number): Promise<{ signature: Buffer; version: number }>;
  verify(keyRef: string, message: Buffer, signature: Buffer, version?: number): Promise<boolean>;
  /** PEM SubjectPublicKeyInfo. */
  getPublicKey(keyRef: string, version?: number): Promise<{ pem: string; version: number }>;

  /**
   * Adds a version and returns its provider number. `knownVersion`: the newest provider version the console has
   * recorded for the key, when nothing but the console's own rotations can have added one since (no provider-driven
   * schedule). A provider whose rotate call does not return the new number (AWS) may count from it instead of asking.
   */
  rotate(keyRef: string, options?: RotateHint): Promise<{ version: number }>;
  enable(keyRef: string): Promise<void>;
  disable(keyRef: string): Promise<void>;
  /** Providers without a waiting period destroy at once and return deletionDate = now. */
  scheduleDestruction(keyRef: string, waitingDays: number): Promise<{ deletionDate: string }>;
  cancelDestruction(keyRef: string): Promise<void>;

  health(): Promise<HealthReport>;
  close(): Promise<void>;

  /** Provider-side rotation (docs/rotation.md, "Provider-side rotation"); absent where the provider cannot rotate by itself. */
  readonly providerRotation?: ProviderRotationControl;
}

/** Normalised error kinds (DESIGN.md, "providers/"). */
export const PROVIDER_ERROR_KINDS = [
  'Unavailable', // network error, timeout, 5xx, circuit open: retryable
  'AccessDenied', // bad credentials, signature, token, or missing permission
  'NotFound',
  'Throttled', // rate limited: retryable with backoff
  'InvalidInput', // rejected argument (size, format, state-independent)
  'KeyDisabled', // key disabled, pending deletion, or otherwise in a state that forbids the operation
  'IntegrityFailure', // ciphertext / signature / checksum did not verify
  'Unsupported', // the provider's server would silently drop a guarantee the console relies on (e.g. too old)
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly providerId: string;
  /** The provider's own error code (e.g. "KMSInvalidStateException", "403"). */
  readonly providerCode: string | null;
  readonly requestId: string | null;
  readonly retryable: boolean;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { providerId: string; providerCode?: string | null; requestId?: string | null; retryable?: boolean; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.providerId = options.providerId;
    this.providerCode = options.providerCode ?? null;
    this.requestId = options.requestId ?? null;
    this.retryable = options.retryable ?? (kind === 'Unavailable' || kind === 'Throttled');
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}
