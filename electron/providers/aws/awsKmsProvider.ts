// KmsProvider over AWS KMS (@aws-sdk/client-kms). Keys are named by aliases "alias/<prefix><name>"; keyRef is the key ARN.
// AWS does not number key versions: the current version is 1 + the completed rotations (ListKeyRotations).
import crypto from 'node:crypto';
import type { AliasListEntry, KeyMetadata } from '@aws-sdk/client-kms';
import {
  ProviderError, type CreateKeyInput, type KmsProvider, type Page, type ProviderCapabilities, type ProviderKeyInfo, type ProviderKeySpec, type ProviderRotationControl,
  type ProviderVersionInfo,
} from '../types.ts';
import { createKmsClient, type AwsKmsProviderOptions } from './client.ts';
import { AWS_KEY_SPEC, SIGNING_ALGORITHM, consoleSpec, derToPem, encryptionContext, keyInfo } from './mapping.ts';

export type { AwsKmsProviderOptions } from './client.ts';

const CAPABILITIES: ProviderCapabilities = Object.freeze({
  specs: Object.freeze({ encrypt: Object.freeze(['AES_256'] as ProviderKeySpec[]), sign: Object.freeze(['RSA_2048', 'EC_P256'] as ProviderKeySpec[]) }),
  associatedData: true,
  maxPlaintextBytes: 4096,
  rotation: true,
  rotateSigningKeys: false,
  automaticRotation: true,
  scheduledDestruction: true,
  kmsBacked: true,
});

const DAY_S = 86_400;
/** AWS KMS EnableKeyRotation: RotationPeriodInDays is a whole number of days from 90 to 2560 (API reference). */
const ROTATION_LIMITS = Object.freeze({
  minSeconds: 90 * DAY_S,
  maxSeconds: 2560 * DAY_S,
  stepSeconds: DAY_S,
  text: 'AWS KMS rotates a key by itself every RotationPeriodInDays: a whole number of days from 90 to 2560 (7,776,000 to 221,184,000 seconds).',
});

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const PREFIX_RE = /^[A-Za-z0-9/_-]{0,128}$/;
const RAW_MESSAGE_MAX = 4096;
const DESCRIBE_CONCURRENCY = 8;
const SPEC_CACHE_MAX = 10_000;

const isAliasRef = (keyRef: string) => keyRef.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(keyRef);

export function createAwsKmsProvider(options: AwsKmsProviderOptions): KmsProvider {
  const id = options.id;
  const aliasPrefix = options.aliasPrefix ?? 'ecps/';
  if (!PREFIX_RE.test(aliasPrefix) || aliasPrefix.startsWith('aws/'))
    throw new ProviderError('InvalidInput', 'aliasPrefix may hold only A-Z a-z 0-9 / _ - (at most 128) and must not start with "aws/".', { providerId: id });
  const aliasBase = `alias/${aliasPrefix}`;
  const { call, destroy } = createKmsClient(options);
  const invalid = (message: string, providerCode: string | null = null) => new ProviderError('InvalidInput', message, { providerId: id, providerCode });
  // A key's spec never changes: remembered per instance so sign / verify need no DescribeKey round trip.
  const specs = new Map<string, ProviderKeySpec>();
  const remember = (ref: string, spec: ProviderKeySpec) => {
    if (specs.size >= SPEC_CACHE_MAX) specs.delete(specs.keys().next().value!);
    specs.set(ref, spec);
  };

  const describeRaw = async (keyRef: string): Promise<KeyMetadata> => {
    const out = await call('DescribeKey', (kms, o, sdk) => kms.send(new sdk.DescribeKeyCommand({ KeyId: keyRef }), o));
    const meta = out.KeyMetadata!;
    // Aliases can be re-pointed, so only key ids and ARNs are remembered.
    if (!isAliasRef(keyRef)) remember(keyRef, consoleSpec(meta, id));
    if (meta.Arn) remember(meta.Arn, consoleSpec(meta, id));
    return meta;
  };

  const specOf = async (keyRef: string) => specs.get(keyRef) ?? consoleSpec(await describeRaw(keyRef), id);

  /** Management operations take a key id or ARN only; resolve alias names first. */
  const keyIdOf = async (keyRef: string) => (isAliasRef(keyRef) ? (await describeRaw(keyRef)).Arn! : keyRef);

  async function countRotations(arn: string): Promise<number> {
    let count = 0;
    let marker: string | undefined;
    do {
      const out = await call('ListKeyRotations', (kms, o, sdk) => kms.send(new sdk.ListKeyRotationsCommand({ KeyId: arn, Limit: 1000, Marker: marker }), o));
      count += out.Rotations?.length ?? 0;
      marker = out.Truncated ? out.NextMarker : undefined;
    } while (marker);
    return count;
  }

  async function completeInfo(meta: KeyMetadata, aliasName: string | null | undefined): Promise<ProviderKeyInfo> {
    const arn = meta.Arn!;
    const symmetric = meta.KeySpec === 'SYMMETRIC_DEFAULT';
    const pendingDeletion = meta.KeyState === 'PendingDeletion';
    const [name, rotations, period] = await Promise.all([
      aliasName !== undefined ? aliasName : consoleAliasOf(arn),
      symmetric ? countRotations(arn).catch(unknownWhilePendingDeletion(pendingDeletion)) : 0,
      symmetric && !pendingDeletion
        ? call('GetKeyRotationStatus', (kms, o, sdk) => kms.send(new sdk.GetKeyRotationStatusCommand({ KeyId: arn }), o)).then((s) =>
            s.KeyRotationEnabled ? (s.RotationPeriodInDays ?? 365) : null,
          )
        : null,
    ]);
    return keyInfo(meta, id, { name, currentVersion: rotations + 1, rotationPeriodDays: period });
  }

  /** While a key awaits deletion the service may refuse rotation queries; its version history no longer matters then. */
  const unknownWhilePendingDeletion = (pending: boolean) => (e: unknown) => {
    if (pending && e instanceof ProviderError && e.providerCode === 'KMSInvalidStateException') return 0;
    throw e;
  };

  async function consoleAliasOf(arn: string): Promise<string | null> {
    let marker: string | undefined;
    do {
      const out = await call('ListAliases', (kms, o, sdk) => kms.send(new sdk.ListAliasesCommand({ KeyId: arn, Limit: 100, Marker: marker }), o));
      const hit = out.Aliases?.find((a) => a.AliasName?.startsWith(aliasBase));
      if (hit) return hit.AliasName!.slice(aliasBase.length);
      marker = out.Truncated ? out.NextMarker : undefined;
    } while (marker);
    return null;
  }

  async function bestEffortCleanup(arn: string, alias: string | null): Promise<void> {
    if (alias !== null) await call('DeleteAlias', (kms, o, sdk) => kms.send(new sdk.DeleteAliasCommand({ AliasName: alias }), o)).catch(() => undefined);
    await call('ScheduleKeyDeletion', (kms, o, sdk) => kms.send(new sdk.ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }), o)).catch(() => undefined);
  }

  const notOneVersion = (keyRef: string, version: number | undefined) => {
    if (version !== undefined && version !== 1)
      throw new ProviderError('NotFound', `AWS KMS signing key ${keyRef} has a single version (1); version ${version} does not exist.`, { providerId: id });
  };

  const signingAlgorithm = (spec: ProviderKeySpec, keyRef: string) => {
    if (spec === 'AES_256') throw invalid(`AWS KMS key ${keyRef} is an encryption key and cannot sign or verify.`, 'InvalidKeyUsageException');
    return SIGNING_ALGORITHM[spec];
  };

  /** Messages up to 4 KiB go to the service as they are; longer ones as their SHA-256 digest (same signature). */
  const messageFields = (message: Buffer) =>
    message.length > 0 && message.length <= RAW_MESSAGE_MAX
      ? { Message: message, MessageType: 'RAW' as const }
      : { Message: crypto.createHash('sha256').update(message).digest(), MessageType: 'DIGEST' as const };

  /** Rotation queries and changes need the key id or ARN; an alias is resolved first. */
  const providerRotation: ProviderRotationControl = {
    limits: ROTATION_LIMITS,
    supportsSpec: (spec) => spec === 'AES_256',
    async setSchedule(keyRef, periodSeconds) {
      if (!Number.isInteger(periodSeconds) || periodSeconds % DAY_S !== 0 || periodSeconds < ROTATION_LIMITS.minSeconds || periodSeconds > ROTATION_LIMITS.maxSeconds!)
        throw invalid(ROTATION_LIMITS.text, 'ValidationException');
      const arn = await keyIdOf(keyRef);
      await call('EnableKeyRotation', (kms, o, sdk) => kms.send(new sdk.EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: periodSeconds / DAY_S }), o));
    },
    async getSchedule(keyRef) {
      const arn = await keyIdOf(keyRef);
      const s = await call('GetKeyRotationStatus', (kms, o, sdk) => kms.send(new sdk.GetKeyRotationStatusCommand({ KeyId: arn }), o));
      if (!s.KeyRotationEnabled) return { enabled: false, periodSeconds: null, nextRotationAt: null };
      // The reference: RotationPeriodInDays defaults to 365 when EnableKeyRotation did not name one.
      return { enabled: true, periodSeconds: (s.RotationPeriodInDays ?? 365) * DAY_S, nextRotationAt: s.NextRotationDate ? s.NextRotationDate.toISOString() : null };
    },
    async disableSchedule(keyRef) {
      const arn = await keyIdOf(keyRef);
      await call('DisableKeyRotation', (kms, o, sdk) => kms.send(new sdk.DisableKeyRotationCommand({ KeyId: arn }), o));
    },
    async listVersions(keyRef) {
      const meta = await describeRaw(keyRef);
      const arn = meta.Arn!;
      // Version 1 is the material the key was made with (ListKeyRotations lists only later ones); rotation n made n + 1.
      const out: ProviderVersionInfo[] = [{ version: 1, versionId: 'initial', createdAt: meta.CreationDate ? meta.CreationDate.toISOString() : null, origin: null }];
      if (meta.KeySpec !== 'SYMMETRIC_DEFAULT') return out;
      let marker: string | undefined;
      do {
        const page = await call('ListKeyRotations', (kms, o, sdk) => kms.send(new sdk.ListKeyRotationsCommand({ KeyId: arn, Limit: 1000, Marker: marker }), o));
        for (const r of page.Rotations ?? []) {
          out.push({
            version: out.length + 1,
            versionId: r.KeyMaterialId ?? `rotation-${out.length}`,
            createdAt: r.RotationDate ? r.RotationDate.toISOString() : null,
            origin: r.RotationType === 'AUTOMATIC' ? 'automatic' : r.RotationType === 'ON_DEMAND' ? 'on_demand' : null,
          });
        }
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker);
      return out;
    },
  };

  const provider: KmsProvider = {
    id,
    kind: 'aws_kms',
    capabilities: CAPABILITIES,
    providerRotation,

    async createKey(input: CreateKeyInput) {
      if (!NAME_RE.test(input.name)) throw invalid('Key name must be 1..64 characters of A-Z a-z 0-9 _ -.');
      const allowed = input.usage === 'encrypt' ? CAPABILITIES.specs.encrypt : input.usage === 'sign' ? CAPABILITIES.specs.sign : [];
      if (!allowed.includes(input.spec)) throw invalid(`AWS KMS keys for "${input.usage}" cannot have spec ${input.spec}.`, 'ValidationException');
      const period = input.rotationPeriodDays ?? null;
      if (period !== null) {
        if (input.usage === 'sign') throw invalid('AWS KMS cannot rotate asymmetric (signing) keys.', 'UnsupportedOperationException');
        if (!Number.isInteger(period) || period < 90 || period > 2560) throw invalid('AWS KMS rotation periods are whole days from 90 to 2560.', 'ValidationException');
      }
      if (input.description !== undefined && input.description.length > 8192) throw invalid('Description is limited to 8192 characters.', 'ValidationException');
      const created = await call('CreateKey', (kms, o, sdk) => kms.send(new sdk.CreateKeyCommand({
          KeySpec: AWS_KEY_SPEC[input.spec],
          KeyUsage: input.usage === 'encrypt' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY',
          Description: input.description ?? `ECPS console key ${input.name}`,
        }), o),
      );
      const meta = created.KeyMetadata!;
      const alias = aliasBase + input.name;
      try {
        await call('CreateAlias', (kms, o, sdk) => kms.send(new sdk.CreateAliasCommand({ AliasName: alias, TargetKeyId: meta.Arn }), o));
      } catch (e) {
        await bestEffortCleanup(meta.Arn!, null);
        if (e instanceof ProviderError && e.providerCode === 'AlreadyExistsException')
          throw new ProviderError('InvalidInput', `A key named "${input.name}" already exists (${alias}).`, { providerId: id, providerCode: e.providerCode, requestId: e.requestId, cause: e });
        throw e;
      }
      if (period !== null) {
        try {
          await call('EnableKeyRotation', (kms, o, sdk) => kms.send(new sdk.EnableKeyRotationCommand({ KeyId: meta.Arn, RotationPeriodInDays: period }), o));
        } catch (e) {
          await bestEffortCleanup(meta.Arn!, alias);
          throw e;
        }
      }
      remember(meta.Arn!, input.spec);
      return keyInfo(meta, id, { name: input.name, currentVersion: 1, rotationPeriodDays: period });
    },

    async describeKey(keyRef) {
      return completeInfo(await describeRaw(keyRef), undefined);
    },

    async listKeys(opts) {
      const pageSize = opts?.pageSize ?? 100;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw invalid('pageSize must be a whole number from 1 to 1000.');
      // Walk the aliases, keeping the console's; stop exactly after pageSize of them so the marker resumes there.
      const found: AliasListEntry[] = [];
      let marker = opts?.pageToken ?? undefined;
      let more = true;
      while (more && found.length < pageSize) {
        const out = await call('ListAliases', (kms, o, sdk) => kms.send(new sdk.ListAliasesCommand({ Limit: pageSize - found.length, Marker: marker }), o));
        for (const a of out.Aliases ?? []) if (a.AliasName?.startsWith(aliasBase) && a.TargetKeyId) found.push(a);
        more = out.Truncated === true && out.NextMarker !== undefined;
        marker = more ? out.NextMarker : undefined;
      }
      const items: ProviderKeyInfo[] = [];
      for (let i = 0; i < found.length; i += DESCRIBE_CONCURRENCY) {
        const batch = await Promise.all(
          found.slice(i, i + DESCRIBE_CONCURRENCY).map(async (a) => {
            try {
              return await completeInfo(await describeRaw(a.TargetKeyId!), a.AliasName!.slice(aliasBase.length));
            } catch (e) {
              if (e instanceof ProviderError && e.kind === 'NotFound') return null; // deleted between the two calls
              throw e;
            }
          }),
        );
        for (const info of batch) if (info) items.push(info);
      }
      return { items, nextPageToken: more ? marker! : null } satisfies Page<ProviderKeyInfo>;
    },

    async encrypt(keyRef, plaintext, aad) {
      const out = await call('Encrypt', (kms, o, sdk) => kms.send(new sdk.EncryptCommand({ KeyId: keyRef, Plaintext: plaintext, EncryptionContext: encryptionContext(aad) }), o));
      return { ciphertext: Buffer.from(out.CiphertextBlob!), version: null };
    },

    async decrypt(keyRef, ciphertext, aad) {
      const out = await call('Decrypt', (kms, o, sdk) => kms.send(new sdk.DecryptCommand({ KeyId: keyRef, CiphertextBlob: ciphertext, EncryptionContext: encryptionContext(aad) }), o));
      const p = out.Plaintext!;
      // KeyMaterialId names the material that wrapped the blob (AWS never numbers versions: the console maps it to its label).
      return { plaintext: Buffer.from(p.buffer, p.byteOffset, p.byteLength), version: null, materialId: out.KeyMaterialId ?? null };
    },

    async generateDataKey(keyRef, aad) {
      const out = await call('GenerateDataKey', (kms, o, sdk) => kms.send(new sdk.GenerateDataKeyCommand({ KeyId: keyRef, KeySpec: 'AES_256', EncryptionContext: encryptionContext(aad) }), o));
      const p = out.Plaintext!;
      return { plaintext: Buffer.from(p.buffer, p.byteOffset, p.byteLength), wrapped: Buffer.from(out.CiphertextBlob!), version: null, materialId: out.KeyMaterialId ?? null };
    },

    async sign(keyRef, message, version) {
      notOneVersion(keyRef, version);
      const algorithm = signingAlgorithm(await specOf(keyRef), keyRef);
      const out = await call('Sign', (kms, o, sdk) => kms.send(new sdk.SignCommand({ KeyId: keyRef, SigningAlgorithm: algorithm, ...messageFields(message) }), o));
      return { signature: Buffer.from(out.Signature!), version: 1 };
    },

    async verify(keyRef, message, signature, version) {
      notOneVersion(keyRef, version);
      const algorithm = signingAlgorithm(await specOf(keyRef), keyRef);
      if (signature.length === 0 || signature.length > 6144) return false; // never a valid signature; the service refuses the size
      try {
        const out = await call('Verify', (kms, o, sdk) => kms.send(new sdk.VerifyCommand({ KeyId: keyRef, SigningAlgorithm: algorithm, Signature: signature, ...messageFields(message) }), o));
        // Only the service's explicit yes counts: an answer without SignatureValid true is not a valid signature.
        return out.SignatureValid === true;
      } catch (e) {
        if (e instanceof ProviderError && e.providerCode === 'KMSInvalidSignatureException') return false;
        throw e;
      }
    },

    async getPublicKey(keyRef, version) {
      notOneVersion(keyRef, version);
      const out = await call('GetPublicKey', (kms, o, sdk) => kms.send(new sdk.GetPublicKeyCommand({ KeyId: keyRef }), o));
      return { pem: derToPem(out.PublicKey!), version: 1 };
    },

    async rotate(keyRef, options) {
      const arn = await keyIdOf(keyRef);
      if ((await specOf(arn)) !== 'AES_256')
        throw invalid(`AWS KMS cannot rotate asymmetric key ${keyRef}; create a new key instead.`, 'UnsupportedOperationException');
      // RotateKeyOnDemand answers with the key id only. The version it makes is 1 + the completed rotations: the
      // console's known version when it has one (no provider schedule can have added any: one call), else listed.
      const known = options?.knownVersion;
      const before = known !== undefined && Number.isInteger(known) && known >= 1 ? known : (await countRotations(arn)) + 1;
      await call('RotateKeyOnDemand', (kms, o, sdk) => kms.send(new sdk.RotateKeyOnDemandCommand({ KeyId: arn }), o));
      // The new rotation may not be listed yet (the service completes it asynchronously): count it ourselves.
      return { version: before + 1 };
    },

    async enable(keyRef) {
      const keyId = await keyIdOf(keyRef);
      await call('EnableKey', (kms, o, sdk) => kms.send(new sdk.EnableKeyCommand({ KeyId: keyId }), o));
    },

    async disable(keyRef) {
      const keyId = await keyIdOf(keyRef);
      await call('DisableKey', (kms, o, sdk) => kms.send(new sdk.DisableKeyCommand({ KeyId: keyId }), o));
    },

    async scheduleDestruction(keyRef, waitingDays) {
      if (!Number.isInteger(waitingDays) || waitingDays < 7 || waitingDays > 30)
        throw invalid('AWS KMS deletes keys after a waiting period of 7 to 30 days.', 'ValidationException');
      const keyId = await keyIdOf(keyRef);
      const out = await call('ScheduleKeyDeletion', (kms, o, sdk) =>
        kms.send(new sdk.ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: waitingDays }), o),
      );
      return { deletionDate: out.DeletionDate!.toISOString() };
    },

    async cancelDestruction(keyRef) {
      // As in the service, the key comes back disabled; enable() makes it usable again.
      const keyId = await keyIdOf(keyRef);
      await call('CancelKeyDeletion', (kms, o, sdk) => kms.send(new sdk.CancelKeyDeletionCommand({ KeyId: keyId }), o));
    },

    async health() {
      const start = performance.now();
      try {
        await call('ListAliases', (kms, o, sdk) => kms.send(new sdk.ListAliasesCommand({ Limit: 1 }), o));
        return { ok: true, latencyMs: performance.now() - start, detail: null };
      } catch (e) {
        const pe = e as ProviderError;
        return { ok: false, latencyMs: performance.now() - start, detail: `${pe.kind}${pe.providerCode ? ` (${pe.providerCode})` : ''}`, errorKind: pe.kind };
      }
    },

    async close() {
      destroy();
    },
  };
  return provider;
}
