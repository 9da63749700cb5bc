// The console's parsed configuration (kind google_cloud_kms) -> the Cloud KMS adapter. For the lead to call from
// electron/providers/adapters.ts: `case 'google_cloud_kms': return createGcpProviderFromConfig(config, deps);`
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { ProviderConfig } from '../config/parseProviderConfig.ts';
import { ProviderError, type KmsProvider } from '../types.ts';
import { createGcpKmsProvider } from './gcpKmsProvider.ts';

export { createGcpKmsProvider } from './gcpKmsProvider.ts';

export function createGcpProviderFromConfig(config: ProviderConfig, deps: { clock: Clock; logger: Logger }): KmsProvider {
  const c = config.connection;
  if (c.kind !== 'google_cloud_kms')
    throw new ProviderError('InvalidInput', `createGcpProviderFromConfig needs a google_cloud_kms configuration, not ${c.kind}.`, { providerId: config.id });
  deps.logger.info('Google Cloud KMS provider configured', {
    providerId: config.id,
    keyRing: `projects/${c.projectId}/locations/${c.locationId}/keyRings/${c.keyRingId}`,
    credentials: c.credentialsJson !== null ? 'service-account key (sealed in the store)' : c.credentialsPath === null ? 'application-default' : 'service-account file',
    endpoint: c.endpoint ?? 'cloudkms.googleapis.com',
  });
  return createGcpKmsProvider({
    id: config.id,
    projectId: c.projectId,
    locationId: c.locationId,
    keyRingId: c.keyRingId,
    timeoutMs: config.timeoutMs,
    now: () => deps.clock.now(),
    ...(c.credentialsPath === null ? {} : { credentialsPath: c.credentialsPath }),
    ...(c.credentialsJson === null ? {} : { credentialsJson: c.credentialsJson.reveal() }),
    ...(c.endpoint === null ? {} : { endpoint: c.endpoint }),
  });
}
