// Envelope encryption with KMS-backed keys, in the console's format-1 envelope through the multi-provider envelope:
// one data key wrapped under the key's provider and, when the key has one, its backup provider. Decryption succeeds
// while any one of them answers. With every provider unreachable, encryption refuses (provider_unavailable) unless
// the key's provider is configured with offline_mode: then the data key is wrapped under a local fallback key as
// well, and the audit record says degraded. A cached data key is used for encryption only while every provider it
// is wrapped under looks reachable, so no data is written that only a missing provider could read.
import { ConsoleError } from '../../../shared/errors.ts';
import { parseEnvelope, tampered } from '../../crypto/envelope.ts';
import { decryptFromRecipients, type EnvelopeRecipient, encryptForRecipients } from '../../providers/multiEnvelope.ts';
import type { KeyRow } from '../../store/keysRepo.ts';
import { backupOf, consoleVersionOf, fallbackKeyName, type KmsKeyDeps, looksReachable, providerOf } from './keysKmsShared.ts';
import { loadKey, requireProcess, requireProtect, runAuditedAsync } from './keysShared.ts';

export interface KmsKeyCrypto {
  encrypt(keyId: string, plaintext: Buffer, aad: Buffer): Promise<{ ciphertext: Buffer; keyId: string; version: number }>;
  /** Decrypts an envelope whose recipients are provider keys (no 'local' store entry). */
  decrypt(ciphertext: Buffer, aad: Buffer): Promise<{ plaintext: Buffer; keyId: string; version: number }>;
}

export function createKmsKeyCrypto(deps: KmsKeyDeps): KmsKeyCrypto {
  const { repo, registry } = deps;

  /** The key's local fallback recipient, creating its local provider key on first need. */
  const fallbackFor = async (key: KeyRow): Promise<EnvelopeRecipient> => {
    if (key.fallbackKeyRef) return { provider: deps.localKms, keyRef: key.fallbackKeyRef };
    const made = await deps.localKms.createKey({ name: fallbackKeyName(key.id), spec: 'AES_256', usage: 'encrypt', description: `offline fallback of ${key.id}` });
    repo.setFallbackKeyRef(key.id, made.keyRef);
    return { provider: deps.localKms, keyRef: made.keyRef };
  };

  return {
    encrypt(keyId, plaintext, aad) {
      return runAuditedAsync(deps, 'key.encrypt', keyId, async (s) => {
        const key = loadKey(repo, keyId);
        if (key.algorithm !== 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${keyId} is a signing key; encrypt with an AES key.`);
        requireProtect(key);
        const primary = providerOf(deps, key);
        const recipients: EnvelopeRecipient[] = [{ provider: primary.provider, keyRef: primary.keyRef }];
        const backup = backupOf(deps, key);
        if (backup) recipients.push(backup);
        const fallback = primary.config.offlineMode ? await fallbackFor(key) : undefined;
        const reachable = recipients.every((r) => looksReachable(r.provider));
        const cache = registry.cache();
        const result = await encryptForRecipients(
          { storeId: s.storeId, ...(reachable ? { cache } : {}) },
          recipients,
          plaintext,
          aad,
          { requireAll: false, ...(fallback ? { fallback } : {}) },
        );
        const details: Record<string, string | number | boolean | null> = { version: key.currentVersion, bytes: plaintext.length, provider: key.provider };
        if (result.skipped.length > 0) details.skipped = result.skipped.map((f) => `${f.providerId}:${f.providerCode ?? f.kind}`).join(',');
        if (result.degraded) {
          details.degraded = true;
          deps.logger.warn('degraded encryption: data key wrapped under the local fallback key', { keyId, provider: key.provider });
        }
        return { value: { ciphertext: result.ciphertext, keyId, version: key.currentVersion }, details };
      });
    },

    decrypt(ciphertext, aad) {
      return runAuditedAsync(deps, 'key.decrypt', null, async (s, note) => {
        const env = parseEnvelope(ciphertext);
        if (env.storeId !== s.storeId) throw new ConsoleError('ciphertext_foreign', 'This ciphertext was made by another key store.', { storeId: env.storeId });
        let key: KeyRow | null = null;
        for (const e of env.entries) {
          key = repo.findByProviderRef(e.provider, e.keyRef);
          if (key) break;
        }
        // The store id is ours, so entries naming no key of this store mean the header was modified.
        if (!key || key.algorithm !== 'AES_256') throw tampered();
        note({ keyId: key.id });
        requireProcess(key);
        const r = await decryptFromRecipients({ storeId: s.storeId, cache: registry.cache() }, registry.lookup, ciphertext, aad);
        const version = consoleVersionOf(repo.listVersions(key.id), key.provider, r.providerId === key.provider ? r.keyVersion : null, key.currentVersion);
        const details: Record<string, string | number | boolean | null> = { version, bytes: r.plaintext.length, provider: r.providerId };
        if (r.failures.length > 0) details.unreachable = r.failures.map((f) => `${f.providerId}:${f.providerCode ?? f.kind}`).join(',');
        return { value: { plaintext: r.plaintext, keyId: key.id, version }, details };
      });
    },
  };
}
