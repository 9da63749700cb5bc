// encrypt / decrypt of the Azure adapter, two schemes:
// - standard vault (format 1): AES-256-GCM in the adapter under a fresh content key, the caller's AAD, key name and
//   version bound; Key Vault wraps the content key with RSA-OAEP-256 on an RSA vault key.
// - Managed HSM (format 2): the HSM seals with A256GCM on an oct-HSM key; the AAD binds key name and caller's AAD.
// Either way a changed byte, another key or other associated data gives IntegrityFailure. Every operation first
// passes the adapter's own key state check and is sent to an explicit key version (never /keys/<name>//...).
import crypto from 'node:crypto';
import type { CryptographyClient } from '@azure/keyvault-keys';
import { ProviderError } from '../types.ts';
import type { Use, VersionState } from './azureKeyState.ts';
import {
  decodeCiphertext, decodeHsmCiphertext, encodeCiphertext, encodeHsmCiphertext, gcmAad, hsmAad, openGcm, sealGcm,
} from './azureFormat.ts';

const WRAP_ALG = 'RSA-OAEP-256';

type Op = { requestOptions: { timeout: number }; onResponse: (r: { parsedBody?: unknown; bodyAsText?: string | null }) => void };

export interface CipherContext {
  providerId: string;
  managedHsm: boolean;
  maxPlaintextBytes: number;
  cryptoClient(name: string, version: string): CryptographyClient;
  keyOperation<R>(operation: string, run: (o: Op) => Promise<R>): Promise<{ result: R; kid: string }>;
  explainMissing(name: string, e: ProviderError, existing: () => ProviderError): Promise<ProviderError>;
  numberOf(name: string, versionId: string): Promise<number>;
  /** Throws unless the service's answer names the version the adapter addressed. */
  checkKid(kid: string, versionId: string): void;
  /** The version to use (the newest when versionId is undefined), refused with KeyDisabled unless usable. */
  usableVersion(name: string, versionId: string | undefined, use: Use): Promise<VersionState>;
  /** Validates the reference, the arguments and the key's usage; returns the key name. */
  prepare(keyRef: string, aad: Buffer | undefined): Promise<string>;
}

export function createCipher(ctx: CipherContext) {
  const integrity = (message: string) => new ProviderError('IntegrityFailure', message, { providerId: ctx.providerId, providerCode: 'IntegrityFailure' });
  const invalid = (message: string) => new ProviderError('InvalidInput', message, { providerId: ctx.providerId });

  const onUseFailure = (name: string) => async (e: unknown): Promise<never> => {
    throw e instanceof ProviderError ? await ctx.explainMissing(name, e, () => e) : e;
  };
  /** On decryption the service judges only our ciphertext: a refusal of it (or an unknown version) means tampering. */
  const onOpenFailure = (name: string, versionId: string) => async (e: unknown): Promise<never> => {
    if (!(e instanceof ProviderError)) throw e;
    if (e.kind === 'InvalidInput' && e.providerCode === 'BadParameter') throw integrity(`The ciphertext does not decrypt under ${name} (${e.message}).`);
    throw await ctx.explainMissing(name, e, () => integrity(`The ciphertext names version ${versionId}, which key ${name} does not have.`));
  };

  async function encrypt(keyRef: string, plaintext: Buffer, aad?: Buffer): Promise<{ ciphertext: Buffer; version: number }> {
    if (!Buffer.isBuffer(plaintext) || plaintext.length === 0 || plaintext.length > ctx.maxPlaintextBytes)
      throw invalid(`Plaintext must be 1..${ctx.maxPlaintextBytes} bytes.`);
    const name = await ctx.prepare(keyRef, aad);
    const { versionId } = await ctx.usableVersion(name, undefined, 'protect').catch(onUseFailure(name));
    if (ctx.managedHsm) {
      const { result, kid } = await ctx
        .keyOperation('encrypt', (o) => ctx.cryptoClient(name, versionId).encrypt({ algorithm: 'A256GCM', plaintext, additionalAuthenticatedData: hsmAad(name, aad) }, o))
        .catch(onUseFailure(name));
      ctx.checkKid(kid, versionId);
      if (!result.iv || !result.authenticationTag)
        throw new ProviderError('Unavailable', 'Managed HSM answered AES-GCM without iv or tag.', { providerId: ctx.providerId, providerCode: 'MalformedResponse', retryable: false });
      const ciphertext = encodeHsmCiphertext({ versionId, iv: Buffer.from(result.iv), tag: Buffer.from(result.authenticationTag), body: Buffer.from(result.result) });
      return { ciphertext, version: await ctx.numberOf(name, versionId) };
    }
    const contentKey = crypto.randomBytes(32);
    try {
      const { result, kid } = await ctx.keyOperation('wrapKey', (o) => ctx.cryptoClient(name, versionId).wrapKey(WRAP_ALG, contentKey, o)).catch(onUseFailure(name));
      ctx.checkKid(kid, versionId);
      const sealed = sealGcm(contentKey, plaintext, gcmAad(name, versionId, aad));
      return { ciphertext: encodeCiphertext({ versionId, wrapped: Buffer.from(result.result), ...sealed }), version: await ctx.numberOf(name, versionId) };
    } finally {
      contentKey.fill(0);
    }
  }

  async function decrypt(keyRef: string, ciphertext: Buffer, aad?: Buffer): Promise<{ plaintext: Buffer; version: number }> {
    const name = await ctx.prepare(keyRef, aad);
    if (ctx.managedHsm) {
      const c = Buffer.isBuffer(ciphertext) ? decodeHsmCiphertext(ciphertext) : null;
      if (!c) throw integrity('Not an Azure Managed HSM provider ciphertext (format 2), or truncated.');
      await ctx.usableVersion(name, c.versionId, 'open').catch(onOpenFailure(name, c.versionId));
      const { result } = await ctx
        .keyOperation('decrypt', (o) =>
          ctx.cryptoClient(name, c.versionId).decrypt({ algorithm: 'A256GCM', ciphertext: c.body, iv: c.iv, authenticationTag: c.tag, additionalAuthenticatedData: hsmAad(name, aad) }, o),
        )
        .catch(onOpenFailure(name, c.versionId));
      return { plaintext: Buffer.from(result.result), version: await ctx.numberOf(name, c.versionId) };
    }
    const parsed = Buffer.isBuffer(ciphertext) ? decodeCiphertext(ciphertext) : null;
    if (!parsed) throw integrity('Not an Azure Key Vault provider ciphertext (format 1), or truncated.');
    await ctx.usableVersion(name, parsed.versionId, 'open').catch(onOpenFailure(name, parsed.versionId));
    const unwrapped = await ctx.keyOperation('unwrapKey', (o) => ctx.cryptoClient(name, parsed.versionId).unwrapKey(WRAP_ALG, parsed.wrapped, o)).catch(onOpenFailure(name, parsed.versionId));
    const contentKey = Buffer.from(unwrapped.result.result);
    try {
      const plaintext = openGcm(contentKey, parsed, gcmAad(name, parsed.versionId, aad));
      if (!plaintext) throw integrity('The ciphertext or its associated data was changed (AES-GCM tag mismatch).');
      return { plaintext, version: await ctx.numberOf(name, parsed.versionId) };
    } finally {
      contentKey.fill(0);
    }
  }

  return { encrypt, decrypt };
}
