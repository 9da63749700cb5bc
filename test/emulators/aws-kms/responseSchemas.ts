// AWS KMS responses as the AWS KMS API Reference describes them (docs.aws.amazon.com/kms/latest/APIReference: each
// action's "Response Syntax", "Response Elements" and "Errors", the KeyMetadata / KeyListEntry / AliasListEntry /
// RotationsListEntry data types, and Common Errors), written from the reference and not from this emulator. JSON 1.1
// protocol: blobs are base64 strings, timestamps epoch seconds; an action without output answers an empty body.
import { z } from 'zod';
import { zodProblems } from '../schemaCheck.ts';

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A blob of `min`..`max` bytes (the reference's length constraints). */
const blob = (min: number, max: number) =>
  z.string().regex(STD_BASE64, 'not base64').refine((s) => {
    const n = Buffer.from(s, 'base64').length;
    return n >= min && n <= max;
  }, `must decode to ${min}..${max} bytes`);
const timestamp = z.number().nonnegative();
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/;
const keyId = z.string().regex(KEY_ID, 'not a key id');
/** "The Amazon Resource Name (key ARN) of the KMS key ..." */
const keyArn = z.string().min(20).max(2048).regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/, 'not a key ARN');
const marker = z.string().min(1).max(1024).regex(/^[\u0020-\u00FF]*$/);
const keyMaterialId = z.string().regex(/^[a-f0-9]{64}$/, 'not a key material id (64 hex characters)');

const KEY_SPEC = z.enum(['RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ECC_NIST_EDWARDS25519']);
const KEY_USAGE = z.enum(['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT']);
const KEY_STATE = z.enum(['Creating', 'Enabled', 'Disabled', 'PendingDeletion', 'PendingImport', 'PendingReplicaDeletion', 'Unavailable', 'Updating']);
const ENCRYPTION_ALGORITHM = z.enum(['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE']);
const SIGNING_ALGORITHM = z.enum(['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'SM2DSA', 'ML_DSA_SHAKE_256', 'ED25519_SHA_512', 'ED25519_PH_SHA_512']);

/** The KeyMetadata data type, with the presence rules its field descriptions state. */
const keyMetadata = z
  .strictObject({
    KeyId: z.string().min(1).max(2048),
    Arn: keyArn.optional(),
    AWSAccountId: z.string().regex(/^\d{12}$/).optional(),
    CloudHsmClusterId: z.string().optional(),
    CreationDate: timestamp.optional(),
    CurrentKeyMaterialId: keyMaterialId.optional(),
    CustomerMasterKeySpec: KEY_SPEC.optional(),
    CustomKeyStoreId: z.string().optional(),
    DeletionDate: timestamp.optional(),
    Description: z.string().max(8192).optional(),
    Enabled: z.boolean().optional(),
    EncryptionAlgorithms: z.array(ENCRYPTION_ALGORITHM).optional(),
    ExpirationModel: z.enum(['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE']).optional(),
    KeyAgreementAlgorithms: z.array(z.enum(['ECDH'])).optional(),
    KeyManager: z.enum(['AWS', 'CUSTOMER']).optional(),
    KeySpec: KEY_SPEC.optional(),
    KeyState: KEY_STATE.optional(),
    KeyUsage: KEY_USAGE.optional(),
    MacAlgorithms: z.array(z.string()).optional(),
    MultiRegion: z.boolean().optional(),
    MultiRegionConfiguration: z.record(z.string(), z.unknown()).optional(),
    Origin: z.enum(['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']).optional(),
    PendingDeletionWindowInDays: z.int().min(1).max(365).optional(),
    SigningAlgorithms: z.array(SIGNING_ALGORITHM).optional(),
    ValidTo: timestamp.optional(),
    XksKeyConfiguration: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (m.Enabled !== undefined && m.KeyState !== undefined && m.Enabled !== (m.KeyState === 'Enabled')) issue('Enabled disagrees with KeyState');
    // "DeletionDate ... This value is present only when the KeyState is PendingDeletion"; likewise the window.
    if ((m.DeletionDate !== undefined) !== (m.KeyState === 'PendingDeletion')) issue('DeletionDate is present exactly when KeyState is PendingDeletion');
    if (m.PendingDeletionWindowInDays !== undefined && m.KeyState !== 'PendingDeletion' && m.KeyState !== 'PendingReplicaDeletion') issue('PendingDeletionWindowInDays outside a pending deletion');
    // "CurrentKeyMaterialId ... This value is present for symmetric encryption keys with AWS_KMS or EXTERNAL origin."
    const symmetricOwned = m.KeySpec === 'SYMMETRIC_DEFAULT' && (m.Origin === 'AWS_KMS' || m.Origin === 'EXTERNAL');
    if (symmetricOwned !== (m.CurrentKeyMaterialId !== undefined)) issue('CurrentKeyMaterialId is present exactly for symmetric encryption keys with AWS_KMS or EXTERNAL origin');
    if (m.KeyUsage === 'ENCRYPT_DECRYPT' && !m.EncryptionAlgorithms?.length) issue('an ENCRYPT_DECRYPT key lists its EncryptionAlgorithms');
    if (m.KeyUsage === 'SIGN_VERIFY' && !m.SigningAlgorithms?.length) issue('a SIGN_VERIFY key lists its SigningAlgorithms');
    if (m.KeyUsage !== 'SIGN_VERIFY' && m.SigningAlgorithms !== undefined) issue('SigningAlgorithms on a key that does not sign');
    if (m.Arn !== undefined && !m.Arn.endsWith(`/${m.KeyId}`)) issue('Arn does not name KeyId');
  });

const listed = <T extends z.ZodType>(field: string, item: T) =>
  z
    .strictObject({ [field]: z.array(item), NextMarker: marker.optional(), Truncated: z.boolean() })
    .refine((r) => (r['NextMarker'] !== undefined) === r['Truncated'], 'NextMarker is present exactly when Truncated is true');

/** Response syntax per action; null = "an HTTP 200 response with an empty HTTP body". */
const RESPONSES: Record<string, z.ZodType | null> = {
  CreateKey: z.strictObject({ KeyMetadata: keyMetadata }),
  DescribeKey: z.strictObject({ KeyMetadata: keyMetadata }),
  ListKeys: listed('Keys', z.strictObject({ KeyId: keyId, KeyArn: keyArn })),
  ListAliases: listed(
    'Aliases',
    z.strictObject({
      AliasName: z.string().min(1).max(256).regex(/^alias\/[a-zA-Z0-9/_-]+$/),
      AliasArn: z.string().min(20).max(2048),
      TargetKeyId: keyId.optional(),
      CreationDate: timestamp.optional(),
      LastUpdatedDate: timestamp.optional(),
    }),
  ),
  CreateAlias: null,
  DeleteAlias: null,
  EnableKey: null,
  DisableKey: null,
  EnableKeyRotation: null,
  DisableKeyRotation: null,
  ScheduleKeyDeletion: z.strictObject({ KeyId: keyArn, DeletionDate: timestamp, KeyState: z.enum(['PendingDeletion', 'PendingReplicaDeletion']), PendingWindowInDays: z.int().min(1).max(365) }),
  CancelKeyDeletion: z.strictObject({ KeyId: keyArn }),
  GetKeyRotationStatus: z
    .strictObject({ KeyRotationEnabled: z.boolean(), KeyId: keyArn, RotationPeriodInDays: z.int().min(90).max(2560).optional(), NextRotationDate: timestamp.optional(), OnDemandRotationStartDate: timestamp.optional() })
    .refine((r) => r.KeyRotationEnabled || (r.RotationPeriodInDays === undefined && r.NextRotationDate === undefined), 'a rotation period and date without automatic rotation'),
  RotateKeyOnDemand: z.strictObject({ KeyId: keyId }),
  ListKeyRotations: listed(
    'Rotations',
    z.strictObject({
      KeyId: keyId,
      KeyMaterialId: keyMaterialId, // "Unique identifier of the key material"
      KeyMaterialDescription: z.string().optional(),
      ImportState: z.enum(['IMPORTED', 'PENDING_IMPORT']).optional(),
      // "CURRENT and NON_CURRENT are used for all KMS keys that support automatic or on-demand key rotation"
      KeyMaterialState: z.enum(['NON_CURRENT', 'CURRENT', 'PENDING_ROTATION', 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION']),
      ExpirationModel: z.enum(['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE']).optional(),
      ValidTo: timestamp.optional(),
      RotationDate: timestamp.optional(),
      RotationType: z.enum(['AUTOMATIC', 'ON_DEMAND']).optional(),
    }),
  ),
  Encrypt: z.strictObject({ CiphertextBlob: blob(1, 6144), KeyId: keyArn, EncryptionAlgorithm: ENCRYPTION_ALGORITHM }),
  // KeyMaterialId: "present only when the operation uses a symmetric encryption KMS key" (Decrypt), and on every
  // GenerateDataKey without a Recipient; the console never sends one.
  Decrypt: z
    .strictObject({ KeyId: keyArn, Plaintext: blob(1, 4096), EncryptionAlgorithm: ENCRYPTION_ALGORITHM, KeyMaterialId: keyMaterialId.optional() })
    .refine((r) => r.EncryptionAlgorithm !== 'SYMMETRIC_DEFAULT' || r.KeyMaterialId !== undefined, 'KeyMaterialId is missing for a symmetric encryption key'),
  GenerateDataKey: z.strictObject({ CiphertextBlob: blob(1, 6144), Plaintext: blob(1, 4096), KeyId: keyArn, KeyMaterialId: keyMaterialId }),
  Sign: z.strictObject({ KeyId: keyArn, Signature: blob(1, 6144), SigningAlgorithm: SIGNING_ALGORITHM }),
  // An invalid signature is the KMSInvalidSignatureException error, never SignatureValid: false.
  Verify: z.strictObject({ KeyId: keyArn, SignatureValid: z.literal(true), SigningAlgorithm: SIGNING_ALGORITHM }),
  GetPublicKey: z
    .strictObject({
      KeyId: keyArn,
      PublicKey: blob(1, 8192),
      CustomerMasterKeySpec: KEY_SPEC,
      KeySpec: KEY_SPEC,
      KeyUsage: KEY_USAGE,
      EncryptionAlgorithms: z.array(ENCRYPTION_ALGORITHM).optional(),
      SigningAlgorithms: z.array(SIGNING_ALGORITHM).optional(),
      KeyAgreementAlgorithms: z.array(z.enum(['ECDH'])).optional(),
    })
    .refine((r) => r.KeySpec === r.CustomerMasterKeySpec, 'CustomerMasterKeySpec differs from KeySpec')
    .refine((r) => (r.KeyUsage === 'SIGN_VERIFY') === (r.SigningAlgorithms !== undefined), 'SigningAlgorithms are present exactly for SIGN_VERIFY keys'),
};

/** Each action's "Errors" section. */
const ERRORS: Record<string, string[]> = {
  CreateKey: ['CloudHsmClusterInvalidConfigurationException', 'CustomKeyStoreInvalidStateException', 'CustomKeyStoreNotFoundException', 'DependencyTimeoutException', 'InvalidArnException', 'KMSInternalException', 'LimitExceededException', 'MalformedPolicyDocumentException', 'TagException', 'UnsupportedOperationException', 'XksKeyAlreadyInUseException', 'XksKeyInvalidConfigurationException', 'XksKeyNotFoundException'],
  DescribeKey: ['DependencyTimeoutException', 'InvalidArnException', 'KMSInternalException', 'NotFoundException'],
  ListKeys: ['DependencyTimeoutException', 'InvalidMarkerException', 'KMSInternalException'],
  ListAliases: ['DependencyTimeoutException', 'InvalidArnException', 'InvalidMarkerException', 'KMSInternalException', 'NotFoundException'],
  CreateAlias: ['AlreadyExistsException', 'DependencyTimeoutException', 'InvalidAliasNameException', 'KMSInternalException', 'KMSInvalidStateException', 'LimitExceededException', 'NotFoundException'],
  DeleteAlias: ['DependencyTimeoutException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  EnableKey: ['DependencyTimeoutException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'LimitExceededException', 'NotFoundException'],
  DisableKey: ['DependencyTimeoutException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  ScheduleKeyDeletion: ['DependencyTimeoutException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  CancelKeyDeletion: ['DependencyTimeoutException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  EnableKeyRotation: ['DependencyTimeoutException', 'DisabledException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException', 'UnsupportedOperationException'],
  DisableKeyRotation: ['DependencyTimeoutException', 'DisabledException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException', 'UnsupportedOperationException'],
  GetKeyRotationStatus: ['DependencyTimeoutException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException', 'UnsupportedOperationException'],
  RotateKeyOnDemand: ['ConflictException', 'DependencyTimeoutException', 'DisabledException', 'InvalidArnException', 'KMSInternalException', 'KMSInvalidStateException', 'LimitExceededException', 'NotFoundException', 'UnsupportedOperationException'],
  ListKeyRotations: ['InvalidArnException', 'InvalidMarkerException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException', 'UnsupportedOperationException'],
  Encrypt: ['DependencyTimeoutException', 'DisabledException', 'DryRunOperationException', 'InvalidGrantTokenException', 'InvalidKeyUsageException', 'KeyUnavailableException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  Decrypt: ['DependencyTimeoutException', 'DisabledException', 'DryRunOperationException', 'IncorrectKeyException', 'InvalidCiphertextException', 'InvalidGrantTokenException', 'InvalidKeyUsageException', 'KeyUnavailableException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  GenerateDataKey: ['DependencyTimeoutException', 'DisabledException', 'DryRunOperationException', 'InvalidGrantTokenException', 'InvalidKeyUsageException', 'KeyUnavailableException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  Sign: ['DependencyTimeoutException', 'DisabledException', 'DryRunOperationException', 'InvalidGrantTokenException', 'InvalidKeyUsageException', 'KeyUnavailableException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException'],
  Verify: ['DependencyTimeoutException', 'DisabledException', 'DryRunOperationException', 'InvalidGrantTokenException', 'InvalidKeyUsageException', 'KeyUnavailableException', 'KMSInternalException', 'KMSInvalidSignatureException', 'KMSInvalidStateException', 'NotFoundException'],
  GetPublicKey: ['DependencyTimeoutException', 'DisabledException', 'InvalidArnException', 'InvalidGrantTokenException', 'InvalidKeyUsageException', 'KeyUnavailableException', 'KMSInternalException', 'KMSInvalidStateException', 'NotFoundException', 'UnsupportedOperationException'],
};

/**
 * Common Errors (any action), with the HTTP status the reference gives, in the names the JSON protocol uses for them
 * (ValidationException for ValidationError, UnrecognizedClientException for InvalidClientTokenId, ...).
 */
const COMMON_ERRORS: Record<string, number> = {
  AccessDeniedException: 400,
  IncompleteSignatureException: 400,
  InvalidSignatureException: 400,
  MissingAuthenticationTokenException: 400,
  UnrecognizedClientException: 400,
  ExpiredTokenException: 400,
  RequestExpired: 400,
  ThrottlingException: 400,
  ValidationException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  InternalFailure: 500,
  ServiceUnavailableException: 503,
};
/** Service errors are 400 except these (KMSInternalException is the service's 500). */
const SERVICE_ERROR_STATUS: Record<string, number> = { KMSInternalException: 500 };

const errorBody = z.strictObject({ __type: z.string().min(1), message: z.string().min(1) });

/** Everything wrong with one response (empty when it conforms). `body` is the parsed JSON, undefined when empty. */
export function kmsResponseProblems(operation: string, status: number, body: unknown): string[] {
  if (status !== 200) {
    const e = errorBody.safeParse(body);
    if (!e.success) return zodProblems(e);
    const type = e.data.__type;
    const expected = COMMON_ERRORS[type] ?? (ERRORS[operation]?.includes(type) ? (SERVICE_ERROR_STATUS[type] ?? 400) : null);
    if (expected === null) return [`${type} is not an error ${operation} can return`];
    // A 5xx fault may come as either internal error; the status must still be a server one.
    return expected === status || (expected >= 500 && status >= 500) ? [] : [`${type} comes with HTTP ${expected}, not ${status}`];
  }
  if (!(operation in RESPONSES)) return [`${operation} is not an action the console uses, so it has no response schema here`];
  const schema = RESPONSES[operation];
  if (schema === null) return body === undefined ? [] : [`${operation} answers an empty HTTP body, not ${JSON.stringify(body).slice(0, 40)}`];
  return zodProblems(schema!.safeParse(body));
}
