import { useId, useState } from 'react';
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
  const selectId = useId();
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

  return (
    <section className="panel" aria-labelledby="hybrid-title">
      <h2 id="hybrid-title">Hybrid mode: local keys and a KMS</h2>
      {targets.length === 0 ? (
        <p className="muted">Add a provider first: backups and migrations go to a configured KMS.</p>
      ) : (
        <>
          <div className="toolbar">
            <label htmlFor={selectId}>Target provider</label>
            <select id={selectId} value={target} onChange={(e) => choose(e.target.value)}>
              {targets.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.id}
                </option>
              ))}
            </select>
            <span className="muted">
              {localKeys} local key{localKeys === 1 ? '' : 's'}
            </span>
          </div>
          <div className="hybrid-actions">
            <div className="hybrid-action">
              <h3>Backup</h3>
              <p className="small muted">Wraps the material of every local key under a key of {target}. The keys stay local.</p>
              <div className="toolbar">
                <button type="button" disabled={backup.isPending} onClick={() => backup.mutate({ providerId: target })}>
                  {backup.isPending ? 'Backing up…' : `Back up local keys to ${target}`}
                </button>
                <button type="button" disabled={verify.isPending} onClick={() => verify.mutate({ providerId: target })}>
                  {verify.isPending ? 'Verifying…' : 'Verify backup'}
                </button>
              </div>
              <ErrorMessage error={backup.error} />
              {backup.data && (
                <p className="result-ok" role="status" aria-label="Backup result">
                  Backed up {backup.data.backedUp} key{backup.data.backedUp === 1 ? '' : 's'} ({backup.data.versions} version
                  {backup.data.versions === 1 ? '' : 's'}) to {target} under <code className="wrap">{backup.data.providerKeyRef}</code>.
                </p>
              )}
              <ErrorMessage error={verify.error} />
              {verify.data &&
                (verify.data.ok ? (
                  <p className="result-ok" role="status" aria-label="Backup verification">
                    Backup verified: {verify.data.checked} version{verify.data.checked === 1 ? '' : 's'} unwrapped from {target} and
                    identical to the store.
                  </p>
                ) : (
                  <div className="result-bad" role="status" aria-label="Backup verification">
                    Backup verification FAILED: {verify.data.failures.length} of {verify.data.checked} version
                    {verify.data.checked === 1 ? '' : 's'} did not match.
                    <ul>
                      {verify.data.failures.map((f) => (
                        <li key={`${f.keyId}/${f.version}`}>
                          <code>{f.keyId}</code> v{f.version}: {f.reason}
                        </li>
                      ))}
                    </ul>
                  </div>
                ))}
            </div>
            <div className="hybrid-action">
              <h3>Migration</h3>
              <p className="small muted">
                Moves every local encryption key to {target}: its next version is created there and new data is protected by{' '}
                {target}. Earlier versions keep decrypting what they protected. Signing keys stay local.
              </p>
              <div className="toolbar">
                <button type="button" disabled={migrate.isPending} onClick={() => setConfirming(true)}>
                  {migrate.isPending ? 'Migrating…' : `Migrate local keys to ${target}`}
                </button>
              </div>
              <ErrorMessage error={migrate.error} />
              {progress && <MigrationProgress progress={progress} target={target} />}
              {confirming && <ConfirmMigration target={target} localKeys={localKeys} onConfirm={startMigration} onCancel={() => setConfirming(false)} />}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
