// The idle lock (issue 14, docs/operators.md "Idle lock"): the session locks by itself when no call came from the
// window or the browser host for the idle time (default 10 minutes, 1 to 240, a console setting only an admin
// changes), when the page has been hidden that long, and at once when the OS suspends or the screen locks (the
// Electron shell reports those). Time comes from the console's clock: tests move it, nothing sleeps. Each lock is
// audited as session.lock with its reason.
import { ConsoleError } from '../../../shared/errors.ts';
import { IDLE_LOCK_DEFAULT_MINUTES, IDLE_LOCK_MAX_MINUTES, IDLE_LOCK_MIN_MINUTES } from '../../../shared/operatorsContract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { SettingsRepo } from '../../store/operatorsRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { LockReason, Session } from './session.ts';

export const IDLE_SETTING = 'idle_lock_minutes';

/**
 * Calls that are not the officer's activity: the window asks for them by itself (the session status, the visibility
 * report, and the lists it refreshes on a timer), so they do not keep an unattended console unlocked.
 */
export const PASSIVE_CHANNELS: ReadonlySet<string> = new Set(['session:status', 'session:visibility', 'providers:list', 'station:status']);

export interface IdleLockDeps {
  clock: Clock;
  /** The console's session, or anything that locks like it (the offline console's opened kit, kitModeRouter.ts). */
  session: Pick<Session, 'role' | 'actor'> & { lock(reason: LockReason): unknown };
  settings: SettingsRepo;
  audit: Pick<AuditLog, 'append'>;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  /** Runs before the lock (the console flushes operations in flight, as session:lock does). */
  beforeLock?: () => void;
}

export interface IdleLock {
  /** The idle time in minutes (the stored setting, else the default). */
  minutes(): number;
  /** Stores a new idle time (bounds checked, audited with the admin as actor). */
  setMinutes(minutes: number): number;
  /** A call arrived: the idle time starts again (call check() first, so a late call finds the session locked). */
  activity(): void;
  /** The page was hidden (or shown again): hidden longer than the idle time locks. */
  visibility(hidden: boolean): void;
  /** Locks when the idle or hidden time has passed; returns the reason it locked for, or null. */
  check(): LockReason | null;
  /** Locks now (the OS suspends, the screen locks); false when nothing was unlocked. */
  lockNow(reason: LockReason): boolean;
  /** Checks every `intervalMs` (the window and the browser host; one-shot CLI commands and the scheduler do not). */
  start(intervalMs?: number): void;
  stop(): void;
}

function checkBounds(minutes: number): void {
  if (!Number.isInteger(minutes) || minutes < IDLE_LOCK_MIN_MINUTES || minutes > IDLE_LOCK_MAX_MINUTES) {
    throw new ConsoleError('invalid_input', `The idle time must be a whole number of minutes from ${IDLE_LOCK_MIN_MINUTES} to ${IDLE_LOCK_MAX_MINUTES}.`, { field: 'minutes' });
  }
}

export function createIdleLock(deps: IdleLockDeps): IdleLock {
  const { clock, session } = deps;
  const stored = (): number => {
    const v = Number(deps.settings.get(IDLE_SETTING));
    return Number.isInteger(v) && v >= IDLE_LOCK_MIN_MINUTES && v <= IDLE_LOCK_MAX_MINUTES ? v : IDLE_LOCK_DEFAULT_MINUTES;
  };
  let minutes = stored();
  let lastActivity = clock.now();
  let hiddenSince: number | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;

  const lockNow = (reason: LockReason): boolean => {
    if (session.role() === null) return false;
    deps.beforeLock?.();
    session.lock(reason);
    hiddenSince = null;
    deps.logger.info('session locked by the console', { reason });
    return true;
  };

  const check = (): LockReason | null => {
    if (session.role() === null) return null;
    const now = clock.now();
    const idleMs = minutes * 60_000;
    // Hidden since a moment after the last call, so a page hidden too long is idle too: it is named for the page.
    const reason: LockReason | null = hiddenSince !== null && now - hiddenSince >= idleMs ? 'hidden' : now - lastActivity >= idleMs ? 'idle' : null;
    if (reason === null) return null;
    return lockNow(reason) ? reason : null;
  };

  return {
    minutes: () => minutes,
    setMinutes(next) {
      checkBounds(next);
      const from = minutes;
      deps.transaction(() => {
        deps.settings.set(IDLE_SETTING, String(next), new Date(clock.now()).toISOString(), session.actor());
        deps.audit.append({ actor: session.actor(), action: 'settings.idle_lock', targetType: 'store', targetId: IDLE_SETTING, outcome: 'success', details: { from, to: next } });
      });
      minutes = next;
      return minutes;
    },
    activity() {
      lastActivity = clock.now();
    },
    visibility(hidden) {
      if (!hidden) hiddenSince = null;
      else if (hiddenSince === null) hiddenSince = clock.now();
    },
    check,
    lockNow,
    start(intervalMs = 15_000) {
      if (timer) return;
      lastActivity = clock.now();
      timer = setInterval(() => {
        try {
          check();
        } catch (e) {
          deps.logger.warn('the idle lock check failed', { error: e instanceof Error ? e.name : String(e) });
        }
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
