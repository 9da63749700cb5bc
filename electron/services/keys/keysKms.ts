// KMS-backed keys: their material lives in a provider (AWS KMS, Vault transit); the store keeps the metadata, the
// provider key reference and, per version, the provider's version number. Lifecycle state changes map onto the
// provider (docs/providers.md, "Keys on providers"): active -> enable, suspended -> disable, deactivated / compromised -> enable
// (they still decrypt and verify; the console refuses new encryption and signatures), destroyed ->
// scheduleDestruction with the provider's minimum waiting period (the console refuses every use at once).
import crypto from 'node:crypto';
import type { KeySummary } from '../../../shared/contract.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { canTransition, KEY_TYPE_PROFILES, type KeyAlgorithm, type KeyState, type KeyType } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { publicKeyFingerprint, SIGNATURE_ALGORITHMS } from '../../crypto/keyMaterial.ts';
import { createKeyWithFailover } from '../../providers/multiEnvelope.ts';
import type { KmsProvider, ProviderKeyInfo } from '../../providers/types.ts';
import type { KeyRow, KeyVersionRow } from '../../store/keysRepo.ts';
import { checkLocalVersion, type IntegrityReport } from './keys.ts';
import { backupOf, consoleVersionOf, type KmsKeyDeps, providerKeyName, providerOf, providerVersionOf } from './keysKmsShared.ts';
import { loadKey, loadVersion, newKeyRow, nextRotation, requireProcess, requireProtect, runAuditedAsync, toSummary } from './keysShared.ts';

/** AWS KMS allows 7 to 30 days; the console asks for the minimum so the material goes as soon as the provider allows. */
export const MIN_DESTRUCTION_WAITING_DAYS = 7;

export interface KmsCreateInput {
  type: KeyType;
  label: string;
  algorithm?: KeyAlgorithm;
  activate?: boolean;
  provider: string;
  backupProvider?: string;
}

/** What the store records of one provider-held version: the provider's version and, for signing keys, the public key. */
export async function providerVersionRow(p: KmsProvider, keyRef: string, key: Pick<KeyRow, 'id' | 'algorithm' | 'provider'>, version: number, providerVersion: number, at: string): Promise<KeyVersionRow> {
  let publicSpki: Buffer | null = null;
  if (key.algorithm !== 'AES_256') {
    const { pem } = await p.getPublicKey(keyRef, providerVersion);
    publicSpki = crypto.createPublicKey(pem).export({ format: 'der', type: 'spki' });
  }
  return {
    keyId: key.id,
    version,
    createdAt: at,
    checkValue: publicSpki ? publicKeyFingerprint(publicSpki) : `provider:${key.provider}`,
    publicSpki,
    wrappedMaterial: null,
    destroyed: false,
    provider: key.provider,
    providerVersion,
  };
}

export interface KmsKeyLifecycle {
  create(input: KmsCreateInput): Promise<KeySummary>;
  rotate(keyId: string): Promise<KeySummary>;
  setState(keyId: string, state: KeyState, reason: string): Promise<KeySummary>;
  publicKey(keyId: string, version?: number): Promise<{ pem: string; version: number }>;
  sign(keyId: string, data: Buffer): Promise<{ signature: Buffer; keyId: string; version: number; algorithm: string }>;
  verify(keyId: string, data: Buffer, signature: Buffer, version?: number): Promise<boolean>;
  /** Local versions are checked against their material; provider-held ones against what the provider reports. */
  verifyIntegrity(keyId: string): Promise<IntegrityReport>;
}

export function createKmsKeyLifecycle(deps: KmsKeyDeps): KmsKeyLifecycle {
  const { repo, clock, registry } = deps;
  const nowIso = () => new Date(clock.now()).toISOString();

  const signingKey = (key: KeyRow) => {
    if (key.algorithm === 'AES_256') throw new ConsoleError('unsupported_operation', `Key ${key.id} is an AES key; it makes no signatures.`);
  };

  return {
    async create(input) {
      const summary = await runAuditedAsync(deps, 'key.create', null, async (_s, note) => {
        const profile = KEY_TYPE_PROFILES[input.type];
        const algorithm = input.algorithm ?? profile.algorithms[0]!;
        note({ type: input.type, algorithm, provider: input.provider });
        if (!profile.algorithms.includes(algorithm)) {
          throw new ConsoleError('invalid_input', `A ${input.type} key uses ${profile.algorithms.join(' or ')}, not ${algorithm}.`, { field: 'algorithm' });
        }
        const primary = registry.require(input.provider).provider;
        let backup: KmsProvider | null = null;
        if (input.backupProvider !== undefined) {
          if (profile.usage !== 'encrypt') throw new ConsoleError('invalid_input', 'A backup provider wraps data keys; only encryption keys take one.', { field: 'backupProvider' });
          if (input.backupProvider === input.provider) throw new ConsoleError('invalid_input', 'The backup provider must differ from the primary provider.', { field: 'backupProvider' });
          backup = registry.require(input.backupProvider).provider;
          note({ backupProvider: input.backupProvider });
        }
        const id = crypto.randomUUID();
        note({ keyId: id });
        const spec = { name: providerKeyName(id), spec: algorithm, usage: profile.usage, description: `ECPS console key ${id}` } as const;
        const made = await createKeyWithFailover(primary, backup, spec);
        let backupKey: ProviderKeyInfo | null = null;
        if (backup && !made.failedOver) {
          try {
            backupKey = await backup.createKey(spec);
          } catch (e) {
            // Without its backup wrap the key would not be what was asked for: retire the primary key, then refuse.
            await primary.scheduleDestruction(made.key.keyRef, primary.capabilities.scheduledDestruction ? MIN_DESTRUCTION_WAITING_DAYS : 0).catch(() => undefined);
            throw e;
          }
        }
        const holder = made.failedOver ? backup! : primary;
        if (input.activate === false) await holder.disable(made.key.keyRef);
        const at = nowIso();
        const row = newKeyRow({
          id, label: input.label, type: input.type, algorithm, activate: input.activate, rotationSeconds: profile.rotationSeconds, at,
          provider: made.providerId, providerKeyRef: made.key.keyRef, backupProvider: backupKey ? backup!.id : null, backupKeyRef: backupKey?.keyRef ?? null,
        });
        const state = row.state;
        const version = await providerVersionRow(holder, made.key.keyRef, row, 1, made.key.currentVersion, at);
        const failover: AuditDetails = made.failedOver
          ? { failover: true, from: input.provider, to: made.providerId, reason: made.primaryFailure ? `${made.primaryFailure.kind}: ${made.primaryFailure.message}`.slice(0, 300) : null }
          : {};
        if (made.failedOver) deps.logger.warn('key created on the backup provider: the primary is unreachable', { from: input.provider, to: made.providerId });
        return {
          value: toSummary(row),
          details: { label: input.label, state, provider: made.providerId, ...failover },
          commit: () => {
            repo.insertKey(row);
            repo.insertVersion(version);
          },
        };
      });
      deps.onKeysChanged(summary.id);
      return summary;
    },

    async rotate(keyId) {
      const summary = await runAuditedAsync(deps, 'key.rotate', keyId, async () => {
        const key = loadKey(repo, keyId);
        if (key.state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${keyId} was destroyed.`);
        if (key.state !== 'active') throw new ConsoleError('key_disabled', `Key ${keyId} is ${key.state}; only active keys are rotated.`, { state: key.state });
        const p = providerOf(deps, key);
        if (key.algorithm !== 'AES_256' && !p.provider.capabilities.rotateSigningKeys) {
          throw new ConsoleError(
            'unsupported_operation',
            `Provider ${key.provider} (${p.config.kind}) cannot rotate signing keys: AWS KMS rotates only symmetric keys. Create a new signing key and move its users to it.`,
            { provider: key.provider },
          );
        }
        const { version: pv } = await p.provider.rotate(p.keyRef);
        const version = key.currentVersion + 1;
        const at = nowIso();
        const row = await providerVersionRow(p.provider, p.keyRef, key, version, pv, at);
        const next = nextRotation(key.rotationSeconds, at, key.state);
        // A cached encryption data key is wrapped under the old version: new data must use the new one.
        registry.cache().clear();
        return {
          value: toSummary({ ...key, currentVersion: version, updatedAt: at, nextRotationAt: next }),
          details: { version, provider: key.provider, providerVersion: pv },
          commit: () => {
            repo.insertVersion(row);
            repo.setCurrentVersion(keyId, version, at, next);
          },
        };
      });
      deps.onKeysChanged(keyId);
      return summary;
    },

    async setState(keyId, state, reason) {
      const summary = await runAuditedAsync(deps, 'key.state', keyId, async (_s, note) => {
        const key = loadKey(repo, keyId);
        note({ from: key.state, to: state, provider: key.provider });
        if (!canTransition(key.state, state)) {
          throw new ConsoleError('illegal_transition', `A ${key.state} key cannot become ${state}.`, { from: key.state, to: state });
        }
        const p = providerOf(deps, key);
        const targets: Array<{ provider: KmsProvider; keyRef: string }> = [p];
        const b = backupOf(deps, key);
        if (b) targets.push(b);
        let providerAction: string;
        if (state === 'destroyed') {
          const dates: string[] = [];
          for (const t of targets) {
            const days = t.provider.capabilities.scheduledDestruction ? MIN_DESTRUCTION_WAITING_DAYS : 0;
            dates.push((await t.provider.scheduleDestruction(t.keyRef, days)).deletionDate);
          }
          if (key.fallbackKeyRef) await deps.localKms.scheduleDestruction(key.fallbackKeyRef, 0).catch(() => undefined);
          providerAction = `scheduleDestruction until ${dates[0]}`;
          note({ deletionDate: dates[0] ?? null });
        } else if (state === 'suspended') {
          for (const t of targets) await t.provider.disable(t.keyRef);
          providerAction = 'disable';
        } else {
          // active, deactivated, compromised: the provider key stays usable for decrypt / verify.
          if (key.state === 'suspended' || key.state === 'pre_activation') for (const t of targets) await t.provider.enable(t.keyRef);
          providerAction = key.state === 'suspended' || key.state === 'pre_activation' ? 'enable' : 'none';
        }
        const at = nowIso();
        const stateReason = reason.trim() === '' ? null : reason.trim();
        const next = state === 'destroyed' ? null : key.nextRotationAt;
        if (state === 'destroyed') registry.cache().clear();
        return {
          value: toSummary({ ...key, state, stateReason, updatedAt: at, nextRotationAt: next }),
          details: { reason: stateReason, providerAction },
          commit: () => {
            if (state === 'destroyed') repo.destroyMaterial(keyId);
            repo.updateState(keyId, state, stateReason, at, next);
          },
        };
      });
      if (state === 'destroyed') deps.checkpointWal();
      deps.onKeysChanged(keyId);
      return summary;
    },

    publicKey(keyId, version) {
      return runAuditedAsync(deps, 'key.export_public', keyId, async () => {
        const key = loadKey(repo, keyId);
        signingKey(key);
        if (key.state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${keyId} was destroyed.`);
        const v = loadVersion(repo, key, version ?? key.currentVersion);
        const p = providerOf(deps, key);
        const { pem } = await p.provider.getPublicKey(p.keyRef, providerVersionOf(v));
        return { value: { pem, version: v.version }, details: { version: v.version, provider: key.provider } };
      });
    },

    sign(keyId, data) {
      return runAuditedAsync(deps, 'key.sign', keyId, async () => {
        const key = loadKey(repo, keyId);
        signingKey(key);
        requireProtect(key);
        const p = providerOf(deps, key);
        const current = loadVersion(repo, key, key.currentVersion);
        const { signature, version: pv } = await p.provider.sign(p.keyRef, data, providerVersionOf(current));
        const version = consoleVersionOf(repo.listVersions(keyId), key.provider, pv, key.currentVersion);
        const algorithm = SIGNATURE_ALGORITHMS[key.algorithm as 'RSA_2048' | 'EC_P256'];
        return { value: { signature, keyId, version, algorithm }, details: { version, bytes: data.length, algorithm, provider: key.provider } };
      });
    },

    verify(keyId, data, signature, version) {
      return runAuditedAsync(deps, 'key.verify', keyId, async () => {
        const key = loadKey(repo, keyId);
        signingKey(key);
        requireProcess(key);
        const v = loadVersion(repo, key, version ?? key.currentVersion);
        const p = providerOf(deps, key);
        const valid = await p.provider.verify(p.keyRef, data, signature, providerVersionOf(v));
        return { value: valid, details: { version: v.version, valid, provider: key.provider } };
      });
    },

    verifyIntegrity(keyId) {
      return runAuditedAsync(deps, 'key.verify_integrity', keyId, async (s) => {
        const key = loadKey(repo, keyId);
        if (key.state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${keyId} was destroyed; nothing is left to check.`);
        const p = providerOf(deps, key);
        const info = await p.provider.describeKey(p.keyRef);
        const versions = repo.listVersions(keyId).map((v) => {
          if (v.provider === null || v.provider === undefined) return checkLocalVersion(s, key, v);
          const known = info.state !== 'destroyed' && (v.providerVersion ?? 1) <= info.currentVersion;
          return { version: v.version, ok: known, reason: known ? null : `provider ${key.provider} no longer holds this version (key ${info.state})` };
        });
        const ok = versions.every((v) => v.ok);
        return {
          value: { ok, versions },
          details: { versions: versions.length, provider: key.provider, providerState: info.state },
          ...(ok ? {} : { failureCode: 'integrity_failure' }),
        };
      });
    },
  };
}
