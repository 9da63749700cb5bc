// The conformance suite against the AWS KMS adapter: the official SDK client over real HTTP to the KMS emulator on
// 127.0.0.1, with SigV4 checked on every request.
import crypto from 'node:crypto';
import { startTestEmulator, TEST_REGION, testProvider } from '../../emulators/aws-kms/testkit.ts';
import { describeProviderConformance } from './suite.ts';

describeProviderConformance('aws_kms', async () => {
  const emu = await startTestEmulator();
  // A short deadline keeps the outage test quick; the emulator answers in milliseconds.
  const provider = testProvider(emu, { timeoutMs: 5_000 });
  return {
    provider,
    faults: emu.faults,
    unknownKeyRef: `arn:aws:kms:${TEST_REGION}:111122223333:key/${crypto.randomUUID()}`,
    async cleanup() {
      await provider.close();
      await emu.close();
    },
  };
});
