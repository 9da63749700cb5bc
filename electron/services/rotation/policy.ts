// Rotation policies (issue 13): what a policy says, the specification's defaults per key type, and validation with
// errors that name the field in words. Windows are cron expressions (croner) evaluated in the policy's IANA time zone.
import { Cron } from 'croner';
import { KEY_TYPE_PROFILES, type KeyType } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';

/**
 * Default usage limit per key version: Vault's default `max_operations` (/sys/rotate/config: the encryptions after
 * which Vault rotates its own keyring key, about 0.9 x 2^32), under NIST SP 800-38D's bound of 2^32 invocations of
 * one AES-GCM key with random 96-bit nonces.
 */
export const DEFAULT_USAGE_LIMIT = 3_865_470_566;
/** The 80 % warning. */
export const USAGE_WARN_FRACTION = 0.8;
/** The shortest rotation period a policy may set. */
export const MIN_PERIOD_SECONDS = 3600;
/** The longest window (a week): longer ones are better written as several. */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;
export const MAX_BLACKOUT_WINDOWS = 16;
/** Default jitter: 1 % of the period, at most 15 minutes. */
export const MAX_DEFAULT_JITTER_SECONDS = 900;

/** A window: it opens at each time the cron expression names (5 fields) and stays open durationMinutes. */
export interface RotationWindow {
  cron: string;
  durationMinutes: number;
}

/**
 * Who rotates a key on its schedule: 'console' (the scheduler) or 'provider' (the key's provider, on the schedule the
 * console sets there: AWS EnableKeyRotation, Vault auto_rotate_period, Cloud KMS rotationPeriod, an Azure rotation
 * policy). Provider-driven rotation is set per key (providerRotation.ts), never on a key type.
 */
export type RotationDriver = 'console' | 'provider';
export const ROTATION_DRIVERS: readonly RotationDriver[] = ['console', 'provider'];

export interface RotationPolicy {
  /** 'scheduled': the key rotates every periodSeconds; 'manual': only an officer (or the usage limit) rotates. */
  mode: 'scheduled' | 'manual';
  /** Who rotates on the schedule (default 'console'); the usage limit is always enforced by the console. */
  driver: RotationDriver;
  periodSeconds: number | null;
  /** Each rotation is delayed by up to this much (fixed per key version), so keys made together do not rotate together. */
  jitterSeconds: number;
  /** Encryptions per key version before it must rotate (<= DEFAULT_USAGE_LIMIT). */
  usageLimit: number;
  /** The site's IANA time zone, in which the windows' cron expressions are read. */
  timeZone: string;
  /** When set, scheduled rotations start only inside this window. */
  maintenanceWindow: RotationWindow | null;
  /** Scheduled rotations never start inside these (e.g. a factory's production hours). */
  blackoutWindows: RotationWindow[];
}

export function defaultJitterSeconds(periodSeconds: number | null): number {
  return periodSeconds === null ? 0 : Math.min(Math.floor(periodSeconds / 100), MAX_DEFAULT_JITTER_SECONDS);
}

/** The specification's policy for a key type: communication every 24 h, emergency yearly, identity and storage manual. */
export function defaultPolicy(type: KeyType): RotationPolicy {
  const period = KEY_TYPE_PROFILES[type].rotationSeconds;
  return {
    mode: period === null ? 'manual' : 'scheduled',
    driver: 'console',
    periodSeconds: period,
    jitterSeconds: defaultJitterSeconds(period),
    usageLimit: DEFAULT_USAGE_LIMIT,
    timeZone: 'UTC',
    maintenanceWindow: null,
    blackoutWindows: [],
  };
}

const bad = (field: string, message: string): ConsoleError => new ConsoleError('invalid_input', message, { field });

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export function validTimeZone(tz: unknown): string {
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > 64) throw bad('timeZone', 'The time zone must be an IANA time zone name such as Europe/Berlin.');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw bad('timeZone', `The time zone "${tz}" is not an IANA time zone name (such as Europe/Berlin or UTC).`);
  }
  return tz;
}

/** A window, checked: `label` names it in words ("the maintenance window", "blackout window 2"). */
function validWindow(w: unknown, field: string, label: string, timeZone: string): RotationWindow {
  if (typeof w !== 'object' || w === null) throw bad(field, `${label} must have a cron expression and a duration in minutes.`);
  const { cron, durationMinutes } = w as Record<string, unknown>;
  if (typeof cron !== 'string' || cron.trim().split(/\s+/).length !== 5 || cron.length > 200) {
    throw bad(`${field}.cron`, `The start of ${label} must be a cron expression of 5 fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * 1-5".`);
  }
  let next: Date | null;
  try {
    next = new Cron(cron.trim(), { timezone: timeZone, paused: true }).nextRun(new Date(0));
  } catch (e) {
    throw bad(`${field}.cron`, `The start of ${label} is not a valid cron expression: ${e instanceof Error ? e.message : 'unreadable'}.`);
  }
  if (next === null) throw bad(`${field}.cron`, `The start of ${label} ("${cron}") never occurs.`);
  if (!isInt(durationMinutes) || durationMinutes < 1 || durationMinutes > MAX_WINDOW_MINUTES) {
    throw bad(`${field}.durationMinutes`, `The duration of ${label} must be a whole number of minutes from 1 to ${MAX_WINDOW_MINUTES} (a week).`);
  }
  return { cron: cron.trim(), durationMinutes };
}

/** Checks a policy as given by an officer; returns it normalised, or throws invalid_input naming the field. */
export function validatePolicy(input: unknown): RotationPolicy {
  if (typeof input !== 'object' || input === null) throw bad('policy', 'A rotation policy is an object with a mode, a period, a usage limit and a time zone.');
  const p = input as Record<string, unknown>;
  if (p.mode !== 'scheduled' && p.mode !== 'manual') throw bad('mode', 'The rotation mode must be "scheduled" or "manual".');
  const driver = p.driver ?? 'console';
  if (driver !== 'console' && driver !== 'provider') throw bad('driver', 'Who drives rotation must be "console" (the console\'s scheduler) or "provider" (the key\'s provider, on its own schedule).');
  const byProvider = driver === 'provider';
  if (byProvider && p.mode !== 'scheduled') throw bad('driver', 'A provider-driven policy needs mode "scheduled" and a period: the provider rotates the key every periodSeconds.');
  let periodSeconds: number | null = null;
  if (p.mode === 'scheduled') {
    if (!isInt(p.periodSeconds) || p.periodSeconds < MIN_PERIOD_SECONDS) {
      throw bad('periodSeconds', `The rotation period must be a whole number of seconds, at least ${MIN_PERIOD_SECONDS} (1 hour).`);
    }
    periodSeconds = p.periodSeconds;
  } else if (p.periodSeconds !== undefined && p.periodSeconds !== null) {
    throw bad('periodSeconds', 'A manual policy has no rotation period.');
  }
  // The provider keeps its own time: the console's jitter and windows do not apply to it, so they are refused.
  const jitter = p.jitterSeconds ?? (byProvider ? 0 : defaultJitterSeconds(periodSeconds));
  if (byProvider && jitter !== 0) throw bad('jitterSeconds', 'A provider-driven policy has no jitter: the provider rotates on its own schedule.');
  const maxJitter = periodSeconds === null ? 0 : Math.floor(periodSeconds / 10);
  if (!isInt(jitter) || jitter < 0 || jitter > maxJitter) {
    throw bad('jitterSeconds', `The jitter must be a whole number of seconds from 0 to a tenth of the period (${maxJitter} s).`);
  }
  const usageLimit = p.usageLimit ?? DEFAULT_USAGE_LIMIT;
  if (!isInt(usageLimit) || usageLimit < 1 || usageLimit > DEFAULT_USAGE_LIMIT) {
    throw bad('usageLimit', `The usage limit must be a whole number of encryptions from 1 to ${DEFAULT_USAGE_LIMIT} (NIST SP 800-38D keeps AES-GCM with random nonces under 2^32).`);
  }
  const timeZone = validTimeZone(p.timeZone ?? 'UTC');
  if (byProvider && p.maintenanceWindow !== undefined && p.maintenanceWindow !== null)
    throw bad('maintenanceWindow', 'A provider-driven policy has no maintenance window: the provider rotates on its own schedule and does not know the console\'s windows.');
  if (byProvider && Array.isArray(p.blackoutWindows) && p.blackoutWindows.length > 0)
    throw bad('blackoutWindows', 'A provider-driven policy has no blackout windows: the provider rotates on its own schedule and does not know the console\'s windows.');
  const maintenanceWindow = p.maintenanceWindow === undefined || p.maintenanceWindow === null ? null : validWindow(p.maintenanceWindow, 'maintenanceWindow', 'the maintenance window', timeZone);
  const blackouts = p.blackoutWindows ?? [];
  if (!Array.isArray(blackouts) || blackouts.length > MAX_BLACKOUT_WINDOWS) {
    throw bad('blackoutWindows', `The blackout windows must be a list of at most ${MAX_BLACKOUT_WINDOWS} windows.`);
  }
  const blackoutWindows = blackouts.map((w, i) => validWindow(w, `blackoutWindows[${i}]`, `blackout window ${i + 1}`, timeZone));
  return { mode: p.mode, driver, periodSeconds, jitterSeconds: jitter, usageLimit, timeZone, maintenanceWindow, blackoutWindows };
}

/** A policy's windows, compiled once: whether a scheduled rotation may start at a time. */
export interface PolicyWindows {
  /** Null when a rotation may start at `t`; else why not ('maintenance' outside its window, 'blackout' inside one). */
  blocks(t: number): 'maintenance' | 'blackout' | null;
  /** The first time at or after `t`, and not after `until`, at which a scheduled rotation may start; null when none. */
  nextAllowed(t: number, until: number): number | null;
}

/** Steps nextAllowed takes at most (each jumps to a window's start or end). */
const MAX_WINDOW_STEPS = 10_000;

interface CompiledWindow {
  cron: Cron;
  durationMs: number;
}

/** Open at t when the window's last start is within its duration before t: [start, start + duration). */
const isOpen = (w: CompiledWindow, t: number): boolean => {
  const start = w.cron.nextRun(new Date(t - w.durationMs));
  return start !== null && start.getTime() <= t;
};

export function compileWindows(policy: RotationPolicy): PolicyWindows {
  const compile = (w: RotationWindow): CompiledWindow => ({ cron: new Cron(w.cron, { timezone: policy.timeZone, paused: true }), durationMs: w.durationMinutes * 60_000 });
  const maintenance = policy.maintenanceWindow ? compile(policy.maintenanceWindow) : null;
  const blackouts = policy.blackoutWindows.map(compile);
  return {
    blocks(t) {
      if (maintenance && !isOpen(maintenance, t)) return 'maintenance';
      if (blackouts.some((w) => isOpen(w, t))) return 'blackout';
      return null;
    },
    nextAllowed(t, until) {
      let x = t;
      for (let step = 0; step < MAX_WINDOW_STEPS && x <= until; step++) {
        if (maintenance && !isOpen(maintenance, x)) {
          // Outside the maintenance window: its next opening (a start is strictly after x here).
          const next = maintenance.cron.nextRun(new Date(x));
          if (next === null) return null;
          x = next.getTime();
          continue;
        }
        const open = blackouts.filter((w) => isOpen(w, x));
        if (open.length === 0) return x;
        // Inside blackouts: jump to the latest end among those open now (a window is [start, start + duration)).
        x = Math.max(...open.map((w) => w.cron.nextRun(new Date(x - w.durationMs))!.getTime() + w.durationMs));
      }
      return null;
    },
  };
}
