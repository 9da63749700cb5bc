import { useState } from 'react';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import FormField from '@cloudscape-design/components/form-field';
import Select from '@cloudscape-design/components/select';
import Button from '@cloudscape-design/components/button';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { useChannelMutation, useQueryClient } from '../hooks/channelQuery.ts';
import { clearJobProgress, useLatestJob } from '../hooks/jobProgress.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { MigrationProgress } from './MigrationProgress.tsx';
import { ConfirmMigration } from './ConfirmMigration.tsx';

/**
 * Hybrid mode: local keys stay local but get a copy wrapped under a KMS key (backup_keys_to_kms), the copy is proven
 * to round-trip, or the local keys move to the provider for good (their next version lives there).
 */
const MIGRATION_JOB = 'keys.migrate';

export function HybridPanel({ providers, localKeys }: { providers: ProviderStatus[]; localKeys: number }) {
  const targets = providers.filter((p) => p.id !== LOCAL_PROVIDER_ID);
  const [chosen, setChosen] = useState<string>('');
  const target = targets.some((p) => p.id === chosen) ? chosen : (targets[0]?.id ?? '');
  const backup = useChannelMutation('keys:backup');
  const verify = useChannelMutation('keys:verifyBackup');
  const migrate = useChannelMutation('keys:migrate');
  const queryClient = useQueryClient();
  const live = useLatestJob(MIGRATION_JOB);
  // The call answers when the job ends; until then the pushed events tell how far it is.
  const progress = migrate.data ?? live;
  // Migration moves keys for good: it starts only after the officer confirms it in a dialog naming what moves where.
  const [confirming, setConfirming] = useState(false);

  function choose(id: string) {
    setChosen(id);
    backup.reset();
    verify.reset();
    migrate.reset();
    clearJobProgress(queryClient, MIGRATION_JOB);
  }

  function startMigration() {
    setConfirming(false);
    clearJobProgress(queryClient, MIGRATION_JOB);
    migrate.mutate({ providerId: target });
  }

  const options = targets.map((p) => ({ value: p.id, label: p.id }));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (
    <section aria-label="Hybrid mode: local keys and a KMS">
      <Container header={<Header variant="h2" description={`${plural(localKeys, 'local key')} in the store.`}>Hybrid mode: local keys and a KMS</Header>}>
        {targets.length === 0 ? (
          <Box color="text-status-inactive">Add a provider first: backups and migrations go to a configured KMS.</Box>
        ) : (
          <SpaceBetween size="l">
            <FormField label="Target provider">
              <Select selectedOption={options.find((o) => o.value === target) ?? null} onChange={(e) => choose(e.detail.selectedOption.value ?? '')} options={options} />
            </FormField>
            <ColumnLayout columns={2} variant="text-grid">
              <SpaceBetween size="s">
                <Header variant="h3" description={`Wraps the material of every local key under a key of ${target}. The keys stay local.`}>
                  Backup
                </Header>
                <SpaceBetween direction="horizontal" size="xs">
                  <Button loading={backup.isPending} loadingText="Backing up" onClick={() => backup.mutate({ providerId: target })}>
                    {`Back up local keys to ${target}`}
                  </Button>
                  <Button loading={verify.isPending} loadingText="Verifying" onClick={() => verify.mutate({ providerId: target })}>
                    Verify backup
                  </Button>
                </SpaceBetween>
                <ErrorMessage error={backup.error} />
                {backup.data && (
                  <Alert type="success" statusIconAriaLabel="Success">
                    <span role="status" aria-label="Backup result">
                      Backed up {plural(backup.data.backedUp, 'key')} ({plural(backup.data.versions, 'version')}) to {target} under{' '}
                      <Box variant="code" display="inline">
                        {backup.data.providerKeyRef}
                      </Box>
                      .
                    </span>
                  </Alert>
                )}
                <ErrorMessage error={verify.error} />
                {verify.data && (
                  <Alert type={verify.data.ok ? 'success' : 'error'} statusIconAriaLabel={verify.data.ok ? 'Success' : 'Error'}>
                    <span role="status" aria-label="Backup verification">
                      {verify.data.ok
                        ? `Backup verified: ${plural(verify.data.checked, 'version')} unwrapped from ${target} and identical to the store.`
                        : `Backup verification FAILED: ${verify.data.failures.length} of ${plural(verify.data.checked, 'version')} did not match.`}
                    </span>
                    {!verify.data.ok && (
                      <ul>
                        {verify.data.failures.map((f) => (
                          <li key={`${f.keyId}/${f.version}`}>
                            <Box variant="code" display="inline">
                              {f.keyId}
                            </Box>{' '}
                            v{f.version}: {f.reason}
                          </li>
                        ))}
                      </ul>
                    )}
                  </Alert>
                )}
              </SpaceBetween>
              <SpaceBetween size="s">
                <Header
                  variant="h3"
                  description={`Moves every local encryption key to ${target}: its next version is created there and new data is protected by ${target}. Earlier versions keep decrypting what they protected. Signing keys stay local.`}
                >
                  Migration
                </Header>
                <Box>
                  <Button loading={migrate.isPending} loadingText="Migrating" onClick={() => setConfirming(true)}>
                    {`Migrate local keys to ${target}`}
                  </Button>
                </Box>
                <ErrorMessage error={migrate.error} />
                {progress && <MigrationProgress progress={progress} target={target} />}
                {confirming && <ConfirmMigration target={target} localKeys={localKeys} onConfirm={startMigration} onCancel={() => setConfirming(false)} />}
              </SpaceBetween>
            </ColumnLayout>
          </SpaceBetween>
        )}
      </Container>
    </section>
  );
}
