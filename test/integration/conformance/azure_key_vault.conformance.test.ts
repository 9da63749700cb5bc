// The conformance suite against the Azure Key Vault adapter: the official KeyClient / CryptographyClient and a
// ClientSecretCredential over HTTPS (per-run test CA) to the Key Vault emulator on 127.0.0.1, which also serves the
// token endpoint, so the bearer challenge and token checks run on every client. Twice: a standard vault (RSA-OAEP-256
// wrapping of an adapter-side AES-GCM content key) and a Managed HSM (oct-HSM keys, AES-GCM in the HSM).
import { startAzureTestBed } from '../../emulators/azure-key-vault/testkit.ts';
import { describeProviderConformance } from './suite.ts';

describeProviderConformance('azure_key_vault (emulator)', async () => {
  const bed = await startAzureTestBed();
  const provider = bed.provider({ id: 'azure-conformance', timeoutMs: 5_000 });
  return {
    provider,
    faults: bed.emu.faults,
    async cleanup() {
      await bed.close();
    },
  };
});

describeProviderConformance('azure_key_vault (Managed HSM emulator)', async () => {
  const bed = await startAzureTestBed({ managedHsm: true });
  const provider = bed.provider({ id: 'azure-hsm-conformance', timeoutMs: 5_000 });
  return {
    provider,
    faults: bed.emu.faults,
    async cleanup() {
      await bed.close();
    },
  };
});
