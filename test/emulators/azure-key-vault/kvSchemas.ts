// Response schemas of the Key Vault keys REST API (api-version 2025-07-01), written for this project from the
// published specification (azure-rest-api-specs, data-plane Microsoft.KeyVault stable/2025-07-01/keys.json): one
// schema per operationId, and KeyVaultError for every error answer. Objects are strict (a member the specification
// does not define fails) and nothing is nullable unless the specification says x-nullable (only Error is), so a
// null nextLink or null rotation-policy attributes fail. Where the specification is looser than the service's own
// documentation, the documented rule is added and marked (versioned key ids, private key members never returned,
// recoveryLevel matching the retention days).
import { z } from 'zod';

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'base64url');
const unixTime = z.number().int().nonnegative();
const tags = z.record(z.string(), z.string());
// Documented (about keys: "Objects, identifiers, and versioning"): a key bundle's kid names the version.
const versionedKid = z.string().regex(/^https:\/\/[^/]+\/keys\/[0-9A-Za-z-]+\/[0-9a-f]{32}$/, 'a versioned key identifier https://{vault}/keys/{name}/{version}');
const versionlessKid = z.string().regex(/^https:\/\/[^/]+\/keys\/[0-9A-Za-z-]+$/, 'a key identifier https://{vault}/keys/{name}');

export const JSON_WEB_KEY_TYPES = ['EC', 'EC-HSM', 'RSA', 'RSA-HSM', 'oct', 'oct-HSM'] as const;
export const CURVE_NAMES = ['P-256', 'P-384', 'P-521', 'P-256K'] as const;
export const KEY_OPERATIONS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import', 'export'] as const;
export const RECOVERY_LEVELS = [
  'Purgeable', 'Recoverable+Purgeable', 'Recoverable', 'Recoverable+ProtectedSubscription',
  'CustomizedRecoverable+Purgeable', 'CustomizedRecoverable', 'CustomizedRecoverable+ProtectedSubscription',
] as const;

/** JsonWebKey as answered: the public members only (get key "retrieves the public part"; no d, p, q, dp, dq, qi, k). */
const publicJsonWebKey = z.strictObject({
  kid: versionedKid.optional(),
  kty: z.enum(JSON_WEB_KEY_TYPES).optional(),
  key_ops: z.array(z.enum(KEY_OPERATIONS)).optional(),
  n: base64url.optional(),
  e: base64url.optional(),
  crv: z.enum(CURVE_NAMES).optional(),
  x: base64url.optional(),
  y: base64url.optional(),
});

const keyAttestation = z.strictObject({
  certificatePemFile: base64url.optional(),
  privateKeyAttestation: base64url.optional(),
  publicKeyAttestation: base64url.optional(),
  version: z.string().optional(),
});

const keyAttributes = z
  .strictObject({
    enabled: z.boolean().optional(),
    nbf: unixTime.optional(),
    exp: unixTime.optional(),
    created: unixTime.optional(),
    updated: unixTime.optional(),
    recoverableDays: z.number().int().min(0).max(90).optional(),
    recoveryLevel: z.enum(RECOVERY_LEVELS).optional(),
    exportable: z.boolean().optional(),
    hsmPlatform: z.string().optional(),
    attestation: keyAttestation.optional(),
  })
  .superRefine((a, ctx) => {
    // DeletionRecoveryLevel: the Customized* levels are those of a retention of 7 to 89 days; the others mean 90.
    if (a.recoveryLevel === undefined || a.recoverableDays === undefined || a.recoveryLevel === 'Purgeable') return;
    const customized = a.recoveryLevel.startsWith('Customized');
    if (customized !== (a.recoverableDays >= 7 && a.recoverableDays < 90))
      ctx.addIssue({ code: 'custom', message: `recoveryLevel ${a.recoveryLevel} does not match recoverableDays ${a.recoverableDays}` });
  });

const keyReleasePolicy = z.strictObject({ contentType: z.string().optional(), immutable: z.boolean().optional(), data: base64url.optional() });

const keyBundleShape = {
  key: publicJsonWebKey.optional(),
  attributes: keyAttributes.optional(),
  tags: tags.optional(),
  managed: z.boolean().optional(),
  release_policy: keyReleasePolicy.optional(),
};
const deletionShape = { recoveryId: z.url().optional(), scheduledPurgeDate: unixTime.optional(), deletedDate: unixTime.optional() };

export const KeyBundle = z.strictObject(keyBundleShape);
export const DeletedKeyBundle = z.strictObject({ ...keyBundleShape, ...deletionShape });
const keyItemShape = { kid: z.union([versionedKid, versionlessKid]).optional(), attributes: keyAttributes.optional(), tags: tags.optional(), managed: z.boolean().optional() };
export const KeyListResult = z.strictObject({ value: z.array(z.strictObject(keyItemShape)).optional(), nextLink: z.url().optional() });
export const DeletedKeyListResult = z.strictObject({ value: z.array(z.strictObject({ ...keyItemShape, ...deletionShape })).optional(), nextLink: z.url().optional() });
export const KeyOperationResult = z.strictObject({ kid: versionedKid.optional(), value: base64url.optional(), iv: base64url.optional(), tag: base64url.optional(), aad: base64url.optional() });
export const KeyVerifyResult = z.strictObject({ value: z.boolean().optional() });
export const BackupKeyResult = z.strictObject({ value: base64url.optional() });
export const RandomBytes = z.strictObject({ value: base64url });

// ISO 8601 durations as the rotation policy uses them (P90D, P3M, PT48H, P1Y10D).
const isoDuration = z.string().regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/, 'an ISO 8601 duration');
export const KeyRotationPolicy = z.strictObject({
  id: z.url().optional(),
  lifetimeActions: z
    .array(
      z.strictObject({
        trigger: z.strictObject({ timeAfterCreate: isoDuration.optional(), timeBeforeExpiry: isoDuration.optional() }).optional(),
        // KeyRotationPolicyAction, compared case-insensitively as the specification says.
        action: z.strictObject({ type: z.string().refine((t) => ['rotate', 'notify'].includes(t.toLowerCase()), 'Rotate or Notify').optional() }).optional(),
      }),
    )
    .optional(),
  attributes: z.strictObject({ expiryTime: isoDuration.optional(), created: unixTime.optional(), updated: unixTime.optional() }).optional(),
});

// Error is x-nullable in the specification; innererror is an Error again.
type ErrorBody = { code?: string | undefined; message?: string | undefined; innererror?: ErrorBody | null | undefined };
const errorBody: z.ZodType<ErrorBody> = z.lazy(() => z.strictObject({ code: z.string().optional(), message: z.string().optional(), innererror: errorBody.nullable().optional() }));
export const KeyVaultError = z.strictObject({ error: errorBody.nullable().optional() });

/** The 200 answer of each operation (the specification's operationId); PurgeDeletedKey answers 204 without a body. */
export const RESPONSE_SCHEMAS: Record<string, z.ZodType | null> = {
  CreateKey: KeyBundle,
  ImportKey: KeyBundle,
  GetKey: KeyBundle,
  UpdateKey: KeyBundle,
  RotateKey: KeyBundle,
  RecoverDeletedKey: KeyBundle,
  RestoreKey: KeyBundle,
  DeleteKey: DeletedKeyBundle,
  GetDeletedKey: DeletedKeyBundle,
  GetKeys: KeyListResult,
  GetKeyVersions: KeyListResult,
  GetDeletedKeys: DeletedKeyListResult,
  encrypt: KeyOperationResult,
  decrypt: KeyOperationResult,
  sign: KeyOperationResult,
  wrapKey: KeyOperationResult,
  unwrapKey: KeyOperationResult,
  verify: KeyVerifyResult,
  BackupKey: BackupKeyResult,
  GetKeyRotationPolicy: KeyRotationPolicy,
  UpdateKeyRotationPolicy: KeyRotationPolicy,
  GetRandomBytes: RandomBytes,
  PurgeDeletedKey: null,
};

export interface SchemaCheck { operation: string | null; status: number; conformed: boolean; problems: string[] }

/** Checks one answer: errors (>= 400) against KeyVaultError, successes against their operation's schema. */
export function checkResponse(operation: string | null, status: number, body: unknown): SchemaCheck {
  const problems: string[] = [];
  if (status >= 400) {
    const r = KeyVaultError.safeParse(body);
    if (!r.success) problems.push(...r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`));
  } else if (operation === null || !(operation in RESPONSE_SCHEMAS)) {
    problems.push(`no schema for operation ${String(operation)}`);
  } else {
    const schema = RESPONSE_SCHEMAS[operation];
    if (schema === null || schema === undefined) {
      if (status !== 204 || body !== undefined) problems.push(`${operation} answers 204 without a body, not ${status}`);
    } else if (status !== 200) problems.push(`${operation} answers 200, not ${status}`);
    else {
      const r = schema.safeParse(body);
      if (!r.success) problems.push(...r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`));
    }
  }
  return { operation, status, conformed: problems.length === 0, problems };
}
