// One KeyManagementServiceClient per provider instance, and the one place its calls are made: every call gets the
// deadline, no library retries (the console's resilience layer owns retries and the circuit breaker), and leaves
// through the error mapping. The client library loads when the provider is built (loadLibrary.ts).
import fs from 'node:fs';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { loadLibrary } from '../loadLibrary.ts';
import { ProviderError } from '../types.ts';
import { toProviderError } from './errors.ts';

export interface GcpKmsProviderOptions {
  /** Instance id from the configuration, e.g. "gcp-kms". */
  id: string;
  projectId: string;
  /** e.g. "global", "europe-west1" (default "global"). */
  locationId?: string;
  keyRingId: string;
  /** Service-account JSON key file; without it Application Default Credentials apply. */
  credentialsPath?: string;
  /** The content of a service-account key file (picked in the console and kept sealed); wins over credentialsPath. */
  credentialsJson?: string;
  /**
   * Private endpoint or an emulator: "https://host[:port]" (TLS, the default being cloudkms.googleapis.com:443) or
   * "http://127.0.0.1:PORT" / "http://localhost:PORT" (plaintext, no credentials sent: emulators only).
   */
  endpoint?: string;
  /** Deadline per call, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Waiting period of scheduled destruction, set on every key at creation (1..120 days, default 30). */
  destroyScheduledDays?: number;
  /** How long createKey / rotate wait for an asymmetric version to finish generating (default 60 000 ms). */
  generationTimeoutMs?: number;
  /** Current time (rotation schedules); default Date.now. */
  now?: () => number;
}

export type KmsClient = KeyManagementServiceClient;

const CREDENTIAL_TYPES = new Set(['service_account', 'authorized_user', 'external_account', 'impersonated_service_account']);

/**
 * Checks the credentials file before the client library sees it, so a missing or malformed file is one clear
 * InvalidInput when the provider is configured (the file's contents never appear in a message).
 */
function checkCredentialsFile(o: GcpKmsProviderOptions, file: string): void {
  const bad = (why: string) => new ProviderError('InvalidInput', `credentials_path ${file} ${why}.`, { providerId: o.id, providerCode: 'CREDENTIALS_FILE' });
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw bad(`cannot be read (${(e as { code?: string }).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('is not JSON');
  }
  const c = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof c.type !== 'string' || !CREDENTIAL_TYPES.has(c.type)) throw bad('is not a Google credentials file (its "type" must be service_account, authorized_user, external_account or impersonated_service_account)');
  if (c.type === 'service_account' && (typeof c.client_email !== 'string' || typeof c.private_key !== 'string'))
    throw bad('is a service-account file without client_email or private_key');
}

type ClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>;

/** The client's options; `insecure`: plaintext to a loopback emulator (the channel credentials come with the library). */
function clientOptions(o: GcpKmsProviderOptions): ClientOptions & { insecure?: true } {
  // An explicit universe domain stops google-auth-library from asking the metadata server which universe it is in.
  const base = { universeDomain: 'googleapis.com', projectId: o.projectId, 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 2000 };
  let keyFile: { keyFilename?: string; credentials?: { client_email: string; private_key: string } } = {};
  if (o.credentialsJson !== undefined) {
    const sa = JSON.parse(o.credentialsJson) as { client_email?: unknown; private_key?: unknown };
    if (typeof sa.client_email !== 'string' || typeof sa.private_key !== 'string')
      throw new ProviderError('InvalidInput', 'gcp_credentials_json is a service-account key without client_email or private_key.', { providerId: o.id, providerCode: 'CREDENTIALS_FILE' });
    keyFile = { credentials: { client_email: sa.client_email, private_key: sa.private_key } };
  } else if (o.credentialsPath !== undefined) {
    checkCredentialsFile(o, o.credentialsPath);
    keyFile = { keyFilename: o.credentialsPath };
  }
  if (o.endpoint === undefined) return { ...base, ...keyFile };
  let url: URL;
  try {
    url = new URL(o.endpoint);
  } catch {
    throw new ProviderError('InvalidInput', 'endpoint must be a URL such as https://cloudkms.googleapis.com or http://127.0.0.1:PORT.', { providerId: o.id });
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || (url.protocol === 'http:' && !local) || url.username || url.password || url.search || (url.pathname !== '/' && url.pathname !== ''))
    throw new ProviderError('InvalidInput', 'endpoint must be https://host[:port] (http only for 127.0.0.1 or localhost), without credentials, path or query.', { providerId: o.id });
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Plaintext to a loopback emulator: no call credentials can ride on an insecure channel, so none are looked up.
  return url.protocol === 'http:'
    ? { ...base, apiEndpoint: host, port, insecure: true }
    : { ...base, ...keyFile, apiEndpoint: host, port };
}

export function createGcpClient(o: GcpKmsProviderOptions) {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const { insecure, ...settings } = clientOptions(o);
  const library = loadLibrary(o.id, 'Google Cloud KMS', async () => {
    const [kms, grpc] = await Promise.all([import('@google-cloud/kms'), import('@grpc/grpc-js')]);
    return { kms, grpc };
  });
  // After a connection failure grpc-js keeps the channel in reconnect backoff and fails calls fast until it ends,
  // even once the service is back. So a call that ends UNAVAILABLE retires the client; the next call gets a fresh
  // channel (with its own subchannel pool, so no backoff carries over) and connects at once.
  const fresh = ({ kms, grpc }: Awaited<ReturnType<typeof library>>) =>
    new kms.KeyManagementServiceClient({ ...settings, ...(insecure ? { sslCreds: grpc.credentials.createInsecure() } : {}), 'grpc.use_local_subchannel_pool': 1 });
  let client: KmsClient | null = null;
  let stale = false;

  /** Runs one client call under the deadline; every failure becomes a ProviderError. */
  async function call<R>(operation: string, send: (kms: KmsClient, options: CallOptions) => Promise<R>): Promise<R> {
    const loaded = await library();
    try {
      if (stale || client === null) {
        stale = false;
        const old = client;
        client = fresh(loaded);
        void old?.close().catch(() => undefined);
      }
      // A new options object per call: the client library writes the routing header into it.
      return await send(client, { timeout: timeoutMs, retry: null, autoPaginate: false });
    } catch (e) {
      if ((e as { code?: unknown }).code === loaded.grpc.status.UNAVAILABLE) stale = true;
      throw toProviderError(e, o.id, operation);
    }
  }

  return { call, close: async () => client?.close() };
}

interface CallOptions {
  timeout: number;
  retry: null;
  autoPaginate: false;
}

export type GcpCall = ReturnType<typeof createGcpClient>['call'];
