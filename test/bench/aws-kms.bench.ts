// AWS adapter overhead: encrypt / decrypt / sign latency through createAwsKmsProvider versus the raw KMSClient call
// (same emulator on 127.0.0.1, same operation and inputs, same client settings), interleaved; best round of each.
import crypto from 'node:crypto';
import { DecryptCommand, EncryptCommand, SignCommand } from '@aws-sdk/client-kms';
import { rawClient, startTestEmulator, testProvider } from '../emulators/aws-kms/testkit.ts';
import type { BenchResult } from './types.ts';
import { compareInterleaved } from './interleave.ts';

const ROUNDS = 7;
const ITERATIONS = 250;
const TARGET = 1.15;

export async function run(): Promise<BenchResult[]> {
  const emu = await startTestEmulator();
  const provider = testProvider(emu);
  const raw = rawClient(emu);
  try {
    const aes = await provider.createKey({ name: 'bench-aes', spec: 'AES_256', usage: 'encrypt' });
    const ec = await provider.createKey({ name: 'bench-ec', spec: 'EC_P256', usage: 'sign' });
    const plaintext = crypto.randomBytes(256);
    const aad = Buffer.from('robot-0042|telemetry');
    const context = { 'ecps:aad': aad.toString('base64') };
    const { ciphertext } = await provider.encrypt(aes.keyRef, plaintext, aad);
    const message = crypto.randomBytes(64);

    const cases: Array<{ name: string; adapter: () => Promise<unknown>; sdk: () => Promise<unknown> }> = [
      {
        name: 'AWS adapter encrypt 256 B (with associated data)',
        adapter: () => provider.encrypt(aes.keyRef, plaintext, aad),
        sdk: () => raw.send(new EncryptCommand({ KeyId: aes.keyRef, Plaintext: plaintext, EncryptionContext: context })),
      },
      {
        name: 'AWS adapter decrypt 256 B (with associated data)',
        adapter: () => provider.decrypt(aes.keyRef, ciphertext, aad),
        sdk: () => raw.send(new DecryptCommand({ KeyId: aes.keyRef, CiphertextBlob: ciphertext, EncryptionContext: context })),
      },
      {
        name: 'AWS adapter sign 64 B (ECDSA P-256)',
        adapter: () => provider.sign(ec.keyRef, message),
        sdk: () => raw.send(new SignCommand({ KeyId: ec.keyRef, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' })),
      },
    ];

    return await compareInterleaved(cases, { warmup: 50, rounds: ROUNDS, iterations: ITERATIONS, targetRatio: TARGET, baselineName: 'the raw KMSClient call', note: 'both against the same in-process emulator over HTTP on 127.0.0.1' });
  } finally {
    raw.destroy();
    await provider.close();
    await emu.close();
  }
}
