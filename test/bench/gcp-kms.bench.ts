// Cloud KMS adapter overhead: encrypt / decrypt / sign latency through createGcpKmsProvider (CRC32C both ways,
// response checks, error mapping) versus the raw KeyManagementServiceClient call without checksums, against the same
// emulator on 127.0.0.1 over gRPC with the same call settings, interleaved; best round of each.
import crypto from 'node:crypto';
import { rawClient, startTestEmulator, testProvider } from '../emulators/gcp-kms/testkit.ts';
import type { BenchResult } from './types.ts';
import { compareInterleaved } from './interleave.ts';

const ROUNDS = 15;
const ITERATIONS = 100;
const TARGET = 1.15;

export async function run(): Promise<BenchResult[]> {
  const emu = await startTestEmulator();
  const provider = testProvider(emu, { timeoutMs: 10_000 });
  const raw = rawClient(emu);
  const settings = { timeout: 10_000, retry: null, autoPaginate: false } as const;
  try {
    const aes = await provider.createKey({ name: 'bench-aes', spec: 'AES_256', usage: 'encrypt' });
    const rsa = await provider.createKey({ name: 'bench-rsa', spec: 'RSA_2048', usage: 'sign' });
    const plaintext = crypto.randomBytes(256);
    const aad = Buffer.from('robot-0042|telemetry');
    const { ciphertext } = await provider.encrypt(aes.keyRef, plaintext, aad);
    const message = crypto.randomBytes(64);
    const rsaVersion = `${rsa.keyRef}/cryptoKeyVersions/1`;

    const cases: Array<{ name: string; adapter: () => Promise<unknown>; sdk: () => Promise<unknown> }> = [
      {
        name: 'Cloud KMS adapter encrypt 256 B (with associated data, CRC32C checked)',
        adapter: () => provider.encrypt(aes.keyRef, plaintext, aad),
        sdk: () => raw.encrypt({ name: aes.keyRef, plaintext, additionalAuthenticatedData: aad }, { ...settings }),
      },
      {
        name: 'Cloud KMS adapter decrypt 256 B (with associated data, CRC32C checked)',
        adapter: () => provider.decrypt(aes.keyRef, ciphertext, aad),
        sdk: () => raw.decrypt({ name: aes.keyRef, ciphertext, additionalAuthenticatedData: aad }, { ...settings }),
      },
      {
        name: 'Cloud KMS adapter sign 64 B (RSA-PSS 2048, CRC32C checked)',
        adapter: () => provider.sign(rsa.keyRef, message),
        sdk: () => raw.asymmetricSign({ name: rsaVersion, digest: { sha256: crypto.createHash('sha256').update(message).digest() } }, { ...settings }),
      },
    ];

    return await compareInterleaved(cases, { warmup: 30, rounds: ROUNDS, iterations: ITERATIONS, targetRatio: TARGET, baselineName: 'the raw KeyManagementServiceClient call', note: 'both against the same in-process emulator over gRPC on 127.0.0.1' });
  } finally {
    await raw.close();
    await provider.close();
    await emu.close();
  }
}
