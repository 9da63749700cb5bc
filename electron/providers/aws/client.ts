// One KMSClient per provider instance, and the one place SDK calls are made: every call gets the deadline and
// leaves through the error mapping. The SDK loads when the provider is built (loadLibrary.ts).
import type { KMSClient } from '@aws-sdk/client-kms';
import { loadLibrary } from '../loadLibrary.ts';
import { toProviderError } from './errors.ts';

/** The SDK module: its command classes reach the calls through `send`. */
export type KmsSdk = typeof import('@aws-sdk/client-kms');

export interface AwsKmsProviderOptions {
  /** Instance id from the configuration, e.g. "aws-primary". */
  id: string;
  region: string;
  /** Private (VPC) endpoint or an emulator, e.g. "https://vpce-0123-abcd.kms.eu-west-1.vpce.amazonaws.com". */
  endpoint?: string;
  /** Static credentials; when absent the SDK's default credential chain applies (environment, profile, SSO, IMDS...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Deadline per call, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Prefix of the aliases that name the console's keys: alias/<aliasPrefix><name> (default "ecps/"). */
  aliasPrefix?: string;
}

export function createKmsClient(o: AwsKmsProviderOptions) {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const sdk = loadLibrary(o.id, 'AWS KMS', () => import('@aws-sdk/client-kms'));
  let client: KMSClient | null = null;
  const clientOf = (kms: KmsSdk) =>
    (client ??= new kms.KMSClient({
      region: o.region,
      ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
      ...(o.credentials === undefined ? {} : { credentials: { ...o.credentials } }),
      // The console's resilience layer owns retries, backoff and the circuit breaker.
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    }));

  /** Runs one SDK call under the deadline; every failure becomes a ProviderError. */
  async function call<R>(operation: string, send: (kms: KMSClient, options: { abortSignal: AbortSignal }, sdk: KmsSdk) => Promise<R>): Promise<R> {
    const kms = await sdk();
    try {
      return await send(clientOf(kms), { abortSignal: AbortSignal.timeout(timeoutMs) }, kms);
    } catch (e) {
      throw toProviderError(e, o.id, operation);
    }
  }

  return { call, destroy: () => client?.destroy() };
}

export type KmsCall = ReturnType<typeof createKmsClient>['call'];
