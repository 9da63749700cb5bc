// A parsed 'azure_key_vault' configuration -> the adapter. The client secret is revealed only here, into the
// credential; without client id / secret / tenant the adapter uses DefaultAzureCredential.
import fs from 'node:fs';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { ProviderConfig } from '../config/parseProviderConfig.ts';
import { ProviderError } from '../types.ts';
import { createAzureKeyVaultProvider, type AzureKeyVaultProvider } from './azureProvider.ts';

export interface AzureConfigDeps {
  clock: Clock;
  logger: Logger;
  /** Reads the azure_ca_cert file (default: fs.readFileSync as UTF-8). */
  readFile?: (path: string) => string;
}

export function createAzureProviderFromConfig(config: ProviderConfig, deps: AzureConfigDeps): AzureKeyVaultProvider {
  const c = config.connection;
  if (c.kind !== 'azure_key_vault') throw new ProviderError('InvalidInput', `Configuration of kind ${c.kind} is not an Azure Key Vault configuration.`, { providerId: config.id });
  let caPem: string | undefined;
  if (c.caCertPath !== null) {
    try {
      caPem = (deps.readFile ?? ((p: string) => fs.readFileSync(p, 'utf8')))(c.caCertPath);
    } catch {
      throw new ProviderError('InvalidInput', `azure_ca_cert (${c.caCertPath}) cannot be read.`, { providerId: config.id });
    }
  }
  const all = c.clientId !== null && c.clientSecret !== null && c.tenantId !== null;
  return createAzureKeyVaultProvider({
    id: config.id,
    vaultUrl: c.keyVaultUrl,
    timeoutMs: config.timeoutMs,
    clock: deps.clock,
    logger: deps.logger,
    ...(all ? { credentials: { tenantId: c.tenantId!, clientId: c.clientId!, clientSecret: c.clientSecret!.reveal() } } : {}),
    ...(c.authorityHost === null ? {} : { authorityHost: c.authorityHost }),
    ...(caPem === undefined ? {} : { caPem }),
  });
}
