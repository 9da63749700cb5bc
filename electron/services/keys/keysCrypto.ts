// Using keys, for every key wherever it lives: envelope encryption / decryption with AES keys, signing / verification
// with RSA and EC keys. The key's state is checked first (keyPolicy.ts), before any provider is asked. Signatures go
// to the version's provider through the KmsProvider contract (local keys: the store provider). Envelopes name their
// recipients: a version held in this store is a 'local' recipient (its data key wrapped directly under the version's
// material, synchronously: the local fast path and the format of every existing local ciphertext); a provider-held
// one goes through the multi-provider envelope (the key's provider and backup, the offline fallback when allowed).
// Every call is audited (without plaintext, data or key material); results are Buffers for the caller to encode.
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { UUID_PATTERN } from '../../../shared/ids.ts';
import { encryptEnvelope, openEnvelopeBody, parseEnvelope, type ParsedEnvelope, tampered } from '../../crypto/envelope.ts';
import { SIGNATURE_ALGORITHMS } from '../../crypto/keyMaterial.ts';
import { localRecipient, unwrapLocalDataKey } from '../../crypto/localRecipient.ts';
import { decryptFromRecipients, type EnvelopeRecipient, encryptForRecipients } from '../../providers/multiEnvelope.ts';
import type { KeyRow, KeyVersionRow } from '../../store/keysRepo.ts';
import type { UnlockedSession } from '../session/session.ts';
import { backupOf, consoleVersionOf, fallbackKeyName, holderOfVersion, looksReachable, primaryOf } from './keyLocations.ts';
import { requireState } from './keyPolicy.ts';
import { type AuditedResult, type KeyServiceDeps, loadKey, loadVersion, runAudited, type UsageCounter } from './keysShared.ts';


type Details = Record<string, string | number | boolean | null>;

export interface KeyCrypto {
  encrypt(keyId: string, plaintext: Buffer, aad: Buffer): Promise<{ ciphertext: Buffer; keyId: string; version: number }>;
  decrypt(ciphertext: Buffer, aad: Buffer): Promise<{ plaintext: Buffer; keyId: string; version: number }>;
  sign(keyId: string, data: Buffer): Promise<{ signature: Buffer; keyId: string; version: number; algorithm: string }>;
  verify(keyId: string, data: Buffer, signature: Buffer, version?: number): Promise<boolean>;
}

export function createKeyCrypto(deps: KeyServiceDeps): KeyCrypto {
  const { repo, registry } = deps;

  const aesKey = (key: KeyRow) => {
    if (key.algorithm !== 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${key.id} is a signing key; encrypt with an AES key.`);
  };
  const signingKey = (key: KeyRow) => {
    if (key.algorithm === 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${key.id} is an AES key; sign with an RSA or EC key.`);
  };

  /** Store-held version: the data key wrapped under the version's material (synchronous; cached while unlocked). */
  const encryptLocal = (s: UnlockedSession, key: KeyRow, v: KeyVersionRow, plaintext: Buffer, aad: Buffer): AuditedResult<{ ciphertext: Buffer; keyId: string; version: number }> => {
    const ciphertext = deps.store.withMaterial(key, v, (material) => encryptEnvelope(s.storeId, [localRecipient(key.id, v.version, material)], plaintext, aad));
    return { value: { ciphertext, keyId: key.id, version: v.version }, details: { version: v.version, bytes: plaintext.length } };
  };

  /** The key's offline fallback recipient, creating its local-kms key on first need. */
  const fallbackFor = async (key: KeyRow): Promise<EnvelopeRecipient> => {
    if (key.fallbackKeyRef) return { provider: deps.localKms, keyRef: key.fallbackKeyRef };
    const made = await deps.localKms.createKey({ name: fallbackKeyName(key.id), spec: 'AES_256', usage: 'encrypt', description: `offline fallback of ${key.id}` });
    repo.setFallbackKeyRef(key.id, made.keyRef);
    return { provider: deps.localKms, keyRef: made.keyRef };
  };

  /** Provider-held version: one data key wrapped under the key's provider and backup (fallback when offline_mode allows). */
  const encryptOnProviders = async (s: UnlockedSession, key: KeyRow, plaintext: Buffer, aad: Buffer): Promise<AuditedResult<{ ciphertext: Buffer; keyId: string; version: number }>> => {
    const current = repo.getVersion(key.id, key.currentVersion);
    const primary: EnvelopeRecipient = { ...primaryOf(deps, key), knownVersion: current?.provider === key.provider ? (current.providerVersion ?? undefined) : undefined };
    const recipients: EnvelopeRecipient[] = [primary];
    const backup = backupOf(deps, key);
    if (backup) recipients.push(backup);
    const offline = registry.get(key.provider)?.config.offlineMode === true;
    const fallback = offline ? await fallbackFor(key) : undefined;
    const reachable = recipients.every((r) => looksReachable(r.provider));
    const result = await encryptForRecipients(
      { storeId: s.storeId, ...(reachable ? { cache: registry.cache() } : {}) },
      recipients,
      plaintext,
      aad,
      { requireAll: false, ...(fallback ? { fallback } : {}) },
    );
    const details: Details = { version: key.currentVersion, bytes: plaintext.length, provider: key.provider };
    if (result.skipped.length > 0) details.skipped = result.skipped.map((f) => `${f.providerId}:${f.providerCode ?? f.kind}`).join(',');
    if (result.degraded) {
      details.degraded = true;
      deps.logger.warn('degraded encryption: data key wrapped under the local fallback key', { keyId: key.id, provider: key.provider });
    }
    return { value: { ciphertext: result.ciphertext, keyId: key.id, version: key.currentVersion }, details };
  };

  /** Refuses a version retired by a rollout (or an officer) before (local) or after (provider) its data key is opened. */
  const requireNotRetired = (key: KeyRow, version: number) => {
    const at = deps.retiredAt?.(key.id, version) ?? null;
    if (at === null) return;
    throw new ConsoleError(
      'key_version_retired',
      `Version ${version} of key ${key.id} was retired on ${new Date(at).toISOString()}; it no longer decrypts. A key custodian can reinstate it for a while to re-encrypt the data under the current version.`,
      { keyId: key.id, version, retiredAt: new Date(at).toISOString() },
    );
  };

  /** An entry for a version held in this store: opened with that version's material (synchronous). */
  const decryptLocal = (env: ParsedEnvelope, key: KeyRow, version: number, wrapped: Buffer, aad: Buffer): AuditedResult<{ plaintext: Buffer; keyId: string; version: number }> => {
    const v = repo.getVersion(key.id, version);
    if (!v || v.provider) throw tampered();
    if (v.destroyed) throw new ConsoleError('key_destroyed', `Version ${v.version} of key ${key.id} was destroyed.`);
    requireNotRetired(key, v.version);
    const dataKey = deps.store.withMaterial(key, v, (material) => unwrapLocalDataKey(material, wrapped, env.wrapContext));
    if (!dataKey) throw tampered();
    try {
      const plaintext = openEnvelopeBody(env, dataKey, aad);
      return { value: { plaintext, keyId: key.id, version: v.version }, details: { bytes: plaintext.length } };
    } finally {
      dataKey.fill(0);
    }
  };

  return {
    async encrypt(keyId, plaintext, aad) {
      // The version's usage is claimed before the encryption is made; its reservation commits with the audit record.
      const claimed: Array<ReturnType<UsageCounter['claim']>> = [];
      try {
        const value = await runAudited(deps, 'key.encrypt', keyId, async (s) => {
          const key = loadKey(repo, keyId);
          aesKey(key);
          requireState(key, 'encrypt', deps.restrictions);
          const current = loadVersion(repo, key, key.currentVersion);
          const claim = deps.usage?.claim(key, current.version);
          if (claim) claimed.push(claim);
          const result = current.provider ? await encryptOnProviders(s, key, plaintext, aad) : encryptLocal(s, key, current, plaintext, aad);
          return claim ? { ...result, commit: () => claim.work() } : result;
        });
        for (const c of claimed) c.committed();
        return value;
      } catch (e) {
        for (const c of claimed) c.abandoned();
        throw e;
      }
    },

    decrypt(ciphertext, aad) {
      return runAudited(deps, 'key.decrypt', null, async (s, note) => {
        const env = parseEnvelope(ciphertext);
        if (env.storeId !== s.storeId) throw new ConsoleError('ciphertext_foreign', 'This ciphertext was made by another key store.', { storeId: env.storeId });
        // The store id is ours, so entries naming no key of this store mean the header was modified.
        const local = env.entries.find((e) => e.provider === LOCAL_PROVIDER_ID && UUID_PATTERN.test(e.keyRef) && repo.get(e.keyRef) !== null);
        let key: KeyRow | null = local ? repo.get(local.keyRef) : null;
        for (const e of local ? [] : env.entries) {
          key = repo.findByProviderRef(e.provider, e.keyRef);
          if (key) break;
        }
        if (!key || key.algorithm !== 'AES_256') throw tampered();
        note({ keyId: key.id, ...(local ? { version: local.keyVersion } : {}) });
        requireState(key, 'decrypt', deps.restrictions);
        if (local) return decryptLocal(env, key, local.keyVersion, local.wrapped, aad);
        const r = await decryptFromRecipients({ storeId: s.storeId, cache: registry.cache() }, registry.lookup, ciphertext, aad);
        const version = consoleVersionOf(repo.listVersions(key.id), key.provider, r.providerId === key.provider ? r.keyVersion : null, key.currentVersion);
        try {
          requireNotRetired(key, version);
        } catch (e) {
          r.plaintext.fill(0);
          throw e;
        }
        const details: Details = { version, bytes: r.plaintext.length, provider: r.providerId };
        if (r.failures.length > 0) details.unreachable = r.failures.map((f) => `${f.providerId}:${f.providerCode ?? f.kind}`).join(',');
        return { value: { plaintext: r.plaintext, keyId: key.id, version }, details };
      });
    },

    sign(keyId, data) {
      return runAudited(deps, 'key.sign', keyId, async () => {
        const key = loadKey(repo, keyId);
        signingKey(key);
        requireState(key, 'sign', deps.restrictions);
        const current = loadVersion(repo, key, key.currentVersion);
        const h = holderOfVersion(deps, key, current);
        const { signature, version: pv } = await h.provider.sign(h.keyRef, data, h.providerVersion);
        const version = current.provider ? consoleVersionOf(repo.listVersions(keyId), key.provider, pv, key.currentVersion) : current.version;
        const algorithm = SIGNATURE_ALGORITHMS[key.algorithm as 'RSA_2048' | 'EC_P256'];
        const provider: Details = current.provider ? { provider: key.provider } : {};
        return { value: { signature, keyId, version, algorithm }, details: { version, bytes: data.length, algorithm, ...provider } };
      });
    },

    verify(keyId, data, signature, version) {
      return runAudited(deps, 'key.verify', keyId, async () => {
        const key = loadKey(repo, keyId);
        if (key.algorithm === 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${keyId} is an AES key; it makes no signatures.`);
        requireState(key, 'verify', deps.restrictions);
        const v = loadVersion(repo, key, version ?? key.currentVersion);
        const h = holderOfVersion(deps, key, v);
        const valid = await h.provider.verify(h.keyRef, data, signature, h.providerVersion);
        const provider: Details = v.provider ? { provider: key.provider } : {};
        return { value: valid, details: { version: v.version, valid, ...provider } };
      });
    },
  };
}
