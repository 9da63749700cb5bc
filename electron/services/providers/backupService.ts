// backup_keys_to_kms: wraps every version's material of local keys under a backup key in a provider ('ecps-backup',
// created on first use) and keeps the wrapped copies in the store; verifyBackup unwraps each through the provider
// and checks it against the store's own record of that version (check value or public key), per version.
// Material above the provider's plaintext limit is wrapped in a one-recipient envelope instead of directly.
import crypto from 'node:crypto';
import type { JobProgress } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { checkKeyIntegrity } from '../../crypto/keyMaterial.ts';
import { decryptFromRecipients, encryptForRecipients } from '../../providers/multiEnvelope.ts';
import { isProviderError, type KmsProvider } from '../../providers/types.ts';
import type { KeyBackupsRepo } from '../../store/keyBackupsRepo.ts';
import type { KeyRow } from '../../store/keysRepo.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { allowedIn, requireState } from '../keys/keyPolicy.ts';
import { type KeyServiceDeps, loadKey, unwrapVersion } from '../keys/keysShared.ts';
import { failureAuditDetails, providerFailure } from './providerErrors.ts';

export const BACKUP_KEY_NAME = 'ecps-backup';
const DIRECT = 1;
const ENVELOPE = 2;

export interface BackupDeps extends KeyServiceDeps {
  backups: KeyBackupsRepo;
  /** The job's progress (kind keys.backup) after each key, as keys:migrate reports its own: the CLI prints it. */
  onProgress?(progress: JobProgress): void;
}

export interface BackupService {
  backup(providerId: string, keyIds?: string[]): Promise<{ backedUp: number; versions: number; providerKeyRef: string }>;
  verify(providerId: string): Promise<{ ok: boolean; checked: number; failures: Array<{ keyId: string; version: number; reason: string }> }>;
}

const backupAad = (storeId: string, keyId: string, version: number, algorithm: string) =>
  Buffer.from(`ecps/key-backup/v1|${storeId}|${keyId}|${version}|${algorithm}`, 'utf8');

export function createBackupService(deps: BackupDeps): BackupService {
  const { repo, registry, backups } = deps;

  const audited = async <T>(action: string, providerId: string, fn: () => Promise<{ value: T; details: AuditDetails }>): Promise<T> => {
    try {
      deps.session.require();
      const { value, details } = await fn();
      deps.audit.append({ actor: deps.session.actor(), action, targetType: null, targetId: providerId, outcome: 'success', details: { provider: providerId, ...details } });
      return value;
    } catch (e) {
      const err = providerFailure(e);
      deps.audit.append({ actor: deps.session.actor(), action, targetType: null, targetId: providerId, outcome: 'failure', details: { provider: providerId, ...failureAuditDetails(err), code: err.code } });
      throw err;
    }
  };

  /** The provider's backup key: the one already used for backups, else one named ecps-backup, else a new one. */
  const backupKeyRef = async (p: KmsProvider): Promise<string> => {
    const previous = backups.listByProvider(p.id)[0];
    if (previous) return previous.backupKeyRef;
    let token: string | null = null;
    do {
      const page = await p.listKeys({ pageSize: 100, pageToken: token });
      const found = page.items.find((k) => k.usage === 'encrypt' && k.state === 'enabled' && (k.name === BACKUP_KEY_NAME || k.name?.endsWith(`/${BACKUP_KEY_NAME}`)));
      if (found) return found.keyRef;
      token = page.nextPageToken;
    } while (token);
    return (await p.createKey({ name: BACKUP_KEY_NAME, spec: 'AES_256', usage: 'encrypt', description: 'ECPS console key backups' })).keyRef;
  };

  // All keys: those that may still be copied; named keys: each must be (keyPolicy.ts, 'backup').
  const selectKeys = (keyIds: string[] | undefined): KeyRow[] =>
    keyIds === undefined
      ? repo.list({}).filter((k) => allowedIn(k.state, 'backup'))
      : keyIds.map((id) => {
          const key = loadKey(repo, id);
          requireState(key, 'backup', deps.restrictions);
          return key;
        });

  return {
    backup(providerId, keyIds) {
      return audited('key.backup', providerId, async () => {
        const s = deps.session.require();
        const p = registry.require(providerId).provider;
        const keys = selectKeys(keyIds);
        const ref = await backupKeyRef(p);
        let versions = 0;
        let backedUp = 0;
        const job: JobProgress = { jobId: crypto.randomUUID(), kind: 'keys.backup', state: 'running', done: 0, total: keys.length, current: null, error: null, errorCode: null };
        const report = (patch: Partial<JobProgress>) => {
          Object.assign(job, patch);
          deps.onProgress?.({ ...job });
        };
        report({});
        try {
          for (const key of keys) {
            report({ current: `backing up key "${key.label}" (${key.id}) to ${providerId}` });
            let any = false;
            for (const v of repo.listVersions(key.id)) {
              if (v.destroyed || !v.wrappedMaterial) continue;
              const material = unwrapVersion(s, key, v);
              try {
                const aad = backupAad(s.storeId, key.id, v.version, key.algorithm);
                let wrapped: Buffer;
                if (material.length <= p.capabilities.maxPlaintextBytes) {
                  wrapped = Buffer.concat([Buffer.from([DIRECT]), (await p.encrypt(ref, material, aad)).ciphertext]);
                } else {
                  const r = await encryptForRecipients({ storeId: s.storeId }, [{ provider: p, keyRef: ref }], material, aad);
                  wrapped = Buffer.concat([Buffer.from([ENVELOPE]), r.ciphertext]);
                }
                backups.upsert({ provider: providerId, keyId: key.id, version: v.version, backupKeyRef: ref, wrapped, checkValue: v.checkValue, createdAt: new Date(deps.clock.now()).toISOString() });
                versions++;
                any = true;
              } finally {
                material.fill(0);
              }
            }
            if (any) backedUp++;
            report({ done: job.done + 1 });
          }
        } catch (e) {
          const err = providerFailure(e);
          report({ state: 'failed', current: null, error: err.message.slice(0, 500), errorCode: err.code });
          throw e;
        }
        report({ state: 'done', current: null });
        return { value: { backedUp, versions, providerKeyRef: ref }, details: { keys: backedUp, versions, providerKeyRef: ref } };
      });
    },

    verify(providerId) {
      return audited('key.verify_backup', providerId, async () => {
        const s = deps.session.require();
        const p = registry.require(providerId).provider;
        const failures: Array<{ keyId: string; version: number; reason: string }> = [];
        const rows = backups.listByProvider(providerId);
        for (const row of rows) {
          const key = repo.get(row.keyId);
          const v = key ? repo.getVersion(row.keyId, row.version) : null;
          if (!key || !v || v.destroyed) {
            failures.push({ keyId: row.keyId, version: row.version, reason: 'the store no longer holds this key version' });
            continue;
          }
          const aad = backupAad(s.storeId, key.id, v.version, key.algorithm);
          let material: Buffer | null = null;
          try {
            const body = row.wrapped.subarray(1);
            if (row.wrapped[0] === DIRECT) material = (await p.decrypt(row.backupKeyRef, body, aad)).plaintext;
            else if (row.wrapped[0] === ENVELOPE) material = (await decryptFromRecipients({ storeId: s.storeId }, (id) => (id === p.id ? p : undefined), body, aad)).plaintext;
            else throw new ConsoleError('integrity_failure', 'unknown backup format');
            const reason = checkKeyIntegrity(key.algorithm, material, v.publicSpki, v.checkValue);
            if (reason !== null) failures.push({ keyId: key.id, version: v.version, reason: `the backup does not match the store: ${reason}` });
          } catch (e) {
            if (isProviderError(e) && (e.kind === 'Unavailable' || e.kind === 'Throttled' || e.kind === 'AccessDenied')) throw e;
            const err = providerFailure(e, 'integrity_failure');
            failures.push({ keyId: key.id, version: v.version, reason: `the backup did not unwrap (${err.code}): ${err.message}`.slice(0, 300) });
          } finally {
            material?.fill(0);
          }
        }
        const ok = failures.length === 0;
        return { value: { ok, checked: rows.length, failures }, details: { checked: rows.length, failed: failures.length } };
      });
    },
  };
}
