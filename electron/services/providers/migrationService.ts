// keys:migrate: moves local encryption keys to a provider, one key at a time. For each key a provider key is created
// and the key's NEXT version is made to live there, in one transaction with its audit record: new data uses the
// provider, older versions keep decrypting from the store, so at no moment is the key unusable. A failure stops the
// job: keys already moved stay moved, the rest stay untouched, and the result names the key that failed.
import crypto from 'node:crypto';
import type { JobProgress } from '../../../shared/contract.ts';
import { LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { KeyRow } from '../../store/keysRepo.ts';
import { MIN_DESTRUCTION_WAITING_DAYS, providerKeyName, providerVersionRow } from '../keys/keyLocations.ts';
import { allowedIn } from '../keys/keyPolicy.ts';
import { type KeyServiceDeps, loadKey } from '../keys/keysShared.ts';
import { failureAuditDetails, providerFailure } from './providerErrors.ts';

export interface MigrationDeps extends KeyServiceDeps {
  onProgress(progress: JobProgress): void;
}

export interface MigrationService {
  migrate(providerId: string, keyIds?: string[]): Promise<JobProgress>;
}

/** Local encryption keys that may still be handed elsewhere (not compromised, not destroyed: keyPolicy.ts). */
const migratable = (k: KeyRow) => k.provider === LOCAL_PROVIDER_ID && k.algorithm === 'AES_256' && allowedIn(k.state, 'backup');

export function createMigrationService(deps: MigrationDeps): MigrationService {
  const { repo, registry } = deps;

  const moveOne = async (key: KeyRow, providerId: string): Promise<void> => {
    const p = registry.require(providerId).provider;
    const made = await p.createKey({ name: providerKeyName(key.id), spec: 'AES_256', usage: 'encrypt', description: `ECPS console key ${key.id}` });
    try {
      if (key.state === 'suspended' || key.state === 'pre_activation') await p.disable(made.keyRef);
      const at = new Date(deps.clock.now()).toISOString();
      const version = key.currentVersion + 1;
      const row = await providerVersionRow(p, made.keyRef, { ...key, provider: providerId }, version, made.currentVersion, at);
      deps.transaction(() => {
        const now = loadKey(repo, key.id);
        if (!migratable(now)) throw new ConsoleError('illegal_transition', `Key ${key.id} changed while it was being moved.`);
        repo.insertVersion(row);
        repo.setCurrentVersion(key.id, version, at, now.nextRotationAt);
        repo.setProvider(key.id, providerId, made.keyRef, at);
        deps.audit.append({ actor: deps.session.actor(), action: 'key.migrate', targetType: 'key', targetId: key.id, outcome: 'success', details: { provider: providerId, version, fromProvider: LOCAL_PROVIDER_ID } });
      });
    } catch (e) {
      // The provider key is referenced by nothing: retire it.
      await p.scheduleDestruction(made.keyRef, p.capabilities.scheduledDestruction ? MIN_DESTRUCTION_WAITING_DAYS : 0).catch(() => undefined);
      throw e;
    }
  };

  return {
    async migrate(providerId, keyIds) {
      deps.session.require();
      registry.require(providerId);
      const keys = keyIds === undefined ? repo.list({}).filter(migratable) : keyIds.map((id) => loadKey(repo, id));
      for (const k of keys) {
        if (!migratable(k)) {
          throw new ConsoleError('invalid_input', `Key ${k.id} cannot be moved: only encryption keys held in the local store (neither compromised nor destroyed) move to a provider.`, { field: 'keyIds' });
        }
      }
      const job: JobProgress = { jobId: crypto.randomUUID(), kind: 'keys.migrate', state: 'running', done: 0, total: keys.length, current: null, error: null, errorCode: null };
      const report = (patch: Partial<JobProgress>) => {
        Object.assign(job, patch);
        deps.onProgress({ ...job });
      };
      report({});
      for (const key of keys) {
        report({ current: `moving key "${key.label}" (${key.id}) to ${providerId}` });
        try {
          await moveOne(key, providerId);
          deps.onKeysChanged(key.id);
        } catch (e) {
          const err = providerFailure(e);
          deps.audit.append({ actor: deps.session.actor(), action: 'key.migrate', targetType: 'key', targetId: key.id, outcome: 'failure', details: { provider: providerId, ...failureAuditDetails(err), code: err.code } });
          report({ state: 'failed', current: null, error: `Key "${key.label}" (${key.id}) was not moved: ${err.message}`.slice(0, 500), errorCode: err.code });
          return { ...job };
        }
        report({ done: job.done + 1 });
      }
      report({ state: 'done', current: null });
      return { ...job };
    },
  };
}
