// Key management operations: create, describe, list, aliases, enable / disable, deletion, rotation.
import crypto from 'node:crypto';
import { kmsErr } from './errors.ts';
import { KEY_SPECS, keyMaterialId, paginate, requireNotPendingDeletion, type EmuKey, type KeyStore } from './keyStore.ts';
import { optBool, optEnum, optInt, optString, reqString, type JsonBody } from './validate.ts';

/** The action's output, or undefined for actions whose reference says they answer an empty HTTP body. */
export type Handler = (body: JsonBody) => unknown;
const DAY_MS = 86_400_000;
const secs = (ms: number) => ms / 1000;
const ALIAS_RE = /^alias\/[a-zA-Z0-9/_-]+$/;

const ALL_KEY_SPECS = [...KEY_SPECS, 'RSA_3072', 'RSA_4096', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'HMAC_224',
  'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ECC_NIST_EDWARDS25519'] as const;
const KEY_USAGES = ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;

export function signingAlgorithms(k: EmuKey): string[] {
  if (k.spec === 'ECC_NIST_P256') return ['ECDSA_SHA_256'];
  if (k.spec === 'RSA_2048')
    return ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512'];
  return [];
}

export function keyMetadata(k: EmuKey, accountId: string) {
  return {
    AWSAccountId: accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: secs(k.createdMs),
    Enabled: k.state === 'Enabled',
    Description: k.description,
    KeyUsage: k.usage,
    KeyState: k.state,
    ...(k.deletionMs === null ? {} : { DeletionDate: secs(k.deletionMs), PendingDeletionWindowInDays: k.pendingWindowDays }),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: k.spec,
    KeySpec: k.spec,
    ...(k.usage === 'ENCRYPT_DECRYPT' ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] } : { SigningAlgorithms: signingAlgorithms(k) }),
    MultiRegion: false,
    // "present for symmetric encryption keys with AWS_KMS or EXTERNAL origin" (every key here has AWS_KMS origin)
    ...(k.spec === 'SYMMETRIC_DEFAULT' ? { CurrentKeyMaterialId: keyMaterialId(k, k.backing.length) } : {}),
  };
}

function requireSymmetric(k: EmuKey, op: string): void {
  if (k.spec !== 'SYMMETRIC_DEFAULT') throw kmsErr.unsupported(`${op} is not supported for ${k.spec} keys: only symmetric encryption keys rotate.`);
}

/** Test-only departures from the service, to prove the console notices them. */
export interface KeyHandlerQuirks {
  /** EnableKeyRotation accepts RotationPeriodInDays but keeps the default 365 days (a service that ignores the field). */
  ignoreRotationPeriod: boolean;
}

export function keyHandlers(store: KeyStore, accountId: string, now: () => number, quirks: KeyHandlerQuirks = { ignoreRotationPeriod: false }): Record<string, Handler> {
  const keyArg = (b: JsonBody, allowAlias = false) => store.resolve(reqString(b, 'KeyId', 1, 2048), allowAlias);
  return {
    CreateKey(b) {
      const description = optString(b, 'Description', 0, 8192) ?? '';
      const usage = optEnum(b, 'KeyUsage', KEY_USAGES) ?? 'ENCRYPT_DECRYPT';
      const spec = optEnum(b, 'KeySpec', ALL_KEY_SPECS) ?? optEnum(b, 'CustomerMasterKeySpec', ALL_KEY_SPECS) ?? 'SYMMETRIC_DEFAULT';
      const origin = optEnum(b, 'Origin', ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const) ?? 'AWS_KMS';
      optString(b, 'Policy', 1, 131072);
      if (optBool(b, 'MultiRegion')) throw kmsErr.unsupported('This emulator does not implement multi-Region keys.');
      if (origin !== 'AWS_KMS') throw kmsErr.unsupported(`This emulator implements only Origin AWS_KMS.`);
      if (!(KEY_SPECS as readonly string[]).includes(spec)) throw kmsErr.unsupported(`This emulator does not implement KeySpec ${spec}.`);
      const wantUsage = spec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : spec === 'ECC_NIST_P256' ? 'SIGN_VERIFY' : null;
      if ((wantUsage !== null && usage !== wantUsage) || (spec === 'RSA_2048' && usage !== 'SIGN_VERIFY' && usage !== 'ENCRYPT_DECRYPT'))
        throw kmsErr.validation(`KeyUsage ${usage} is not compatible with KeySpec ${spec}.`);
      if (spec === 'RSA_2048' && usage === 'ENCRYPT_DECRYPT') throw kmsErr.unsupported('This emulator does not implement RSA encryption keys.');
      const k = store.create(spec as EmuKey['spec'], usage as EmuKey['usage'], description);
      return { KeyMetadata: keyMetadata(k, accountId) };
    },
    DescribeKey(b) {
      return { KeyMetadata: keyMetadata(keyArg(b, true), accountId) };
    },
    ListKeys(b) {
      const limit = optInt(b, 'Limit', 1, 1000) ?? 100;
      const { page, truncated, nextMarker } = paginate(store.keys.values(), 'k', optString(b, 'Marker', 1, 1024), limit);
      return { Keys: page.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: truncated, ...(nextMarker ? { NextMarker: nextMarker } : {}) };
    },
    ListAliases(b) {
      const limit = optInt(b, 'Limit', 1, 1000) ?? 100;
      const keyRef = optString(b, 'KeyId', 1, 2048);
      const key = keyRef === undefined ? null : store.resolve(keyRef, false);
      const all = [...store.aliases.values()].filter((a) => key === null || a.keyId === key.keyId);
      const { page, truncated, nextMarker } = paginate(all, 'a', optString(b, 'Marker', 1, 1024), limit);
      return {
        Aliases: page.map((a) => ({
          AliasName: a.name,
          AliasArn: store.arnPrefix + a.name,
          TargetKeyId: a.keyId,
          CreationDate: secs(a.createdMs),
          LastUpdatedDate: secs(a.updatedMs),
        })),
        Truncated: truncated,
        ...(nextMarker ? { NextMarker: nextMarker } : {}),
      };
    },
    CreateAlias(b) {
      const name = reqString(b, 'AliasName', 1, 256);
      if (!ALIAS_RE.test(name)) throw kmsErr.validation(`1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`);
      if (name.startsWith('alias/aws/')) throw kmsErr.invalidAliasName('Alias names that begin with alias/aws/ are reserved for AWS managed keys.');
      const target = store.resolve(reqString(b, 'TargetKeyId', 1, 2048), false);
      requireNotPendingDeletion(target);
      if (store.aliases.has(name)) throw kmsErr.alreadyExists(`An alias with the name ${store.arnPrefix}${name} already exists`);
      store.aliases.set(name, { seq: store.nextSeq(), name, keyId: target.keyId, createdMs: now(), updatedMs: now() });
      return undefined; // "an HTTP 200 response with an empty HTTP body"
    },
    DeleteAlias(b) {
      const name = reqString(b, 'AliasName', 1, 256);
      if (!ALIAS_RE.test(name)) throw kmsErr.validation(`Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`);
      if (!store.aliases.delete(name)) throw kmsErr.notFound(`Alias ${store.arnPrefix}${name} is not found.`);
      return undefined; // "an HTTP 200 response with an empty HTTP body"
    },
    EnableKey(b) {
      const k = keyArg(b);
      requireNotPendingDeletion(k);
      k.state = 'Enabled';
      return undefined; // "an HTTP 200 response with an empty HTTP body"
    },
    DisableKey(b) {
      const k = keyArg(b);
      requireNotPendingDeletion(k);
      k.state = 'Disabled';
      return undefined; // "an HTTP 200 response with an empty HTTP body"
    },
    ScheduleKeyDeletion(b) {
      const k = keyArg(b);
      const days = optInt(b, 'PendingWindowInDays', 7, 30) ?? 30;
      requireNotPendingDeletion(k);
      k.state = 'PendingDeletion';
      k.pendingWindowDays = days;
      k.deletionMs = now() + days * DAY_MS;
      return { KeyId: k.arn, DeletionDate: secs(k.deletionMs), KeyState: k.state, PendingWindowInDays: days };
    },
    CancelKeyDeletion(b) {
      const k = keyArg(b);
      if (k.state !== 'PendingDeletion') throw kmsErr.invalidState(`${k.arn} is not pending deletion.`);
      // As in the service: a key whose deletion is cancelled comes back Disabled.
      k.state = 'Disabled';
      k.deletionMs = null;
      k.pendingWindowDays = null;
      return { KeyId: k.arn };
    },
    EnableKeyRotation(b) {
      const k = keyArg(b);
      const period = optInt(b, 'RotationPeriodInDays', 90, 2560) ?? 365;
      if (k.state === 'Disabled') throw kmsErr.disabled(`${k.arn} is disabled.`);
      requireNotPendingDeletion(k);
      requireSymmetric(k, 'EnableKeyRotation');
      const kept = quirks.ignoreRotationPeriod ? 365 : period;
      k.rotation = { enabled: true, periodDays: kept, nextMs: now() + kept * DAY_MS };
      return undefined; // "an HTTP 200 response with an empty HTTP body"
    },
    DisableKeyRotation(b) {
      const k = keyArg(b);
      if (k.state === 'Disabled') throw kmsErr.disabled(`${k.arn} is disabled.`);
      requireNotPendingDeletion(k);
      requireSymmetric(k, 'DisableKeyRotation');
      k.rotation = { ...k.rotation, enabled: false, nextMs: null };
      return undefined; // "an HTTP 200 response with an empty HTTP body"
    },
    GetKeyRotationStatus(b) {
      const k = keyArg(b);
      requireNotPendingDeletion(k);
      requireSymmetric(k, 'GetKeyRotationStatus');
      return {
        KeyId: k.arn,
        KeyRotationEnabled: k.rotation.enabled,
        ...(k.rotation.enabled ? { RotationPeriodInDays: k.rotation.periodDays, NextRotationDate: secs(k.rotation.nextMs!) } : {}),
      };
    },
    RotateKeyOnDemand(b) {
      const k = keyArg(b);
      if (k.state === 'Disabled') throw kmsErr.disabled(`${k.arn} is disabled.`);
      requireNotPendingDeletion(k);
      requireSymmetric(k, 'RotateKeyOnDemand');
      if (k.rotations.filter((r) => r.type === 'ON_DEMAND').length >= 10)
        throw kmsErr.limitExceeded('On-demand rotation is limited to 10 times per key.');
      k.backing.push(crypto.randomBytes(32));
      k.rotations.push({ dateMs: now(), type: 'ON_DEMAND' });
      return { KeyId: k.keyId };
    },
    ListKeyRotations(b) {
      const k = keyArg(b);
      const limit = optInt(b, 'Limit', 1, 1000) ?? 100;
      requireSymmetric(k, 'ListKeyRotations');
      const rows = k.rotations.map((r, i) => ({ ...r, seq: i + 1 }));
      const { page, truncated, nextMarker } = paginate(rows, 'r', optString(b, 'Marker', 1, 1024), limit);
      return {
        // Rotation n made backing version n + 1; the newest material is CURRENT, the others NON_CURRENT.
        Rotations: page.map((r) => ({
          KeyId: k.keyId,
          KeyMaterialId: keyMaterialId(k, r.seq + 1),
          KeyMaterialState: r.seq + 1 === k.backing.length ? 'CURRENT' : 'NON_CURRENT',
          RotationDate: secs(r.dateMs),
          RotationType: r.type,
        })),
        Truncated: truncated,
        ...(nextMarker ? { NextMarker: nextMarker } : {}),
      };
    },
  };
}
