// The provider conformance suite against the Vault transit adapter, which talks through node-vault over real HTTP to
// the Vault emulator (in a child namespace, so every request carries X-Vault-Namespace).
import crypto from 'node:crypto';
import { createVaultTransitProvider } from '../../../electron/providers/vault/vaultProvider.ts';
import { startVaultEmulator } from '../../emulators/vault/server.ts';
import { describeProviderConformance } from './suite.ts';

describeProviderConformance('hashicorp_vault (transit, emulator)', async () => {
  const token = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
  const vault = await startVaultEmulator({ token, namespaces: ['fleet'] });
  const provider = createVaultTransitProvider({ id: 'vault-conformance', endpoint: vault.endpoint, token, namespace: 'fleet', timeoutMs: 5_000 });
  return {
    provider,
    faults: vault.faults,
    integrityAnswerVariants: [{ name: 'Vault < 1.10 (500 for a failed authentication)', providerCode: '500', set: (on) => vault.setPre110DecryptFailures(on) }],
    async cleanup() {
      await provider.close();
      await vault.close();
    },
  };
});
