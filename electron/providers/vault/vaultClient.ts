// Builds the node-vault client for one provider instance: validated options, own HTTP(S) agents (keep-alive, the CA
// file, certificate checks that VAULT_SKIP_VERIFY cannot switch off, and closable), and no reliance on VAULT_*
// environment variables. node-vault's debug output is silenced: it prints request bodies, which hold plaintext.
// node-vault loads when the provider is built (loadLibrary.ts); the client is made at the first request.
import http from 'node:http';
import https from 'node:https';
import type nodeVault from 'node-vault';
import { loadLibrary } from '../loadLibrary.ts';
import { ProviderError } from '../types.ts';

export interface VaultTransitOptions {
  /** Provider instance id from the configuration, e.g. "vault-primary". */
  id: string;
  /** Vault address, e.g. "https://vault.example.com:8200". */
  endpoint: string;
  token: string;
  /** Vault Enterprise / HCP namespace (X-Vault-Namespace), e.g. "fleet/eu". */
  namespace?: string;
  /** Path of the transit secrets engine (default "transit"). */
  mount?: string;
  /** PEM CA bundle that signs the Vault server certificate (https endpoints). */
  caCertPem?: string;
  /** Per-request timeout (default 10 000 ms). */
  timeoutMs?: number;
}

export interface VaultConnection {
  client: nodeVault.client;
  mount: string;
  /** The namespace every request names (X-Vault-Namespace), if any. */
  namespace: string | undefined;
  close(): void;
}

// Path segments of word characters, dots and dashes, never "." or ".." (no climbing out of the mount to sys/).
const SEGMENT = String.raw`(?!\.{1,2}(?:/|$))[A-Za-z0-9_.-]+`;
const MOUNT = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`);
const NAMESPACE = MOUNT;

export function openVaultConnection(options: VaultTransitOptions): VaultConnection {
  const providerId = typeof options.id === 'string' && options.id.length > 0 ? options.id : 'hashicorp_vault';
  const bad = (message: string) => new ProviderError('InvalidInput', `Vault provider "${providerId}": ${message}`, { providerId });
  if (typeof options.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.id)) throw bad('id must be 1-64 characters of [A-Za-z0-9_.-]');
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch {
    throw bad('endpoint is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('endpoint must be http:// or https://');
  if (url.username || url.password || url.search || url.hash) throw bad('endpoint must not carry credentials, a query or a fragment');
  if (typeof options.token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(options.token)) throw bad('token must be a non-empty printable string without spaces');
  const mount = (options.mount ?? 'transit').replace(/^\/+|\/+$/g, '');
  if (!MOUNT.test(mount) || /^(?:sys|auth|identity|cubbyhole)(?:\/|$)/.test(mount)) throw bad('mount must be a secrets-engine path such as "transit" or "kms/transit"');
  const namespace = options.namespace?.replace(/^\/+|\/+$/g, '');
  if (namespace !== undefined && namespace !== '' && !NAMESPACE.test(namespace)) throw bad('namespace must be a path such as "fleet" or "fleet/eu"');
  const timeout = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 300_000) throw bad('timeoutMs must be an integer from 1 to 300000');
  if (options.caCertPem !== undefined && !/-----BEGIN CERTIFICATE-----/.test(options.caCertPem)) throw bad('caCertPem must be a PEM certificate');
  if (options.caCertPem !== undefined && url.protocol !== 'https:') throw bad('caCertPem is given but the endpoint is not https://');

  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    rejectUnauthorized: true,
    ...(options.caCertPem === undefined ? {} : { ca: options.caCertPem }),
  });
  const library = loadLibrary(providerId, 'HashiCorp Vault (node-vault)', () => import('node-vault'));
  let made: nodeVault.client | null = null;
  const ready = async (): Promise<nodeVault.client> => {
    const { default: createClient } = await library();
    if (made) return made;
    made = createClient({
      endpoint: url.origin + url.pathname.replace(/\/+$/, ''),
      token: options.token,
      apiVersion: 'v1',
      debug: () => undefined,
      // LIST as "GET ?list=1", which Vault documents as equivalent; passes proxies that refuse custom verbs.
      noCustomHTTPVerbs: true,
      // timeout and the agents reach axios per request (node-vault forwards them from requestOptions).
      requestOptions: { timeout, httpAgent, httpsAgent },
    });
    // node-vault falls back to VAULT_NAMESPACE / VAULT_PREFIX from the environment; this instance uses its options only.
    const mutable = made as unknown as { namespace: string | undefined; pathPrefix: string };
    mutable.namespace = namespace ? namespace : undefined;
    mutable.pathPrefix = '';
    return made;
  };
  // Every node-vault request method returns a promise: each one here waits for the client first.
  const client = new Proxy({} as nodeVault.client, {
    get: (_, name) =>
      async (...args: unknown[]) => {
        const c = await ready();
        return (Reflect.get(c, name, c) as (...a: unknown[]) => Promise<unknown>).apply(c, args);
      },
  });
  return {
    client,
    mount,
    namespace: namespace ? namespace : undefined,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
