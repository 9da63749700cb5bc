// Test wiring: an emulator on 127.0.0.1 and an adapter (or raw SDK client) pointed only at it, with static test
// credentials and an explicit region, so nothing probes the credential chain or leaves loopback.
import { KMSClient } from '@aws-sdk/client-kms';
import { createAwsKmsProvider } from '../../../electron/providers/aws/awsKmsProvider.ts';
import type { KmsProvider } from '../../../electron/providers/types.ts';
import { startAwsKmsEmulator, type AwsKmsEmulator, type AwsKmsEmulatorOptions } from './index.ts';

export const TEST_REGION = 'eu-central-1';
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDECPSTEST0000001', secretAccessKey: 'ecps-test-secret-not-a-real-one' };

export async function startTestEmulator(extra: Partial<AwsKmsEmulatorOptions> = {}): Promise<AwsKmsEmulator> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  return startAwsKmsEmulator({ credentials: TEST_CREDENTIALS, region: TEST_REGION, ...extra });
}

export function testProvider(emu: AwsKmsEmulator, extra: { timeoutMs?: number; aliasPrefix?: string; credentials?: typeof TEST_CREDENTIALS & { sessionToken?: string } } = {}): KmsProvider {
  return createAwsKmsProvider({
    id: 'aws-test',
    region: TEST_REGION,
    endpoint: emu.endpoint,
    credentials: extra.credentials ?? TEST_CREDENTIALS,
    ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
    ...(extra.aliasPrefix === undefined ? {} : { aliasPrefix: extra.aliasPrefix }),
  });
}

export function rawClient(emu: AwsKmsEmulator, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = TEST_CREDENTIALS): KMSClient {
  return new KMSClient({ region: TEST_REGION, endpoint: emu.endpoint, credentials, maxAttempts: 1 });
}
