// Key lifecycle: generate, list, get, rotate, state changes (NIST SP 800-57), public-key export, integrity check.
// Envelope encryption and signatures live in keysCrypto.ts.
import crypto from 'node:crypto';
import type { KeyDetail, KeySummary } from '../../../shared/contract.ts';
import { canTransition, KEY_TYPE_PROFILES, type KeyAlgorithm, type KeyState, type KeyType } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { checkKeyIntegrity, generateKeyMaterial, spkiToPem } from '../../crypto/keyMaterial.ts';
import type { KeyFilter, KeyRow, KeyVersionRow } from '../../store/keysRepo.ts';
import type { UnlockedSession } from '../session/session.ts';
import {
  type KeyServiceDeps,
  loadKey,
  loadVersion,
  newKeyRow,
  nextRotation,
  runAudited,
  toDetail,
  toSummary,
} from './keysShared.ts';

export interface CreateKeyInput {
  type: KeyType;
  label: string;
  algorithm?: KeyAlgorithm;
  activate?: boolean;
}

export interface IntegrityReport {
  ok: boolean;
  versions: Array<{ version: number; ok: boolean; reason: string | null }>;
}

export interface KeyLifecycle {
  create(input: CreateKeyInput): KeySummary;
  list(filter: KeyFilter): KeySummary[];
  get(keyId: string): KeyDetail;
  rotate(keyId: string): KeySummary;
  setState(keyId: string, state: KeyState, reason: string): KeySummary;
  publicKey(keyId: string, version?: number): { pem: string; version: number };
  verifyIntegrity(keyId: string): IntegrityReport;
}

function addVersion(deps: KeyServiceDeps, s: UnlockedSession, key: Pick<KeyRow, 'id' | 'algorithm'>, version: number, at: string) {
  const gen = generateKeyMaterial(key.algorithm);
  try {
    deps.repo.insertVersion({
      keyId: key.id,
      version,
      createdAt: at,
      checkValue: gen.checkValue,
      publicSpki: gen.publicSpki,
      wrappedMaterial: s.keyring.wrapMaterial(key.id, version, key.algorithm, gen.material),
      destroyed: false,
    });
  } finally {
    gen.material.fill(0);
  }
}

/** Checks one version whose material is in this store (check value / public key against the unwrapped material). */
export function checkLocalVersion(s: UnlockedSession, key: KeyRow, v: KeyVersionRow): { version: number; ok: boolean; reason: string | null } {
  if (v.destroyed || !v.wrappedMaterial) return { version: v.version, ok: false, reason: 'key material is missing' };
  const material = s.keyring.unwrapMaterial(key.id, v.version, key.algorithm, v.wrappedMaterial);
  if (!material) return { version: v.version, ok: false, reason: 'stored key material failed authentication' };
  try {
    const reason = checkKeyIntegrity(key.algorithm, material, v.publicSpki, v.checkValue);
    return { version: v.version, ok: reason === null, reason };
  } finally {
    material.fill(0);
  }
}

export function createKeyLifecycle(deps: KeyServiceDeps): KeyLifecycle {
  const { repo, clock } = deps;
  const nowIso = () => new Date(clock.now()).toISOString();

  return {
    create(input) {
      const summary = runAudited(
        deps,
        'key.create',
        null,
        (s, note) => {
          const profile = KEY_TYPE_PROFILES[input.type];
          const algorithm = input.algorithm ?? profile.algorithms[0]!;
          note({ type: input.type, algorithm });
          if (!profile.algorithms.includes(algorithm)) {
            throw new ConsoleError('invalid_input', `A ${input.type} key uses ${profile.algorithms.join(' or ')}, not ${algorithm}.`, { field: 'algorithm' });
          }
          const id = crypto.randomUUID();
          note({ keyId: id });
          const at = nowIso();
          const row = newKeyRow({ id, label: input.label, type: input.type, algorithm, activate: input.activate, rotationSeconds: profile.rotationSeconds, at, provider: 'local' });
          const state = row.state;
          repo.insertKey(row);
          addVersion(deps, s, row, 1, at);
          return { value: toSummary(row), details: { label: input.label, state } };
        },
        true,
      );
      deps.onKeysChanged(summary.id);
      return summary;
    },

    list(filter) {
      deps.session.require();
      return repo.list(filter).map(toSummary);
    },

    get(keyId) {
      deps.session.require();
      return toDetail(loadKey(repo, keyId), repo.listVersions(keyId));
    },

    rotate(keyId) {
      const summary = runAudited(
        deps,
        'key.rotate',
        keyId,
        (s) => {
          const key = loadKey(repo, keyId);
          if (key.state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${keyId} was destroyed.`);
          if (key.state !== 'active') throw new ConsoleError('key_disabled', `Key ${keyId} is ${key.state}; only active keys are rotated.`, { state: key.state });
          const version = key.currentVersion + 1;
          const at = nowIso();
          addVersion(deps, s, key, version, at);
          const next = nextRotation(key.rotationSeconds, at, key.state);
          repo.setCurrentVersion(keyId, version, at, next);
          return { value: toSummary({ ...key, currentVersion: version, updatedAt: at, nextRotationAt: next }), details: { version } };
        },
        true,
      );
      deps.onKeysChanged(keyId);
      return summary;
    },

    setState(keyId, state, reason) {
      const summary = runAudited(
        deps,
        'key.state',
        keyId,
        (_s, note) => {
          const key = loadKey(repo, keyId);
          note({ from: key.state, to: state });
          if (!canTransition(key.state, state)) {
            throw new ConsoleError('illegal_transition', `A ${key.state} key cannot become ${state}.`, { from: key.state, to: state });
          }
          const at = nowIso();
          const stateReason = reason.trim() === '' ? null : reason.trim();
          const next = state === 'destroyed' ? null : key.nextRotationAt;
          if (state === 'destroyed') repo.destroyMaterial(keyId);
          repo.updateState(keyId, state, stateReason, at, next);
          return { value: toSummary({ ...key, state, stateReason, updatedAt: at, nextRotationAt: next }), details: { reason: stateReason } };
        },
        true,
      );
      if (state === 'destroyed') deps.checkpointWal();
      deps.onKeysChanged(keyId);
      return summary;
    },

    publicKey(keyId, version) {
      return runAudited(deps, 'key.export_public', keyId, () => {
        const key = loadKey(repo, keyId);
        if (key.algorithm === 'AES_256') throw new ConsoleError('unsupported_operation', 'An AES key has no public key.');
        if (key.state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${keyId} was destroyed.`);
        const v = loadVersion(repo, key, version ?? key.currentVersion);
        return { value: { pem: spkiToPem(v.publicSpki!), version: v.version }, details: { version: v.version } };
      });
    },

    verifyIntegrity(keyId) {
      return runAudited(deps, 'key.verify_integrity', keyId, (s) => {
        const key = loadKey(repo, keyId);
        if (key.state === 'destroyed') throw new ConsoleError('key_destroyed', `Key ${keyId} was destroyed; nothing is left to check.`);
        const versions = repo.listVersions(keyId).map((v) => checkLocalVersion(s, key, v));
        const ok = versions.every((v) => v.ok);
        const bad = versions.filter((v) => !v.ok).map((v) => v.version).join(',');
        return {
          value: { ok, versions },
          details: { versions: versions.length, ...(bad ? { failedVersions: bad } : {}) },
          ...(ok ? {} : { failureCode: 'integrity_failure' }),
        };
      });
    },
  };
}
