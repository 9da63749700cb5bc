// One place that turns a parsed provider configuration into its adapter. Used by createKmsManager (a fixed set of
// providers from the specification's dictionaries) and by the console's provider registry (providers saved and
// removed while the console runs). Secrets are revealed only here, into the adapter that needs them.
import fs from 'node:fs';
import { ConsoleError } from '../../shared/errors.ts';
import type { Clock } from '../clock.ts';
import type { StoreKeyring } from '../crypto/storeKeyring.ts';
import type { Logger } from '../logger.ts';
import type { LocalKmsRepo } from '../store/providerRepo.ts';
import { createAwsKmsProvider } from './aws/awsKmsProvider.ts';
import type { ProviderConfig } from './config/parseProviderConfig.ts';
import { createAzureProviderFromConfig } from './azure/azureProvider.ts';
import { createGcpProviderFromConfig } from './gcp/fromConfig.ts';
import { createLocalProvider } from './local/localProvider.ts';
import { checkPkcs11ModulePath } from './pkcs11/modulePolicy.ts';
import { createPkcs11ProviderFromConfig } from './pkcs11/pkcs11Provider.ts';
import type { KmsProvider } from './types.ts';
import { createVaultTransitProvider, type DisabledKeySet } from './vault/vaultProvider.ts';

export interface AdapterDeps {
  clock: Clock;
  logger: Logger;
  /** The console's store, for the local provider. */
  local?: { repo: LocalKmsRepo; keyring(): StoreKeyring };
  /** Persistent "disabled" flags for Vault keys (Vault transit cannot disable a key); in memory when absent. */
  disabledKeys?: (providerId: string) => DisabledKeySet;
  /** Reads the Vault CA file (default: fs.readFileSync as UTF-8). */
  readFile?: (path: string) => string;
}

export function createAdapter(config: ProviderConfig, deps: AdapterDeps): KmsProvider {
  const c = config.connection;
  switch (c.kind) {
    case 'local':
      if (!deps.local) throw new ConsoleError('internal', 'The local provider needs the console store.');
      return createLocalProvider({ id: config.id, repo: deps.local.repo, keyring: deps.local.keyring, clock: deps.clock });
    case 'aws_kms':
      return createAwsKmsProvider({
        id: config.id,
        region: c.region,
        timeoutMs: config.timeoutMs,
        ...(c.endpoint === null ? {} : { endpoint: c.endpoint }),
        ...(c.credentials === null
          ? {}
          : {
              credentials: {
                accessKeyId: c.credentials.accessKeyId,
                secretAccessKey: c.credentials.secretAccessKey.reveal(),
                ...(c.credentials.sessionToken === null ? {} : { sessionToken: c.credentials.sessionToken.reveal() }),
              },
            }),
      });
    case 'hashicorp_vault': {
      const readFile = deps.readFile ?? ((p: string) => fs.readFileSync(p, 'utf8'));
      let caCertPem: string | undefined;
      if (c.caCertPath !== null) {
        try {
          caCertPem = readFile(c.caCertPath);
        } catch {
          throw new ConsoleError('invalid_input', `Provider configuration: vault_ca_cert (${c.caCertPath}) cannot be read.`, { field: 'vault_ca_cert' });
        }
      }
      return createVaultTransitProvider({
        id: config.id,
        endpoint: c.vaultUrl,
        token: c.token.reveal(),
        mount: c.transitMount,
        timeoutMs: config.timeoutMs,
        clock: deps.clock,
        logger: deps.logger,
        ...(c.namespace === null ? {} : { namespace: c.namespace }),
        ...(caCertPem === undefined ? {} : { caCertPem }),
        ...(deps.disabledKeys ? { disabledKeys: deps.disabledKeys(config.id) } : {}),
      });
    }
    case 'azure_key_vault':
      return createAzureProviderFromConfig(config, { clock: deps.clock, logger: deps.logger, ...(deps.readFile ? { readFile: deps.readFile } : {}) });
    case 'google_cloud_kms':
      return createGcpProviderFromConfig(config, { clock: deps.clock, logger: deps.logger });
    case 'pkcs11':
      checkPkcs11ModulePath(c.modulePath);
      return createPkcs11ProviderFromConfig(config, { clock: deps.clock, logger: deps.logger });
  }
}
