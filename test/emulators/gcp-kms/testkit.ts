// Test wiring: a Cloud KMS emulator on 127.0.0.1 and an adapter (or raw client) pointed only at it over a plaintext
// channel. METADATA_SERVER_DETECTION=none and an explicit universe domain keep google-auth-library from probing the
// metadata server, so nothing leaves loopback.
import * as grpc from '@grpc/grpc-js';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { createGcpKmsProvider, type GcpKmsProviderOptions } from '../../../electron/providers/gcp/gcpKmsProvider.ts';
import type { KmsProvider } from '../../../electron/providers/types.ts';
import { startGcpKmsEmulator, type GcpKmsEmulator, type GcpKmsEmulatorOptions } from './index.ts';

export const TEST_PROJECT = 'ecps-fleet-test';
export const TEST_LOCATION = 'europe-west1';
export const TEST_RING = 'ecps-console';

export async function startTestEmulator(extra: GcpKmsEmulatorOptions = {}): Promise<GcpKmsEmulator> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  return startGcpKmsEmulator(extra);
}

export function testProvider(emu: GcpKmsEmulator, extra: Partial<Omit<GcpKmsProviderOptions, 'endpoint'>> = {}): KmsProvider {
  return createGcpKmsProvider({ id: 'gcp-test', projectId: TEST_PROJECT, locationId: TEST_LOCATION, keyRingId: TEST_RING, timeoutMs: 5_000, ...extra, endpoint: emu.endpoint });
}

export function rawClient(emu: GcpKmsEmulator): KeyManagementServiceClient {
  return new KeyManagementServiceClient({ apiEndpoint: emu.host, port: emu.port, sslCreds: grpc.credentials.createInsecure(), universeDomain: 'googleapis.com', projectId: TEST_PROJECT });
}

export const ringName = (ring = TEST_RING) => `projects/${TEST_PROJECT}/locations/${TEST_LOCATION}/keyRings/${ring}`;
