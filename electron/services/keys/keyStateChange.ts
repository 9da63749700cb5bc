// keys:setState for every key: the console state changes (it is the console's decision, and keyPolicy.ts enforces it
// from then on), and each location of the key (keyLocations.ts) is told: suspended / compromised -> disable, active /
// deactivated after a disabled state -> enable, destroyed -> scheduleDestruction. Every location is attempted, each
// attempt is audited (key.location), and the key.state record says success only when every location was reached;
// otherwise it is a failure with code 'incomplete' naming what remains. What was not reached is kept
// (key_unreached_locations) and shown with the key; setting the same state again retries exactly those locations.
import type { KeyLocationOutcome, KeyStateChange } from '../../../shared/contract.ts';
import { canTransition, type KeyState } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { isProviderError, type KmsProvider } from '../../providers/types.ts';
import type { KeyLocationAction, KeyRow, UnreachedLocationRow } from '../../store/keysRepo.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { failureAuditDetails, providerFailure } from '../providers/providerErrors.ts';
import { holderOf, type KeyLocation, locationsOf, MIN_DESTRUCTION_WAITING_DAYS } from './keyLocations.ts';
import { type KeyServiceDeps, loadKey, runAudited, toSummary, toUnreached } from './keysShared.ts';

/** What the provider side of a key must be in each console state. */
const PROVIDER_SIDE: Readonly<Record<KeyState, 'enabled' | 'disabled' | 'destroyed'>> = {
  pre_activation: 'disabled',
  active: 'enabled',
  suspended: 'disabled',
  deactivated: 'enabled',
  compromised: 'disabled',
  destroyed: 'destroyed',
};

/** The action every location needs for a change from -> to; null when the provider side stays as it is. */
export function locationAction(from: KeyState, to: KeyState): KeyLocationAction | null {
  if (to === 'destroyed') return 'scheduleDestruction';
  // A compromised key is disabled wherever it lives, whatever its previous state implied.
  if (to === 'compromised') return 'disable';
  if (PROVIDER_SIDE[from] === PROVIDER_SIDE[to]) return null;
  return PROVIDER_SIDE[to] === 'enabled' ? 'enable' : 'disable';
}

interface Attempt extends KeyLocationOutcome {
  keyRef: string;
}

/** A request that timed out or was retried may have taken effect after all: the provider says where the key stands. */
async function alreadyThere(p: KmsProvider, keyRef: string, action: KeyLocationAction): Promise<boolean> {
  try {
    const { state } = await p.describeKey(keyRef);
    if (action === 'enable') return state === 'enabled';
    if (action === 'disable') return state !== 'enabled';
    return state === 'pending_deletion' || state === 'destroyed';
  } catch (e) {
    return action === 'scheduleDestruction' && isProviderError(e) && e.kind === 'NotFound';
  }
}

async function attempt(deps: KeyServiceDeps, key: KeyRow, loc: KeyLocation, action: KeyLocationAction, state: KeyState, retry: boolean): Promise<Attempt> {
  const base = { role: loc.role, provider: loc.providerId, action, keyRef: loc.keyRef };
  const p = holderOf(deps, loc.providerId);
  let result: Attempt;
  let failure: AuditDetails = {};
  if (!p) {
    // Most likely the environment's provider, refused at unlock: name the variable so the officer knows what to fix.
    const refused = deps.registry.environmentRefusal();
    result = refused
      ? { ...base, outcome: 'failed', code: refused.code, message: `Provider ${loc.providerId} is not configured in this console. ${refused.message}`, deletionDate: null }
      : { ...base, outcome: 'failed', code: 'provider_unavailable', message: `Provider ${loc.providerId} is not configured in this console.`, deletionDate: null };
  } else {
    try {
      let deletionDate: string | null = null;
      if (action === 'scheduleDestruction') {
        deletionDate = (await p.scheduleDestruction(loc.keyRef, p.capabilities.scheduledDestruction ? MIN_DESTRUCTION_WAITING_DAYS : 0)).deletionDate;
      } else {
        await p[action](loc.keyRef);
      }
      result = { ...base, outcome: 'done', code: null, message: null, deletionDate };
    } catch (e) {
      if (await alreadyThere(p, loc.keyRef, action)) {
        result = { ...base, outcome: 'done', code: null, message: 'already done at the provider', deletionDate: null };
      } else {
        const err = providerFailure(e);
        failure = failureAuditDetails(err);
        result = { ...base, outcome: 'failed', code: err.code, message: err.message.slice(0, 500), deletionDate: null };
      }
    }
  }
  deps.audit.append({
    actor: deps.session.actor(),
    action: 'key.location',
    targetType: 'key',
    targetId: key.id,
    outcome: result.outcome === 'done' ? 'success' : 'failure',
    details: {
      role: loc.role, provider: loc.providerId, keyRef: loc.keyRef, action, state, retry,
      ...(result.deletionDate ? { deletionDate: result.deletionDate } : {}),
      ...failure,
      ...(result.code ? { code: result.code } : {}),
    },
  });
  return result;
}

/** The old providerAction audit detail, kept for readers of earlier records. */
function providerActionOf(action: KeyLocationAction | null, done: Attempt[]): string {
  if (action !== 'scheduleDestruction') return action ?? 'none';
  return `scheduleDestruction until ${done.find((a) => a.deletionDate)?.deletionDate ?? 'not scheduled'}`;
}

export async function setKeyState(deps: KeyServiceDeps, keyId: string, state: KeyState, reason: string): Promise<KeyStateChange> {
  const { repo } = deps;
  let release: (() => void) | null = null;
  try {
    const change = await runAudited(deps, 'key.state', keyId, async (_s, note) => {
      const key = loadKey(repo, keyId);
      const retry = key.state === state;
      note({ from: key.state, to: state, provider: key.provider, ...(retry ? { retry: true } : {}) });
      const pending = retry ? repo.listUnreached(keyId) : [];
      if (retry && pending.length === 0) {
        throw new ConsoleError('illegal_transition', `Key ${keyId} is already ${state}, and every location of it was reached.`, { from: key.state, to: state });
      }
      if (!retry && !canTransition(key.state, state)) {
        throw new ConsoleError('illegal_transition', `A ${key.state} key cannot become ${state}.`, { from: key.state, to: state });
      }
      release = deps.restrictions.begin(keyId, state);
      // From here the new state restricts the key: its cached material goes now (unwrapped again if the state allows use).
      deps.store.forget(keyId);
      const action = retry ? null : locationAction(key.state, state);
      const work: Array<{ loc: KeyLocation; action: KeyLocationAction }> = retry
        ? pending.map((u) => ({ loc: { role: u.role, providerId: u.provider, keyRef: u.keyRef }, action: u.action }))
        : action
          ? locationsOf(key, repo.listVersions(keyId)).map((loc) => ({ loc, action }))
          : [];
      const attempts: Attempt[] = [];
      for (const w of work) attempts.push(await attempt(deps, key, w.loc, w.action, state, retry));

      const at = new Date(deps.clock.now()).toISOString();
      const failed = attempts.filter((a) => a.outcome === 'failed');
      const unreached: UnreachedLocationRow[] = failed.map((a) => ({
        keyId, role: a.role, provider: a.provider, keyRef: a.keyRef, action: a.action, forState: state, code: a.code ?? 'internal', message: a.message ?? '', attemptedAt: at,
      }));
      const stateReason = retry ? key.stateReason : reason.trim() === '' ? null : reason.trim();
      const next = state === 'destroyed' ? null : key.nextRotationAt;
      if (state === 'destroyed' || state === 'compromised') deps.registry.cache().clear();
      const updated = retry ? key : { ...key, state, stateReason, updatedAt: at, nextRotationAt: next };
      const details: AuditDetails = {
        reason: stateReason,
        providerAction: retry ? 'retry' : providerActionOf(action, attempts),
        reached: attempts.length - failed.length,
        ...(failed.length > 0 ? { unreached: failed.map((a) => `${a.provider}/${a.role}:${a.action}:${a.code}`).join(',') } : {}),
      };
      const deletionDate = attempts.find((a) => a.deletionDate)?.deletionDate;
      if (deletionDate) details.deletionDate = deletionDate;
      return {
        value: {
          ...toSummary(updated),
          complete: failed.length === 0,
          locations: attempts.map(({ keyRef: _r, ...a }) => a),
          unreached: unreached.map(toUnreached),
        },
        details,
        ...(failed.length > 0 ? { failureCode: 'incomplete' } : {}),
        commit: () => {
          if (!retry) {
            if (state === 'destroyed') repo.destroyMaterial(keyId);
            repo.updateState(keyId, state, stateReason, at, next);
          }
          repo.replaceUnreached(keyId, unreached);
        },
      };
    });
    if (state === 'destroyed') deps.checkpointWal();
    deps.onKeysChanged(keyId);
    return change;
  } finally {
    (release as (() => void) | null)?.();
  }
}
