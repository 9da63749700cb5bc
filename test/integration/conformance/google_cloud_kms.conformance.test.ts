// The conformance suite against the Google Cloud KMS adapter: the official client (@google-cloud/kms) over real gRPC
// to the Cloud KMS emulator on 127.0.0.1, with CRC32C checked both ways on every data-carrying call.
import crypto from 'node:crypto';
import { ringName, startTestEmulator, testProvider } from '../../emulators/gcp-kms/testkit.ts';
import { describeProviderConformance } from './suite.ts';

describeProviderConformance('google_cloud_kms', async () => {
  const emu = await startTestEmulator();
  const provider = testProvider(emu, { timeoutMs: 5_000 });
  return {
    provider,
    faults: emu.faults,
    unknownKeyRef: `${ringName()}/cryptoKeys/missing-${crypto.randomUUID()}`,
    async cleanup() {
      await provider.close();
      await emu.close();
    },
  };
});
