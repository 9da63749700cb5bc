import Alert from '@cloudscape-design/components/alert';
import { useChannelQuery } from '../hooks/channelQuery.ts';

/**
 * Says plainly that the provider the environment names (KMS_PROVIDER, ...) was refused, naming the variable, and what
 * that means for new keys: refused, or kept in the local store because ECPS_ALLOW_LOCAL_FALLBACK is set.
 */
export function EnvironmentRefusalBanner() {
  const providers = useChannelQuery('providers:list', {});
  const refusal = providers.data?.environmentRefusal;
  if (!refusal) return null;
  return (
    <div role="alert" aria-label="Environment provider refused">
      <Alert type="warning" statusIconAriaLabel="Warning" header={refusal.message}>
        {refusal.localFallback
          ? 'ECPS_ALLOW_LOCAL_FALLBACK is set: new keys that name no provider are created in the local store until the configuration is fixed.'
          : `New keys that name no provider are refused until ${refusal.variable ?? 'the configuration'} is fixed and the store is unlocked again (or ECPS_ALLOW_LOCAL_FALLBACK=1 allows the local store meanwhile).`}
      </Alert>
    </div>
  );
}
