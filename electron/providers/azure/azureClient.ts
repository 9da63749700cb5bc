// One KeyClient (and cached CryptographyClients) per provider instance, the credential, and the one place SDK calls
// are made: every call gets the deadline and leaves through the error mapping. The SDK's own retries are off
// (maxRetries 0): the console's resilience layer retries, so a single fault is never hidden. The libraries load when
// the provider is built (loadLibrary.ts); the credential and the clients are made at the first call.
import type { TokenCredential } from '@azure/identity';
import type { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { loadLibrary } from '../loadLibrary.ts';
import { ProviderError } from '../types.ts';
import { toProviderError } from './azureErrors.ts';

export interface AzureKeyVaultProviderOptions {
  /** Instance id from the configuration, e.g. "azure-primary". */
  id: string;
  /** https://<vault>.vault.azure.net (or a sovereign cloud's vault host, or a Managed HSM URL). */
  vaultUrl: string;
  /** A service principal (ClientSecretCredential); when absent, DefaultAzureCredential (environment, workload / managed identity, Azure CLI...). */
  credentials?: { tenantId: string; clientId: string; clientSecret: string };
  /** Entra authority host for the client secret credential (sovereign clouds, or a local test authority). */
  authorityHost?: string;
  /** PEM CA bundle to trust for the vault and the authority (default: the system's CAs). */
  caPem?: string;
  /** Deadline per call, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** An already-built credential (wins over credentials). */
  credential?: TokenCredential;
  /** The URL is a Managed HSM (default: its host contains ".managedhsm."): AES_256 keys are oct-HSM keys with AES-GCM. */
  managedHsm?: boolean;
  /** How long a key's checked state (enabled, nbf, exp, newest version) is reused, in ms (default 5000; 0 = every call). */
  keyStateTtlMs?: number;
}

const CRYPTO_CLIENT_CACHE = 2_000;

function checkUrl(id: string, value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProviderError('InvalidInput', `${what} must be a URL such as https://my-vault.vault.azure.net.`, { providerId: id });
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    throw new ProviderError('InvalidInput', `${what} must be an https URL with a host only (no path, query or credentials).`, { providerId: id });
  return url.origin;
}

export function createAzureClients(o: AzureKeyVaultProviderOptions) {
  const id = o.id;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new ProviderError('InvalidInput', 'Provider id must be 1-64 of A-Z a-z 0-9 _ . -.', { providerId: id || 'azure' });
  const vaultUrl = checkUrl(id, o.vaultUrl, 'key_vault_url');
  const timeoutMs = o.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) throw new ProviderError('InvalidInput', 'timeoutMs must be 100..120000.', { providerId: id });
  const tls = o.caPem === undefined ? {} : { tlsOptions: { ca: o.caPem } };
  const noRetry = { retryOptions: { maxRetries: 0 } };
  // Checked now, so a bad value fails the configuration rather than the first call.
  const authorityHost = o.credential || o.authorityHost === undefined ? undefined : checkUrl(id, o.authorityHost, 'authorityHost');
  const library = loadLibrary(id, 'Azure Key Vault', async () => {
    const [identity, keyVault] = await Promise.all([o.credential ? null : import('@azure/identity'), import('@azure/keyvault-keys')]);
    return { identity, keyVault };
  });
  const makeCredential = (identity: typeof import('@azure/identity') | null): TokenCredential => {
    if (o.credential) return o.credential;
    if (!identity) throw new Error('@azure/identity was not loaded');
    if (o.credentials) {
      return new identity.ClientSecretCredential(o.credentials.tenantId, o.credentials.clientId, o.credentials.clientSecret, {
        ...tls,
        ...noRetry,
        // A custom authority (a local test authority) cannot answer Entra's instance discovery.
        ...(authorityHost === undefined ? {} : { authorityHost, disableInstanceDiscovery: true }),
      });
    }
    return new identity.DefaultAzureCredential({ ...tls, ...noRetry, ...(authorityHost === undefined ? {} : { authorityHost }) });
  };

  const pipeline = { ...tls, ...noRetry, disableChallengeResourceVerification: ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(vaultUrl).hostname) };
  let made: { credential: TokenCredential; keys: KeyClient; Crypto: typeof CryptographyClient } | null = null;
  /** The credential and the KeyClient, made once the libraries are loaded; call() and callFast() wait for them. */
  const ready = async () => {
    const { identity, keyVault } = await library();
    if (!made) {
      const credential = makeCredential(identity);
      made = { credential, keys: new keyVault.KeyClient(vaultUrl, credential, pipeline), Crypto: keyVault.CryptographyClient };
    }
    return made;
  };
  const madeNow = () => {
    if (!made) throw new ProviderError('Unavailable', 'The Azure Key Vault client was used before it was made.', { providerId: id, retryable: false });
    return made;
  };
  // The KeyClient for the adapter's calls: every use sits inside call() or callFast(), which make it first.
  const keys = new Proxy({} as KeyClient, {
    get: (_, name) => {
      const client = madeNow().keys;
      const value: unknown = Reflect.get(client, name, client);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(client) : value;
    },
  });
  const cryptoClients = new Map<string, CryptographyClient>();

  /**
   * A CryptographyClient for keys/<name>/<version>, kept for reuse (bounded). Always versioned: the specification
   * requires the version segment, so no operation goes to /keys/<name>//<operation>. Built from a key reference
   * without key material, the SDK neither fetches the key first nor does anything locally or checks the key's dates
   * on its own clock: every operation goes to the service, after the adapter's own state check.
   */
  function cryptoClient(name: string, version: string): CryptographyClient {
    if (!/^[0-9a-f]{32}$/.test(version)) throw new ProviderError('Unavailable', `A key operation on ${name} was about to be sent without a key version.`, { providerId: id, providerCode: 'MissingKeyVersion', retryable: false });
    const keyId = `${vaultUrl}/keys/${name}/${version}`;
    let c = cryptoClients.get(keyId);
    if (!c) {
      if (cryptoClients.size >= CRYPTO_CLIENT_CACHE) cryptoClients.delete(cryptoClients.keys().next().value!);
      const { Crypto, credential } = madeNow();
      c = new Crypto({ id: keyId, name, properties: { id: keyId, name, vaultUrl, version } }, credential, pipeline);
      cryptoClients.set(keyId, c);
    }
    return c;
  }

  /** Runs one SDK call under the deadline; every failure becomes a ProviderError. */
  async function call<R>(operation: string, send: (options: { abortSignal: AbortSignal }) => Promise<R>): Promise<R> {
    try {
      await ready();
      return await send({ abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw toProviderError(e, id, operation);
    }
  }

  /**
   * Key operations (one request each, on a cached client with a cached token) get the transport's request timeout
   * instead of an AbortSignal timer: same deadline for the request, less overhead per call.
   */
  async function callFast<R>(operation: string, send: (options: { requestOptions: { timeout: number } }) => Promise<R>): Promise<R> {
    try {
      await ready();
      return await send({ requestOptions: { timeout: timeoutMs } });
    } catch (e) {
      throw toProviderError(e, id, operation);
    }
  }

  const managedHsm = o.managedHsm ?? /\.managedhsm\./i.test(new URL(vaultUrl).hostname);
  const keyStateTtlMs = o.keyStateTtlMs ?? 5_000;
  if (!Number.isInteger(keyStateTtlMs) || keyStateTtlMs < 0 || keyStateTtlMs > 60_000) throw new ProviderError('InvalidInput', 'keyStateTtlMs must be 0..60000.', { providerId: id });

  return { id, vaultUrl, managedHsm, keyStateTtlMs, keys, cryptoClient, call, callFast, forget: (name: string) => {
    for (const k of [...cryptoClients.keys()]) if (k.startsWith(`${vaultUrl}/keys/${name}/`)) cryptoClients.delete(k);
  }, clear: () => cryptoClients.clear() };
}

export type AzureClients = ReturnType<typeof createAzureClients>;
