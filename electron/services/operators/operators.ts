// Operators (issue 14, docs/operators.md): list, add (an admin signed in: the new slot is sealed from the master key in
// memory), remove (the slot is wiped), change a role, change one's own passphrase; and who is signed in. Every change
// is audited with the signed-in operator as actor. The permission each channel needs is checked by the router
// (shared/permissions.ts) before these run.
import type { Handlers } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { type OpenKit, type OperatorInfo, type OperatorRole, ROLE_PERMISSIONS, roleHas } from '../../../shared/operatorsContract.ts';
import type { Clock } from '../../clock.ts';
import type { ApprovalKeyState, ApprovalsRepo } from '../../store/approvalsRepo.ts';
import type { OperatorRow, OperatorsRepo, OperatorSummary } from '../../store/operatorsRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import { retryAfterMs } from '../session/sessionThrottle.ts';

export interface OperatorsDeps {
  repo: OperatorsRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  transaction<T>(fn: () => T): T;
  /** After a slot is wiped: checkpoint the WAL so no copy of it is left there. */
  checkpointWal(): void;
  /** Called after each committed change of an operator (added, removed, role, passphrase): the operators:changed push. */
  onChanged?(name: string): void;
  /**
   * The approval keys (docs/two-person-control.md): operators:list shows each operator's enrolled key, or else their
   * most recent revoked one (one query for the whole list), and removing an operator revokes theirs in the same
   * transaction (audited approval.revoke_key, reason "operator removed").
   */
  approvalKeys: Pick<ApprovalsRepo, 'approvalKey' | 'revokeApprovalKey' | 'approvalKeyStates'>;
  /** Called after a removal revoked the operator's approval key: the approvals:changed push (the key tables). */
  onApprovalKeyRevoked?(): void;
  /**
   * Each operator's incident kits not imported and not expired at `now` (ISO), oldest first (every operator's in one
   * query, or the one `name`'s): listed by operators:list, named when they are removed or lose security.
   */
  openKitsByOperator(now: string, name?: string): Map<string, OpenKit[]>;
}

/** The reason recorded when removing an operator revokes their approval key. */
export const OPERATOR_REMOVED_REASON = 'operator removed';

type OperatorHandlers = Pick<
  Handlers,
  'session:info' | 'operators:list' | 'operators:add' | 'operators:remove' | 'operators:setRole' | 'operators:changePassphrase' | 'session:changePassphrase'
>;

/** The two-person request a change runs under (approvals:execute), named in its record so a report ties them exactly. */
const approvedBy = (ctx: { approvedRequestId?: string } | undefined): Record<string, string> => (ctx?.approvedRequestId ? { approvalRequestId: ctx.approvedRequestId } : {});

/** The audit detail naming open kits: "<kitId> exported <at> expires <latest order expiry>", joined by "; ". */
export const openKitsDetail = (kits: readonly OpenKit[]): Record<string, string | number> =>
  kits.length === 0 ? {} : { openKits: kits.length, openKitList: kits.map((k) => `${k.kitId} exported ${k.exportedAt} expires ${k.expiresAt}`).join('; ') };

const sameName = (a: string, b: string) => a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();

export function createOperatorHandlers(deps: OperatorsDeps): OperatorHandlers {
  const { repo, session, audit, clock } = deps;

  /** The newer of the operator's last successful unlock and, for the first admin, the first run that signed them in. */
  const lastSignIn = (times: { unlockAt: string | null; initAt: string | null } | undefined): string | null => {
    const { unlockAt = null, initAt = null } = times ?? {};
    if (unlockAt === null || initAt === null) return unlockAt ?? initAt;
    return Date.parse(unlockAt) >= Date.parse(initAt) ? unlockAt : initAt;
  };

  /**
   * The operator's approval key when it counts for them (enrolled after their row was made: not a namesake's) and,
   * when none does, their most recent revoked key under the same rule (a key revoked with a removed namesake is not
   * theirs). `state` comes from approvalKeyStates (one query for the whole list).
   */
  const approvalKeyOf = (r: OperatorSummary, state: ApprovalKeyState | undefined): Pick<OperatorInfo, 'approvalKey' | 'approvalKeyRevoked'> => {
    const theirs = (enrolledAt: string) => Date.parse(enrolledAt) >= Date.parse(r.createdAt);
    const key = state?.current ?? null;
    if (key !== null && theirs(key.enrolledAt)) return { approvalKey: { fingerprint: key.fingerprint, enrolledAt: key.enrolledAt }, approvalKeyRevoked: null };
    const revoked = state?.lastRevoked ?? null;
    return {
      approvalKey: null,
      approvalKeyRevoked:
        revoked !== null && theirs(revoked.enrolledAt)
          ? { fingerprint: revoked.fingerprint, revokedAt: revoked.revokedAt, revokedBy: revoked.revokedBy, reason: revoked.reason }
          : null,
    };
  };
  const kitsByOperator = (name?: string): Map<string, OpenKit[]> => deps.openKitsByOperator(new Date(clock.now()).toISOString(), name);
  const openKits = (name: string): OpenKit[] => kitsByOperator(name).get(name) ?? [];

  /**
   * The list's columns read from other tables, each in one query for every operator (`name` undefined: operators:list)
   * or for the one operator an answer describes, so the list costs the same few queries whatever its length.
   */
  const columns = (name?: string) => ({
    factors: repo.secondFactors(name),
    codesLeft: repo.recoveryCodesLeft(name),
    signIns: repo.lastSignIns(name),
    keys: deps.approvalKeys.approvalKeyStates(name),
    kits: kitsByOperator(name),
  });

  const info = (r: OperatorSummary, c: ReturnType<typeof columns> = columns(r.name)): OperatorInfo => {
    const row: OperatorInfo = {
      name: r.name,
      role: r.role,
      createdAt: r.createdAt,
      createdBy: r.createdBy,
      passphraseChangedAt: r.passphraseChangedAt,
      failedAttempts: r.throttle.failedAttempts,
      retryAfterMs: retryAfterMs(r.throttle, clock.now()),
      secondFactor: c.factors.get(r.name) ?? 'none',
      recoveryCodesLeft: c.codesLeft.get(r.name) ?? 0,
      lastSignInAt: lastSignIn(c.signIns.get(r.name)),
      ...approvalKeyOf(r, c.keys.get(r.name)),
    };
    const kits = c.kits.get(r.name) ?? [];
    return kits.length ? { ...row, openKits: kits } : row;
  };

  const existing = (name: string): OperatorRow => {
    const row = repo.get(name);
    if (!row) throw new ConsoleError('not_found', `There is no operator named ${name}.`, { field: 'name' });
    return row;
  };

  /** The signed-in operator changes their own passphrase (their slot re-sealed; throttled like an unlock). */
  const changeOwnPassphrase = async ({ current, next }: { current: string; next: string }) => {
    await session.changePassphrase(current, next);
    deps.onChanged?.(session.actor());
    return { changed: true as const };
  };

  /** The last admin keeps the role and the account: without one, no operator could ever be added again. */
  const keepAnAdmin = (row: OperatorRow, what: string) => {
    if (row.role === 'admin' && repo.countWithRole('admin') === 1) {
      throw new ConsoleError('illegal_transition', `${row.name} is the last admin; ${what} would leave the console without one. Make another operator an admin first.`);
    }
  };

  /** Runs an operator change, auditing it as a success or a failure with the signed-in operator as actor. */
  const audited = async <T>(action: string, target: string, details: Record<string, string>, fn: () => Promise<T> | T): Promise<T> => {
    session.require();
    try {
      return await fn();
    } catch (e) {
      const code = isConsoleError(e) ? e.code : 'internal';
      audit.append({ actor: session.actor(), action, targetType: 'operator', targetId: target, outcome: 'failure', details: { ...details, code } });
      throw e;
    }
  };

  return {
    'session:info': async () => {
      const s = session.require();
      return { operator: s.operator, role: s.role, permissions: [...ROLE_PERMISSIONS[s.role]] };
    },
    'operators:list': async () => {
      session.require();
      // Its six queries in one read transaction: an operator added, removed or changed by another connection between
      // two of them cannot show in some columns and not in others (docs/operators.md, "Channels").
      const { rows, all } = repo.readTransaction(() => ({ rows: repo.summaries(), all: columns() }));
      return { operators: rows.map((r) => info(r, all)) };
    },
    'operators:add': ({ name, role, passphrase }, ctx) =>
      audited('operator.add', name, { role }, async () => {
        if (repo.summaries().some((r) => sameName(r.name, name))) throw new ConsoleError('invalid_input', `An operator named ${name} already exists.`, { field: 'name' });
        const slot = await session.makeSlot(name, passphrase);
        const now = new Date(clock.now()).toISOString();
        deps.transaction(() => {
          repo.insert({ name, role, slot, throttle: { failedAttempts: 0, lastFailureMs: null }, createdAt: now, createdBy: session.actor(), passphraseChangedAt: null });
          audit.append({ actor: session.actor(), action: 'operator.add', targetType: 'operator', targetId: name, outcome: 'success', details: { role, keychainBound: slot.keychainBound, ...approvedBy(ctx) } });
        });
        deps.onChanged?.(name);
        return info(existing(name));
      }),
    'operators:remove': ({ name }, ctx) =>
      audited('operator.remove', name, {}, () => {
        const row = existing(name);
        if (row.name === session.actor()) throw new ConsoleError('illegal_transition', 'You cannot remove yourself while signed in; another admin can.');
        keepAnAdmin(row, 'removing them');
        const key = deps.approvalKeys.approvalKey(row.name);
        // Kits they hold stay usable offline (the kit cannot learn of this): named in the record and the result.
        const kits = openKits(row.name);
        deps.transaction(() => {
          repo.wipe(row.name);
          audit.append({ actor: session.actor(), action: 'operator.remove', targetType: 'operator', targetId: row.name, outcome: 'success', details: { role: row.role, ...openKitsDetail(kits), ...approvedBy(ctx) } });
          // Their approval key goes with them (revoked, not deleted: a file it signed is refused by name), so no key is
          // left in approval_keys counting for no one, nor waiting for a namesake.
          if (key !== null) {
            const revokedAt = new Date(clock.now()).toISOString();
            deps.approvalKeys.revokeApprovalKey(row.name, { revokedAt, revokedBy: session.actor(), why: 'removed', reason: OPERATOR_REMOVED_REASON });
            audit.append({
              actor: session.actor(),
              action: 'approval.revoke_key',
              targetType: 'operator',
              targetId: row.name,
              outcome: 'success',
              details: { fingerprint: key.fingerprint, reason: OPERATOR_REMOVED_REASON },
            });
          }
        });
        deps.onChanged?.(row.name);
        if (key !== null) deps.onApprovalKeyRevoked?.();
        deps.checkpointWal();
        return kits.length ? { removed: true as const, openKits: kits } : { removed: true as const };
      }),
    'operators:setRole': ({ name, role }, ctx) =>
      audited('operator.set_role', name, { role }, () => {
        const row = existing(name);
        if (row.role === role) return info(row);
        if (role !== 'admin') keepAnAdmin(row, 'taking the admin role away');
        deps.transaction(() => {
          repo.setRole(row.name, role);
          // Losing `security` while holding kits: the kits stay usable offline, so the record names them.
          const kits = roleHas(role as OperatorRole, 'security') ? [] : openKits(row.name);
          audit.append({ actor: session.actor(), action: 'operator.set_role', targetType: 'operator', targetId: row.name, outcome: 'success', details: { from: row.role, to: role, ...openKitsDetail(kits), ...approvedBy(ctx) } });
        });
        deps.onChanged?.(row.name);
        const s = session.require();
        if (s.operator === row.name) s.role = role as OperatorRole;
        return info(existing(row.name));
      }),
    // One implementation behind both channels (the older session:changePassphrase, which the Settings screen calls,
    // and operators:changePassphrase): the same checks, audit record and operators:changed push (the Operators
    // screen shows when each passphrase was changed).
    'operators:changePassphrase': changeOwnPassphrase,
    'session:changePassphrase': changeOwnPassphrase,
  };
}
