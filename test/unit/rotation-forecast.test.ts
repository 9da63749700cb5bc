// The 30-day forecast of the rotation screen (issue 13): what rotates when, from each key's policy, its windows and the
// jitter fixed per version. The clock is set by hand (a `now` per case); the expected times come from the tables
// below, written from the specification's periods (KMS_INTEGRATION.md, "Key Types and Usage": communication 24 hours,
// emergency 1 year, device identity and storage manual) and from the windows as a person reads them on a calendar
// (Europe/Berlin is UTC+1 in January and UTC+2 in July), never from the engine's own computation.
import { describe, expect, it } from 'vitest';
import { compileWindows, defaultPolicy, validatePolicy, type RotationPolicy } from '../../electron/services/rotation/policy.ts';
import { forecastRotations, type ForecastKey } from '../../electron/services/rotation/upcoming.ts';
import type { KeyType } from '../../shared/domain.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HORIZON = 30 * DAY;
const at = (s: string) => Date.parse(s);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The specification's periods (null: manual). */
const SPEC_PERIOD_MS: Record<KeyType, number | null> = { communication: 24 * HOUR, emergency: 365 * DAY, device_identity: null, storage: null };

const T0 = at('2026-01-05T12:00:00Z'); // a Monday

let seq = 0;
/** A key whose current version was made at `createdAt`; its job is due a period later (+ jitter, 0 unless given). */
function key(type: KeyType, createdAt: number, policy: RotationPolicy = { ...defaultPolicy(type), jitterSeconds: 0 }, version = 1): ForecastKey {
  const period = policy.mode === 'scheduled' && policy.periodSeconds !== null ? policy.periodSeconds * 1000 : null;
  seq += 1;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    label: `${type} ${seq}`,
    type,
    currentVersion: version,
    policy,
    windows: compileWindows(policy),
    job: period === null ? null : { reason: 'schedule', dueAt: createdAt + period, nextAttemptAt: null },
  };
}

const berlinBlackout = validatePolicy({
  mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: 0, timeZone: 'Europe/Berlin',
  // Production Monday to Friday 06:00-16:00 local time.
  blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }],
});

describe('the 30-day forecast from the specification periods', () => {
  it('the default policies the cases below use are the specification periods', () => {
    for (const [type, period] of Object.entries(SPEC_PERIOD_MS) as Array<[KeyType, number | null]>) {
      const p = defaultPolicy(type);
      expect(p.mode === 'manual' ? null : p.periodSeconds! * 1000).toBe(period);
    }
  });

  it('a communication key made now rotates once a day: 30 rotations, versions 1 to 30, each starting when due', () => {
    const k = key('communication', T0);
    const { items, truncated } = forecastRotations([k], T0, HORIZON);
    expect(truncated).toBe(false);
    const expected = Array.from({ length: 30 }, (_, i) => ({ fromVersion: i + 1, dueAt: iso(T0 + (i + 1) * DAY), startsAt: iso(T0 + (i + 1) * DAY), projected: i > 0 }));
    expect(items.map((i) => ({ fromVersion: i.fromVersion, dueAt: iso(i.dueAt), startsAt: iso(i.startsAt), projected: i.projected }))).toEqual(expected);
    expect(items.every((i) => !i.overdue && i.heldBy === null && i.reason === 'schedule')).toBe(true);
  });

  it('an emergency key (yearly) appears only when its year ends within the 30 days; manual keys never', () => {
    const soon = key('emergency', T0 - 350 * DAY);
    const fresh = key('emergency', T0);
    const identity = key('device_identity', T0 - 1000 * DAY);
    const storage = key('storage', T0 - 1000 * DAY);
    const { items } = forecastRotations([soon, fresh, identity, storage], T0, HORIZON);
    expect(items.map((i) => [i.keyId, iso(i.dueAt)])).toEqual([[soon.id, iso(T0 + 15 * DAY)]]);
  });

  it('a missed rotation appears once (overdue, starting now), never once per missed period; the next is a period after now', () => {
    const k = key('communication', T0 - 3 * DAY);
    const { items } = forecastRotations([k], T0, HORIZON);
    expect(items.filter((i) => i.overdue)).toHaveLength(1);
    expect(items[0]).toMatchObject({ fromVersion: 1, dueAt: T0 - 2 * DAY, startsAt: T0, overdue: true, projected: false });
    expect(items[1]).toMatchObject({ fromVersion: 2, dueAt: T0 + DAY, startsAt: T0 + DAY, overdue: false, projected: true });
    expect(items).toHaveLength(31);
  });

  it('a usage-limit request is due at once whatever the policy (a manual key too) and ignores the windows', () => {
    const manual = key('storage', T0);
    manual.job = { reason: 'usage_limit', dueAt: at('2026-01-05T07:55:00Z'), nextAttemptAt: null }; // reached 5 minutes ago
    const blocked = key('communication', T0, berlinBlackout);
    blocked.job = { reason: 'usage_limit', dueAt: at('2026-01-05T08:00:00Z'), nextAttemptAt: null }; // 09:00 in Berlin: production
    const { items } = forecastRotations([manual, blocked], at('2026-01-05T08:00:00Z'), HORIZON);
    const m = items.filter((i) => i.keyId === manual.id);
    expect(m).toEqual([expect.objectContaining({ reason: 'usage_limit', startsAt: at('2026-01-05T08:00:00Z'), heldBy: null, overdue: true })]);
    expect(items.find((i) => i.keyId === blocked.id)).toMatchObject({ reason: 'usage_limit', startsAt: at('2026-01-05T08:00:00Z'), heldBy: null });
  });
});

describe('windows in a named time zone', () => {
  /** [now (= the key's creation), expected (due, starts, held by) of the first rotations] read off a Berlin calendar. */
  const BERLIN: Array<{ name: string; created: string; expect: Array<[string, string, 'blackout' | null]> }> = [
    {
      name: 'winter (CET, UTC+1): due Tuesday 07:30 local, inside production, starts at 16:00 local; then daily at 16:00',
      created: '2026-01-05T06:30:00Z',
      expect: [
        ['2026-01-06T06:30:00Z', '2026-01-06T15:00:00Z', 'blackout'],
        ['2026-01-07T15:00:00Z', '2026-01-07T15:00:00Z', null],
        ['2026-01-08T15:00:00Z', '2026-01-08T15:00:00Z', null],
      ],
    },
    {
      name: 'summer (CEST, UTC+2): the same local hours are two hours before UTC',
      created: '2026-07-06T05:30:00Z',
      expect: [
        ['2026-07-07T05:30:00Z', '2026-07-07T14:00:00Z', 'blackout'],
        ['2026-07-08T14:00:00Z', '2026-07-08T14:00:00Z', null],
      ],
    },
    {
      name: 'weekends are free: Saturday and Sunday at 06:00 local start when due, Monday 06:00 waits for 16:00',
      created: '2026-01-09T05:00:00Z',
      expect: [
        ['2026-01-10T05:00:00Z', '2026-01-10T05:00:00Z', null],
        ['2026-01-11T05:00:00Z', '2026-01-11T05:00:00Z', null],
        ['2026-01-12T05:00:00Z', '2026-01-12T15:00:00Z', 'blackout'],
      ],
    },
  ];
  for (const c of BERLIN) {
    it(c.name, () => {
      const k = key('communication', at(c.created), berlinBlackout);
      const { items } = forecastRotations([k], at(c.created), HORIZON);
      expect(items.slice(0, c.expect.length).map((i) => [iso(i.dueAt), iso(i.startsAt), i.heldBy])).toEqual(c.expect.map(([d, s, h]) => [iso(at(d)), iso(at(s)), h]));
    });
  }

  it('a maintenance window (UTC 02:00-03:00) moves each start to its next opening', () => {
    const p = validatePolicy({ mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: 0, maintenanceWindow: { cron: '0 2 * * *', durationMinutes: 60 } });
    const k = key('communication', T0, p);
    const { items } = forecastRotations([k], T0, HORIZON);
    expect(items.slice(0, 2).map((i) => [iso(i.dueAt), iso(i.startsAt), i.heldBy])).toEqual([
      ['2026-01-06T12:00:00.000Z', '2026-01-07T02:00:00.000Z', 'maintenance'],
      ['2026-01-08T02:00:00.000Z', '2026-01-08T02:00:00.000Z', null],
    ]);
  });

  it('a window that does not open within the 30 days leaves the start open (null) and stops the projection there', () => {
    // 29 February: the next one after January 2026 is in 2028.
    const p = validatePolicy({ mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: 0, maintenanceWindow: { cron: '0 2 29 2 *', durationMinutes: 60 } });
    const { items } = forecastRotations([key('communication', T0, p)], T0, HORIZON);
    expect(items).toEqual([expect.objectContaining({ dueAt: T0 + DAY, startsAt: null, heldBy: 'maintenance' })]);
  });
});

describe('jitter and limits', () => {
  it('with the default jitter (1 % of 24 h = 864 s) every rotation starts within 864 s after its period, the same on every call', () => {
    const policy = defaultPolicy('communication');
    expect(policy.jitterSeconds).toBe(864);
    const k = key('communication', T0, policy);
    const first = forecastRotations([k], T0, HORIZON).items;
    expect(first.length).toBeGreaterThanOrEqual(29);
    let previousStart = T0;
    for (const i of first) {
      const delay = i.dueAt - previousStart - 24 * HOUR;
      if (i.projected) {
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(864_000);
      }
      previousStart = i.startsAt!;
    }
    // Not all the same offset: the jitter differs per version.
    expect(new Set(first.slice(1).map((i, n) => i.dueAt - first[n]!.startsAt! - 24 * HOUR)).size).toBeGreaterThan(1);
    expect(forecastRotations([k], T0, HORIZON).items).toEqual(first);
  });

  it('many keys: earliest first across keys, cut at maxItems with truncated set', () => {
    const a = key('communication', T0 + 2 * HOUR);
    const b = key('communication', T0 + HOUR);
    const { items, truncated } = forecastRotations([a, b], T0, HORIZON, 3);
    expect(truncated).toBe(true);
    expect(items.map((i) => [i.keyId, iso(i.dueAt)])).toEqual([
      [b.id, iso(T0 + DAY + HOUR)],
      [a.id, iso(T0 + DAY + 2 * HOUR)],
      [b.id, iso(T0 + 2 * DAY + HOUR)],
    ]);
  });
});
