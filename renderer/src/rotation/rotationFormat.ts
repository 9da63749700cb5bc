// Words and figures for the rotation screen: durations, policy summaries, the timeline's days, and the policy
// editor's form <-> the policy the main process checks (with its field errors mapped to the form's fields).
import { errorInWords } from '../components/errorWords.ts';
import type { KeyType } from '../../../shared/domain.ts';
import type { ForecastRotation, RotationPolicyView } from '../../../shared/rotationContract.ts';

export const KEY_TYPE_WORDS: Readonly<Record<KeyType, string>> = {
  communication: 'Communication',
  emergency: 'Emergency',
  device_identity: 'Device identity',
  storage: 'Storage',
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "2 days 3 h", "45 min", "under a minute". */
export function durationWords(ms: number): string {
  if (ms < MINUTE) return 'under a minute';
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  if (days > 0) return `${days} ${days === 1 ? 'day' : 'days'}${hours > 0 ? ` ${hours} h` : ''}`;
  if (hours > 0) return `${hours} h${minutes > 0 ? ` ${minutes} min` : ''}`;
  return `${minutes} min`;
}

/** A period in seconds as people say it: "every 24 hours", "every 365 days". */
export function periodWords(seconds: number | null): string {
  if (seconds === null) return 'manual (only an officer or the usage limit rotates)';
  if (seconds % 86_400 === 0 && seconds >= 2 * 86_400) return `every ${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return `every ${seconds / 3600} ${seconds === 3600 ? 'hour' : 'hours'}`;
  return `every ${seconds} seconds`;
}

export function windowsWords(p: RotationPolicyView): string {
  const parts: string[] = [];
  if (p.maintenanceWindow) parts.push(`maintenance ${p.maintenanceWindow.cron} for ${p.maintenanceWindow.durationMinutes} min`);
  for (const w of p.blackoutWindows) parts.push(`blackout ${w.cron} for ${w.durationMinutes} min`);
  return parts.length === 0 ? 'none' : `${parts.join('; ')} (${p.timeZone})`;
}

/** The local calendar day of an instant, "YYYY-MM-DD". */
export function dayOf(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Rotations per day and key type over `days` days from `nowIso` (for the timeline chart); every day present. */
export function rotationsPerDay(items: readonly ForecastRotation[], nowIso: string, days: number): Array<{ day: string; byType: Record<KeyType, number> }> {
  const out = new Map<string, Record<KeyType, number>>();
  const start = new Date(nowIso);
  for (let i = 0; i <= days; i++) {
    const d = new Date(start.getFullYear(), start.getMonth(), start.getDate() + i, 12);
    out.set(dayOf(d.toISOString()), { communication: 0, emergency: 0, device_identity: 0, storage: 0 });
  }
  for (const item of items) {
    const row = out.get(dayOf(item.startsAt ?? item.dueAt));
    if (row) row[item.keyType] += 1;
  }
  return [...out].map(([day, byType]) => ({ day, byType }));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** "4 Dec" for "2026-12-04". */
export function shortDay(day: string): string {
  const [, m, d] = day.split('-').map(Number) as [number, number, number];
  return `${d} ${MONTHS[m - 1]}`;
}

export interface CalendarDay {
  /** "YYYY-MM-DD", the local day. */
  day: string;
  total: number;
  byType: Record<KeyType, number>;
}

/**
 * The timeline's days laid out as a calendar: weeks from Monday to Sunday, one row per week, `null` for the days of
 * the first and last week that fall outside the forecast. `perDay` is rotationsPerDay's output (consecutive days).
 */
export function calendarWeeks(perDay: ReadonlyArray<{ day: string; byType: Record<KeyType, number> }>): Array<Array<CalendarDay | null>> {
  const weeks: Array<Array<CalendarDay | null>> = [];
  let week: Array<CalendarDay | null> = [];
  for (const d of perDay) {
    const [y, m, dd] = d.day.split('-').map(Number) as [number, number, number];
    const column = (new Date(y, m - 1, dd, 12).getDay() + 6) % 7; // Monday 0 … Sunday 6
    if (week.length === 0) for (let i = 0; i < column; i++) week.push(null);
    week.push({ day: d.day, total: Object.values(d.byType).reduce((a, b) => a + b, 0), byType: d.byType });
    if (week.length === 7) {
      weeks.push(week);
      week = [];
    }
  }
  if (week.length > 0) {
    while (week.length < 7) week.push(null);
    weeks.push(week);
  }
  return weeks;
}

// ---- the policy editor ----

export interface WindowForm {
  cron: string;
  durationMinutes: string;
}

export interface PolicyForm {
  mode: 'scheduled' | 'manual';
  /** Kept as the policy has it (a key's provider-driven policy stays provider-driven when its other fields are edited). */
  driver: 'console' | 'provider';
  periodHours: string;
  jitterSeconds: string;
  usageLimit: string;
  timeZone: string;
  maintenance: WindowForm | null;
  blackouts: WindowForm[];
}

export function formOf(p: RotationPolicyView): PolicyForm {
  const w = (x: { cron: string; durationMinutes: number }): WindowForm => ({ cron: x.cron, durationMinutes: String(x.durationMinutes) });
  return {
    mode: p.mode,
    driver: p.driver,
    periodHours: p.periodSeconds === null ? '24' : String(p.periodSeconds / 3600),
    jitterSeconds: String(p.jitterSeconds),
    usageLimit: String(p.usageLimit),
    timeZone: p.timeZone,
    maintenance: p.maintenanceWindow ? w(p.maintenanceWindow) : null,
    blackouts: p.blackoutWindows.map(w),
  };
}

/** Field name (as the main process names it) -> error in words. */
export type FieldErrors = Record<string, string>;

const NUMBER = /^\s*\d+(\.\d+)?\s*$/;
/** A form field holding a plain non-negative number ("24", "0.5"); anything else is said beside the field. */
export const isNumberText = (text: string): boolean => NUMBER.test(text);

/**
 * The form as a policy for rotation:set*Policy, or the fields that are not numbers at all (said in words here: the
 * main process checks everything else and names the field).
 */
export function policyOf(form: PolicyForm): { policy: Record<string, unknown> | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const num = (text: string, field: string, what: string): number => {
    if (!isNumberText(text)) {
      errors[field] = `Enter the ${what} as a number.`;
      return 0;
    }
    return Number(text);
  };
  const windowOf = (w: WindowForm, field: string, label: string) => ({ cron: w.cron.trim(), durationMinutes: num(w.durationMinutes, `${field}.durationMinutes`, `duration of ${label} in minutes`) });
  const policy: Record<string, unknown> = {
    mode: form.mode,
    driver: form.driver,
    usageLimit: num(form.usageLimit, 'usageLimit', 'usage limit'),
    timeZone: form.timeZone.trim(),
    maintenanceWindow: form.maintenance ? windowOf(form.maintenance, 'maintenanceWindow', 'the maintenance window') : null,
    blackoutWindows: form.blackouts.map((w, i) => windowOf(w, `blackoutWindows[${i}]`, `blackout window ${i + 1}`)),
  };
  if (form.mode === 'scheduled') {
    // Hours as typed; the main process refuses a period under an hour or not a whole number of seconds, in words.
    policy.periodSeconds = Math.round(num(form.periodHours, 'periodSeconds', 'rotation period in hours') * 3600 * 1000) / 1000;
    policy.jitterSeconds = num(form.jitterSeconds, 'jitterSeconds', 'jitter in seconds');
  }
  return { policy: Object.keys(errors).length > 0 ? null : policy, errors };
}

/**
 * The field an error from the main process belongs to, in the form's terms: the policy check names it
 * ("periodSeconds", "blackoutWindows[1].cron"); a refusal of the input's shape names its path ("policy.blackoutWindows.1.cron").
 */
export function formFieldOf(field: unknown): string | null {
  if (typeof field !== 'string' || field === '' || field === '(input)') return null;
  const path = field.replace(/^policy\.?/, '');
  if (path === '') return null;
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/**
 * A refusal in the one wording of every screen (components/errorWords.ts errorInWords): each refused value named in
 * words with its rule ("Mode is not one of the allowed choices."), a service's sentence kept; never a channel name or
 * a schema path.
 */
export function errorWords(error: unknown): string {
  return errorInWords(error).summary || 'The policy was not saved.';
}
