// Multi-provider envelopes: one data key wrapped under several providers at once (e.g. AWS primary + Vault backup),
// written in the console's format-1 envelope (one recipient entry per provider). Decryption succeeds while any one
// recipient's provider is reachable. The wrap AAD of a provider entry names the store, the provider instance and the
// key, not the message, so one data key can serve many messages when the data-key cache is on; the whole header,
// wrapped copies included, stays authenticated as the body's GCM AAD.
import crypto from 'node:crypto';
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import { KEY_BYTES } from '../crypto/aead.ts';
import { type EnvelopeEntry, openEnvelopeBody, parseEnvelope, tampered } from '../crypto/envelope.ts';
import type { DataKeyCache } from './cache/dataKeyCache.ts';
import { bodyAuthentic, writeEnvelope } from './envelopeWriter.ts';
import { failureSummary, type RecipientFailure, summarizeFailure } from './multiEnvelopeErrors.ts';
import type { CreateKeyInput, KmsProvider, ProviderKeyInfo } from './types.ts';
import { isProviderError } from './types.ts';

export interface EnvelopeRecipient {
  provider: KmsProvider;
  keyRef: string;
  /**
   * The provider's version the caller knows to be current, written into the entry when the provider's answer names none
   * (AWS KMS never says which backing key wrapped a ciphertext), so a decryption can tell which version protected it.
   */
  knownVersion?: number | undefined;
  /**
   * Ask this recipient (the first one only) for the data key (its generateDataKey) instead of wrapping a local random
   * one: the provider's answer then names the material that wrapped it (AWS KeyMaterialId), returned as materialId.
   */
  generate?: boolean;
}

export interface MultiEnvelopeDeps {
  /** The store id written into (and required from) every envelope. */
  storeId: string;
  cache?: DataKeyCache;
  randomBytes?: (n: number) => Buffer;
}

export interface EncryptOptions {
  /** Default true: every recipient must wrap the data key, or nothing is written. */
  requireAll?: boolean;
  /**
   * Used only when a recipient is unreachable (Unavailable / Throttled): the data key is wrapped under the fallback
   * instead (plus every recipient that worked). The result says degraded: true so the caller can tell the user and audit.
   */
  fallback?: EnvelopeRecipient;
}

export interface MultiEncryptResult {
  ciphertext: Buffer;
  recipients: Array<{ providerId: string; keyRef: string; keyVersion: number }>;
  skipped: RecipientFailure[];
  degraded: boolean;
  dataKeyFromCache: boolean;
  /** The material the first recipient wrapped the data key under, when it generated the key and named it (else null). */
  materialId: string | null;
}

export interface MultiDecryptResult {
  plaintext: Buffer;
  providerId: string;
  keyRef: string;
  keyVersion: number;
  dataKeyFromCache: boolean;
  /** The provider's id of the material that had wrapped the data key, where it said (AWS KeyMaterialId), else null. */
  materialId: string | null;
  /** Recipients tried before the one that worked. */
  failures: RecipientFailure[];
}

/** AAD of a provider-wrapped data key: store, provider instance and key (message-independent, see header comment). */
export function providerWrapContext(storeId: string, providerId: string, keyRef: string): Buffer {
  return Buffer.from(`ecps/envelope/v1/provider-dek|${storeId}|${providerId}|${keyRef}`, 'utf8');
}

function checkRecipients(list: readonly EnvelopeRecipient[]): void {
  if (list.length < 1 || list.length > 8) throw new ConsoleError('invalid_input', 'An envelope needs 1 to 8 recipients.', { field: 'recipients' });
  // Key refs seen per provider id: a pair compared as a pair, so no id or key ref (a NUL in it included) makes two
  // different recipients look alike, or one recipient look different.
  const seen = new Map<string, Set<string>>();
  for (const r of list) {
    const refs = seen.get(r.provider.id) ?? new Set<string>();
    if (refs.has(r.keyRef)) throw new ConsoleError('invalid_input', `Recipient ${r.provider.id}/${r.keyRef} is listed twice.`, { field: 'recipients' });
    refs.add(r.keyRef);
    seen.set(r.provider.id, refs);
    if (!r.provider.capabilities.specs.encrypt.includes('AES_256')) {
      throw new ConsoleError('unsupported_operation', `Provider ${r.provider.id} cannot wrap data keys.`, { field: 'recipients' });
    }
  }
}

const setId = (list: readonly EnvelopeRecipient[]) => JSON.stringify(list.map((r) => [r.provider.id, r.keyRef]));

const retryLater = (e: unknown) => isProviderError(e) && (e.kind === 'Unavailable' || e.kind === 'Throttled');

async function wrapAll(storeId: string, list: readonly EnvelopeRecipient[], dataKey: Buffer) {
  const settled = await Promise.allSettled(
    list.map((r) => r.provider.encrypt(r.keyRef, dataKey, providerWrapContext(storeId, r.provider.id, r.keyRef))),
  );
  const entries: EnvelopeEntry[] = [];
  const failures: Array<RecipientFailure & { error: unknown }> = [];
  settled.forEach((s, i) => {
    const r = list[i]!;
    if (s.status === 'fulfilled') entries.push({ provider: r.provider.id, keyRef: r.keyRef, keyVersion: s.value.version ?? r.knownVersion ?? 0, wrapped: s.value.ciphertext });
    else failures.push({ ...summarizeFailure(r.provider.id, r.keyRef, s.reason), error: s.reason });
  });
  return { entries, failures };
}

/** The first recipient makes the data key (see EnvelopeRecipient.generate); when it cannot, dataKey is null and the failure kept. */
async function generateFirst(storeId: string, r: EnvelopeRecipient) {
  try {
    const g = await r.provider.generateDataKey(r.keyRef, providerWrapContext(storeId, r.provider.id, r.keyRef));
    if (g.plaintext.length !== KEY_BYTES) {
      g.plaintext.fill(0);
      throw new ConsoleError('integrity_failure', `Provider ${r.provider.id} returned a data key of ${g.plaintext.length} bytes, not ${KEY_BYTES}.`);
    }
    const entry: EnvelopeEntry = { provider: r.provider.id, keyRef: r.keyRef, keyVersion: g.version ?? r.knownVersion ?? 0, wrapped: g.wrapped };
    return { dataKey: g.plaintext as Buffer | null, materialId: g.materialId ?? null, entries: [entry], failures: [] as Array<RecipientFailure & { error: unknown }> };
  } catch (e) {
    return { dataKey: null, materialId: null, entries: [] as EnvelopeEntry[], failures: [{ ...summarizeFailure(r.provider.id, r.keyRef, e), error: e }] };
  }
}

/** Encrypts `plaintext` with one data key wrapped under every recipient (see EncryptOptions for partial failure). */
export async function encryptForRecipients(
  deps: MultiEnvelopeDeps,
  recipients: readonly EnvelopeRecipient[],
  plaintext: Buffer,
  aad: Buffer,
  options: EncryptOptions = {},
): Promise<MultiEncryptResult> {
  checkRecipients(recipients);
  const requireAll = options.requireAll ?? true;
  const set = setId(recipients);
  const cached = deps.cache?.takeEncryptionKey(set) ?? null;
  if (cached) {
    try {
      const ciphertext = writeEnvelope(deps.storeId, cached.dataKey, cached.entries, plaintext, aad);
      const used = cached.entries.map((e) => ({ providerId: e.provider, keyRef: e.keyRef, keyVersion: e.keyVersion }));
      return { ciphertext, recipients: used, skipped: [], degraded: false, dataKeyFromCache: true, materialId: null };
    } finally {
      cached.dataKey.fill(0);
    }
  }

  const generated = recipients[0]!.generate ? await generateFirst(deps.storeId, recipients[0]!) : null;
  const dataKey = generated?.dataKey ?? (deps.randomBytes ?? crypto.randomBytes)(KEY_BYTES);
  try {
    const rest = await wrapAll(deps.storeId, generated ? recipients.slice(1) : recipients, dataKey);
    let entries = [...(generated?.entries ?? []), ...rest.entries];
    let failures = [...(generated?.failures ?? []), ...rest.failures];
    let degraded = false;
    const unreachable = failures.length > 0 && failures.every((f) => retryLater(f.error));
    if (failures.length > 0 && unreachable && options.fallback) {
      const fb = await wrapAll(deps.storeId, [options.fallback], dataKey);
      if (fb.failures.length > 0) failures = [...failures, ...fb.failures];
      else {
        entries = [...entries, ...fb.entries];
        degraded = true;
      }
    }
    const refuse = entries.length === 0 || (failures.length > 0 && requireAll && !degraded);
    if (refuse) throw failureSummary('encrypt', failures);
    const ciphertext = writeEnvelope(deps.storeId, dataKey, entries, plaintext, aad);
    // Only a complete recipient set is reused; a partial one would keep skipping the missing provider.
    if (failures.length === 0 && deps.cache?.enabled) deps.cache.putEncryptionKey(set, { dataKey: Buffer.from(dataKey), entries });
    return {
      ciphertext,
      recipients: entries.map((e) => ({ providerId: e.provider, keyRef: e.keyRef, keyVersion: e.keyVersion })),
      skipped: failures.map(({ error: _e, ...f }) => f),
      degraded,
      dataKeyFromCache: false,
      materialId: generated?.materialId ?? null,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Providers by instance id, e.g. a Map or the KMS manager's lookup. */
export type ProviderLookup = (providerId: string) => KmsProvider | undefined;

const breakerRank = (p: KmsProvider): number => {
  const state = (p as Partial<{ breakerState(): string }>).breakerState?.();
  return state === 'open' ? 2 : state === 'half_open' ? 1 : 0;
};

/** Decrypts an envelope with the first recipient whose provider answers (closed circuits first, header order otherwise). */
export async function decryptFromRecipients(deps: MultiEnvelopeDeps, lookup: ProviderLookup, ciphertext: Buffer, aad: Buffer): Promise<MultiDecryptResult> {
  const env = parseEnvelope(ciphertext);
  if (env.storeId !== deps.storeId) throw new ConsoleError('ciphertext_foreign', 'This ciphertext was made by another key store.', { storeId: env.storeId });
  const failures: RecipientFailure[] = [];
  let found: { dataKey: Buffer; entry: EnvelopeEntry; fromCache: boolean; materialId: string | null } | null = null;

  for (const entry of env.entries) {
    const ref = { providerId: entry.provider, keyRef: entry.keyRef, wrapped: entry.wrapped, aad: providerWrapContext(env.storeId, entry.provider, entry.keyRef) };
    const hit = deps.cache?.get(ref);
    if (hit) {
      found = { dataKey: hit, entry, fromCache: true, materialId: deps.cache!.materialOf(ref) };
      break;
    }
  }
  const candidates = env.entries
    .map((entry, index) => ({ entry, index, provider: lookup(entry.provider) }))
    .sort((a, b) => (a.provider ? breakerRank(a.provider) : 3) - (b.provider ? breakerRank(b.provider) : 3) || a.index - b.index);
  for (const { entry, provider } of found ? [] : candidates) {
    if (!provider) {
      failures.push({ providerId: entry.provider, keyRef: entry.keyRef, kind: 'NotConfigured', providerCode: null, message: `Provider ${entry.provider} is not configured in this console.` });
      continue;
    }
    const ctx = providerWrapContext(env.storeId, entry.provider, entry.keyRef);
    try {
      const { plaintext, materialId } = await provider.decrypt(entry.keyRef, entry.wrapped, ctx);
      if (plaintext.length !== KEY_BYTES) {
        plaintext.fill(0);
        throw tampered();
      }
      if (deps.cache?.enabled) deps.cache.put({ providerId: entry.provider, keyRef: entry.keyRef, wrapped: entry.wrapped, aad: ctx }, Buffer.from(plaintext), materialId ?? null);
      found = { dataKey: plaintext, entry, fromCache: false, materialId: materialId ?? null };
      break;
    } catch (e) {
      failures.push(summarizeFailure(entry.provider, entry.keyRef, e));
    }
  }
  if (!found) throw failureSummary('decrypt', failures);

  const { dataKey, entry } = found;
  try {
    let plaintext: Buffer;
    try {
      plaintext = openEnvelopeBody(env, dataKey, aad);
    } catch (e) {
      // The header is authenticated by the body tag only: a failed AAD check with a body that does not authenticate
      // either means the header was modified, not that the caller's associated data is wrong.
      if (isConsoleError(e) && e.code === 'aad_mismatch' && !bodyAuthentic(env, dataKey)) throw tampered();
      throw e;
    }
    return { plaintext, providerId: entry.provider, keyRef: entry.keyRef, keyVersion: entry.keyVersion, dataKeyFromCache: found.fromCache, materialId: found.materialId, failures };
  } finally {
    dataKey.fill(0);
  }
}

export interface FailoverResult {
  key: ProviderKeyInfo;
  /** The provider that holds the new key. */
  providerId: string;
  failedOver: boolean;
  /** Why the primary was not used (null when it was). */
  primaryFailure: RecipientFailure | null;
  /** True when the primary timed out: it may have created an orphan key that nobody references. */
  primaryOutcomeUnknown: boolean;
}

/** Creates a key on the primary, or on the backup when the primary is unreachable. The caller audits the result. */
export async function createKeyWithFailover(primary: KmsProvider, backup: KmsProvider | null, input: CreateKeyInput): Promise<FailoverResult> {
  try {
    const key = await primary.createKey(input);
    return { key, providerId: primary.id, failedOver: false, primaryFailure: null, primaryOutcomeUnknown: false };
  } catch (e) {
    if (!retryLater(e) || !backup) throw e;
    const primaryFailure = summarizeFailure(primary.id, input.name, e);
    try {
      const key = await backup.createKey(input);
      const unknown = isProviderError(e) && e.providerCode === 'Timeout';
      return { key, providerId: backup.id, failedOver: true, primaryFailure, primaryOutcomeUnknown: unknown };
    } catch (e2) {
      throw failureSummary('createKey', [primaryFailure, summarizeFailure(backup.id, input.name, e2)]);
    }
  }
}
