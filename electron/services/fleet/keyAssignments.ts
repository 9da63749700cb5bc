// Key assignment (issue 5): which communication and storage key each robot receives from the provisioning station
// and in field key bundles. A robot's own assignment wins over its site's; without either the robot gets the newest
// active AES-256 key of the type whose material is in this store and that no robot or site is assigned (an assigned
// key is dedicated to its assignees and never leaks to the rest of the fleet as a default). An assigned key that can
// no longer be delivered (not active, not AES-256, material not in this store) never falls back to another key: the
// delivery is refused naming the key, the type and where it is assigned, and the views report it as broken, so an
// officer reassigns it. The key's CURRENT version is delivered: rotation moves robots on at their next distribution.
// Assignment changes are audited (fleet.key.assign / fleet.key.unassign) with ids only.
import {
  ASSIGNABLE_KEY_TYPES,
  type AssignableKeyType,
  type EffectiveKey,
  type KeyAssignment,
  type KeyAssignmentScope,
  KEY_USAGE_PAGE,
  type KeyUsage,
  type RobotKeyAssignments,
  type SiteKeyAssignments,
} from '../../../shared/fleetContract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { FleetRepo, RobotRow } from '../../store/fleetRepo.ts';
import type { KeyAssignmentRow, KeyAssignmentsRepo } from '../../store/keyAssignmentsRepo.ts';
import type { KeyRow, KeysRepo, KeyVersionRow } from '../../store/keysRepo.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import type { FleetDeps } from './fleetRegistry.ts';

/** The fleet registry's dependencies, with the assignments table as its repo and the robots table beside it. */
export type KeyAssignmentDeps = Omit<FleetDeps, 'repo'> & { repo: KeyAssignmentsRepo; fleetRepo: FleetRepo };

/** A key version whose material is in this store, chosen for a robot (the caller unwraps and zeroes it). */
export interface ChosenKey {
  key: KeyRow;
  version: KeyVersionRow;
}

/** What the provisioning station and the bundle service need: the key choice only. */
export interface KeyAssignmentResolver {
  /** One key per delivered type (communication, then storage), or a ConsoleError naming what blocks delivery. */
  deliverable(deviceId: string): ChosenKey[];
}

export interface ScopeAssignments {
  scope: KeyAssignmentScope;
  scopeId: string;
  assignments: KeyAssignment[];
}

export interface KeyAssignments extends KeyAssignmentResolver {
  robotView(deviceId: string): RobotKeyAssignments;
  siteView(site: string): SiteKeyAssignments;
  assign(scope: KeyAssignmentScope, scopeId: string, keyType: AssignableKeyType, keyId: string): ScopeAssignments;
  clear(scope: KeyAssignmentScope, scopeId: string, keyType: AssignableKeyType): ScopeAssignments;
  /** Which robots hold which version of the key (one page of them) and where it is assigned. */
  keyUsage(keyId: string, version?: number, offset?: number): KeyUsage;
}

interface Resolution {
  keyType: AssignableKeyType;
  source: EffectiveKey['source'];
  chosen: ChosenKey | null;
  /** The key named by the assignment even when it is broken (for the view). */
  key: KeyRow | null;
  error: ConsoleError | null;
}

const where = (scope: KeyAssignmentScope, scopeId: string) => (scope === 'robot' ? `robot ${scopeId}` : `site ${scopeId}`);
const keyName = (key: KeyRow) => `"${key.label}" (${key.id})`;

/** Why a key cannot be delivered as a robot's key of this type, or null when it can (with its current version). */
function deliveryProblem(keys: KeysRepo, key: KeyRow, keyType: AssignableKeyType): { code: ConsoleError['code']; reason: string } | { version: KeyVersionRow } {
  if (key.type !== keyType) return { code: 'invalid_input', reason: `is a ${key.type} key, not a ${keyType} key` };
  if (key.algorithm !== 'AES_256') return { code: 'unsupported_operation', reason: `is ${key.algorithm}; robots receive AES-256 keys only` };
  if (key.state === 'destroyed') return { code: 'key_destroyed', reason: 'was destroyed' };
  if (key.state !== 'active') return { code: 'key_disabled', reason: `is ${key.state}; only active keys are delivered` };
  const v = keys.getVersion(key.id, key.currentVersion);
  if (!v || v.destroyed || !v.wrappedMaterial) {
    const holder = key.provider === 'local' ? 'its material is missing' : `its material is held by provider ${key.provider}, not in this store`;
    return { code: 'unsupported_operation', reason: `cannot be delivered: ${holder}` };
  }
  return { version: v };
}

export function createKeyAssignments(deps: KeyAssignmentDeps): KeyAssignments {
  const { repo, keys, fleetRepo } = deps;
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  const loadRobot = (deviceId: string): RobotRow => {
    const r = fleetRepo.get(deviceId);
    if (!r) throw new ConsoleError('not_found', `No robot with device id ${deviceId}.`, { field: 'scopeId' });
    return r;
  };
  const requireScope = (scope: KeyAssignmentScope, scopeId: string) => {
    if (scope === 'robot') loadRobot(scopeId);
    else if (!repo.siteExists(scopeId)) throw new ConsoleError('not_found', `No site named ${scopeId}.`, { field: 'scopeId' });
  };

  /** The assignment row of a scope, resolved to a deliverable key or to the error that blocks it. */
  const fromAssignment = (row: KeyAssignmentRow): Resolution => {
    const key = keys.get(row.keyId);
    const source = row.scope;
    const base = { keyType: row.keyType, source, key };
    const refuse = (code: ConsoleError['code'], reason: string) => ({
      ...base,
      chosen: null,
      error: new ConsoleError(
        code,
        `The ${row.keyType} key ${key ? keyName(key) : row.keyId} assigned to ${where(row.scope, row.scopeId)} ${reason}. ` +
          `Assign another ${row.keyType} key to ${where(row.scope, row.scopeId)} or clear that assignment.`,
        { keyId: row.keyId, keyType: row.keyType, scope: row.scope, scopeId: row.scopeId },
      ),
    });
    if (!key) return refuse('not_found', 'is not in this store');
    const p = deliveryProblem(keys, key, row.keyType);
    if ('code' in p) return refuse(p.code, p.reason);
    return { ...base, chosen: { key, version: p.version }, error: null };
  };

  /** Today's rule for robots without an assignment, minus keys dedicated to some robot or site. */
  const newest = (keyType: AssignableKeyType): Resolution => {
    const dedicated = repo.assignedKeyIds(keyType);
    const candidates = keys
      .list({ type: keyType, state: 'active' })
      .filter((k) => !dedicated.has(k.id))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const key of candidates) {
      const p = deliveryProblem(keys, key, keyType);
      if (!('code' in p)) return { keyType, source: 'newest', key, chosen: { key, version: p.version }, error: null };
    }
    const error = new ConsoleError(
      'not_found',
      `No active AES-256 ${keyType} key with its material in this store that is not assigned elsewhere: create one or assign one to this robot or its site.`,
      { keyType },
    );
    return { keyType, source: 'none', key: null, chosen: null, error };
  };

  const resolve = (robot: RobotRow, keyType: AssignableKeyType): Resolution => {
    const own = repo.get('robot', robot.deviceId, keyType);
    if (own) return fromAssignment(own);
    const site = repo.get('site', robot.site, keyType);
    if (site) return fromAssignment(site);
    return newest(keyType);
  };

  const toView = (row: KeyAssignmentRow): KeyAssignment => {
    const r = fromAssignment(row);
    return {
      scope: row.scope,
      scopeId: row.scopeId,
      keyType: row.keyType,
      keyId: row.keyId,
      keyLabel: r.key?.label ?? null,
      keyState: r.key?.state ?? null,
      version: r.key?.currentVersion ?? null,
      assignedAt: row.assignedAt,
      assignedBy: row.assignedBy,
      problem: r.error?.message ?? null,
    };
  };

  const scopeView = (scope: KeyAssignmentScope, scopeId: string): ScopeAssignments => ({ scope, scopeId, assignments: repo.listFor(scope, scopeId).map(toView) });

  /** One assignment change with its success record in one transaction; failures audited with their code. */
  function audited(action: string, scope: KeyAssignmentScope, scopeId: string, keyType: AssignableKeyType, keyId: string | null, op: () => AuditDetails): ScopeAssignments {
    // Robot rows land in the robot's audit trail; site rows are filed under the key (the audit has no site target).
    const target = (previous: string | null) => {
      if (scope === 'robot') return { targetType: 'robot' as const, targetId: scopeId };
      const id = keyId ?? previous;
      return id === null ? { targetType: null, targetId: null } : { targetType: 'key' as const, targetId: id };
    };
    const details: AuditDetails = { scope, scopeId, keyType, keyId };
    try {
      const value = deps.transaction(() => {
        deps.session.require();
        const extra = op();
        const previous = typeof extra.previousKeyId === 'string' ? extra.previousKeyId : null;
        deps.audit.append({ actor: deps.session.actor(), action, ...target(previous), outcome: 'success', details: { ...details, ...extra } });
        return scopeView(scope, scopeId);
      });
      deps.onFleetChanged(scope === 'robot' ? scopeId : null);
      return value;
    } catch (e) {
      const err = isConsoleError(e) ? e : new ConsoleError('internal', `${action} failed unexpectedly.`);
      if (!isConsoleError(e)) deps.logger.error(`${action} failed`, { scope, keyType, error: e instanceof Error ? e.name : 'unknown' });
      deps.audit.append({ actor: deps.session.actor(), action, ...target(null), outcome: 'failure', details: { ...details, code: err.code } });
      throw err;
    }
  }

  return {
    deliverable(deviceId) {
      deps.session.require();
      const robot = loadRobot(deviceId);
      return ASSIGNABLE_KEY_TYPES.map((t) => {
        const r = resolve(robot, t);
        if (r.error || !r.chosen) throw r.error ?? new ConsoleError('internal', `No ${t} key was chosen for ${deviceId}.`);
        return r.chosen;
      });
    },

    robotView(deviceId) {
      deps.session.require();
      const robot = loadRobot(deviceId);
      const effective = ASSIGNABLE_KEY_TYPES.map((t): EffectiveKey => {
        const r = resolve(robot, t);
        return {
          keyType: t,
          keyId: r.key?.id ?? null,
          keyLabel: r.key?.label ?? null,
          version: r.chosen?.version.version ?? r.key?.currentVersion ?? null,
          source: r.source,
          error: r.error?.message ?? null,
          errorCode: r.error?.code ?? null,
        };
      });
      return {
        deviceId,
        site: robot.site,
        effective,
        robotAssignments: scopeView('robot', deviceId).assignments,
        siteAssignments: scopeView('site', robot.site).assignments,
      };
    },

    siteView(site) {
      deps.session.require();
      requireScope('site', site);
      return { site, robots: repo.robotsAtSite(site), assignments: scopeView('site', site).assignments };
    },

    keyUsage(keyId, version, offset = 0) {
      deps.session.require();
      const key = keys.get(keyId);
      if (!key) throw new ConsoleError('not_found', `No key with id ${keyId}.`, { field: 'keyId' });
      const versions = fleetRepo.holderCounts(keyId, key.currentVersion);
      const robots = versions.reduce((n, v) => n + v.robots, 0);
      const matching = version === undefined ? robots : (versions.find((v) => v.version === version)?.robots ?? 0);
      const holders = fleetRepo.holderPage(keyId, version, KEY_USAGE_PAGE, offset).map(({ robot, holding }) => ({
        deviceId: robot.deviceId,
        name: robot.name,
        site: robot.site,
        status: robot.status,
        version: holding.version,
        recordedAt: holding.recordedAt,
        source: holding.source,
      }));
      return { keyId, currentVersion: key.currentVersion, versions, robots, matching, offset, holders, assignments: repo.listForKey(keyId).map(toView) };
    },

    assign(scope, scopeId, keyType, keyId) {
      return audited('fleet.key.assign', scope, scopeId, keyType, keyId, () => {
        requireScope(scope, scopeId);
        const key = keys.get(keyId);
        if (!key) throw new ConsoleError('not_found', `No key with id ${keyId}.`, { field: 'keyId' });
        const p = deliveryProblem(keys, key, keyType);
        if ('code' in p) {
          throw new ConsoleError(p.code, `The key ${keyName(key)} ${p.reason}; it cannot be assigned as the ${keyType} key of ${where(scope, scopeId)}.`, { field: 'keyId' });
        }
        const previous = repo.get(scope, scopeId, keyType);
        repo.set({ scope, scopeId, keyType, keyId, assignedAt: nowIso(), assignedBy: deps.session.actor() });
        return { previousKeyId: previous?.keyId ?? null, version: key.currentVersion };
      });
    },

    clear(scope, scopeId, keyType) {
      return audited('fleet.key.unassign', scope, scopeId, keyType, null, () => {
        requireScope(scope, scopeId);
        const previous = repo.get(scope, scopeId, keyType);
        if (!previous || !repo.clear(scope, scopeId, keyType)) {
          throw new ConsoleError('not_found', `${scope === 'robot' ? 'Robot' : 'Site'} ${scopeId} has no ${keyType} key assignment to clear.`, { field: 'keyType' });
        }
        return { previousKeyId: previous.keyId };
      });
    },
  };
}
