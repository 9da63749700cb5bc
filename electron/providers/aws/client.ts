// One KMSClient per provider instance, and the one place SDK calls are made: every call gets the deadline and
// leaves through the error mapping.
import { KMSClient } from '@aws-sdk/client-kms';
import { toProviderError } from './errors.ts';

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
  const client = new KMSClient({
    region: o.region,
    ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
    ...(o.credentials === undefined ? {} : { credentials: { ...o.credentials } }),
    // The console's resilience layer owns retries, backoff and the circuit breaker.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });

  /** Runs one SDK call under the deadline; every failure becomes a ProviderError. */
  async function call<R>(operation: string, send: (kms: KMSClient, options: { abortSignal: AbortSignal }) => Promise<R>): Promise<R> {
    try {
      return await send(client, { abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw toProviderError(e, o.id, operation);
    }
  }

  return { call, destroy: () => client.destroy() };
}

export type KmsCall = ReturnType<typeof createKmsClient>['call'];
