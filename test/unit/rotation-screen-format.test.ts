// The rotation screen's form helpers (renderer/src/rotation/rotationFormat.ts): the main process's field names and the
// router's shape paths land on the same form field; a field that is not a number is said in words before sending;
// the router's text (which names the channel) never reaches the officer; durations and periods in words.
import { describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { invalidInputError } from '../../electron/ipc/router.ts';
import { calendarWeeks, durationWords, errorWords, formFieldOf, formOf, periodWords, policyOf, shortDay } from '../../renderer/src/rotation/rotationFormat.ts';

describe('rotation screen form helpers', () => {
  it('maps an error field to the form field, from the policy check and from the shape check alike', () => {
    const table: Array<[unknown, string | null]> = [
      ['periodSeconds', 'periodSeconds'],
      ['blackoutWindows[1].cron', 'blackoutWindows[1].cron'],
      ['policy.blackoutWindows.1.cron', 'blackoutWindows[1].cron'],
      ['policy.maintenanceWindow.durationMinutes', 'maintenanceWindow.durationMinutes'],
      ['policy.mode', 'mode'],
      ['policy', null],
      ['(input)', null],
      [undefined, null],
    ];
    for (const [field, expected] of table) expect(formFieldOf(field), String(field)).toBe(expected);
  });

  it('never shows the router text (channel name and path), says the refused value in words; the policy check words pass through', () => {
    // Real refusals as the window holds them (an Error carrying the envelope's code, message and details).
    const received = (e: ConsoleError) => Object.assign(new Error(e.message), e.toInfo());
    const parsed = contract['rotation:setTypePolicy'].input.safeParse({ type: 'storage', policy: { mode: 'sometimes' } });
    if (parsed.success) throw new Error('test input was accepted');
    const routerText = errorWords(received(invalidInputError('rotation:setTypePolicy', parsed.error)));
    expect(routerText).not.toMatch(/rotation:|policy\.|Invalid input for/);
    expect(routerText).toContain('Mode is not one of the allowed choices.');
    const period = new ConsoleError('invalid_input', 'The rotation period must be a whole number of seconds, at least 3600 (1 hour).', { field: 'periodSeconds' });
    expect(errorWords(received(period))).toBe('The rotation period must be a whole number of seconds, at least 3600 (1 hour).');
  });

  it('turns the form into a policy (hours to seconds) and says which fields are not numbers', () => {
    const form = formOf({ mode: 'scheduled', driver: 'console', periodSeconds: 86_400, jitterSeconds: 864, usageLimit: 5, timeZone: 'UTC', maintenanceWindow: null, blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] });
    expect(form.periodHours).toBe('24');
    expect(policyOf({ ...form, periodHours: '0.5' }).policy).toMatchObject({ periodSeconds: 1800, jitterSeconds: 864, usageLimit: 5, blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] });
    const bad = policyOf({ ...form, periodHours: 'daily', blackouts: [{ cron: '0 6 * * 1-5', durationMinutes: 'ten' }] });
    expect(bad.policy).toBeNull();
    expect(bad.errors).toEqual({ periodSeconds: 'Enter the rotation period in hours as a number.', 'blackoutWindows[0].durationMinutes': 'Enter the duration of blackout window 1 in minutes as a number.' });
    expect(policyOf({ ...form, mode: 'manual' }).policy).not.toHaveProperty('periodSeconds');
    // A provider-driven key policy edited on the screen stays provider-driven (dropping the field would switch the
    // provider's schedule off without the officer asking).
    const byProvider = formOf({ mode: 'scheduled', driver: 'provider', periodSeconds: 90 * 86_400, jitterSeconds: 0, usageLimit: 5, timeZone: 'UTC', maintenanceWindow: null, blackoutWindows: [] });
    expect(policyOf({ ...byProvider, usageLimit: '6' }).policy).toMatchObject({ driver: 'provider', periodSeconds: 90 * 86_400, usageLimit: 6 });
  });

  it('says durations and periods in words', () => {
    expect(durationWords(2 * 86_400_000)).toBe('2 days');
    expect(durationWords(47 * 3_600_000 + 45 * 60_000)).toBe('1 day 23 h');
    expect(durationWords(90 * 60_000)).toBe('1 h 30 min');
    expect(durationWords(30_000)).toBe('under a minute');
    expect(periodWords(86_400)).toBe('every 24 hours');
    expect(periodWords(365 * 86_400)).toBe('every 365 days');
    expect(periodWords(null)).toMatch(/^manual/);
  });

  describe('the 30-day calendar', () => {
    const zero = { communication: 0, emergency: 0, device_identity: 0, storage: 0 };
    const days = (first: string, count: number) => {
      const [y, m, d] = first.split('-').map(Number) as [number, number, number];
      return Array.from({ length: count }, (_, i) => {
        const t = new Date(y, m - 1, d + i, 12);
        return { day: `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, '0')}-${String(t.getDate()).padStart(2, '0')}`, byType: { ...zero } };
      });
    };

    it('lays the days out Monday to Sunday, blank before the first and after the last (dates from a printed calendar)', () => {
      // December 2026: the 4th is a Friday, the 31st a Thursday; January 3rd 2027 a Sunday, the 4th a Monday.
      const table: Array<[first: string, count: number, firstRow: Array<string | null>, lastRow: Array<string | null>, rows: number]> = [
        ['2026-12-04', 32, [null, null, null, null, '2026-12-04', '2026-12-05', '2026-12-06'], ['2027-01-04', null, null, null, null, null, null], 6],
        ['2026-11-30', 7, ['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06'], ['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06'], 1],
        ['2027-01-03', 2, [null, null, null, null, null, null, '2027-01-03'], ['2027-01-04', null, null, null, null, null, null], 2],
      ];
      for (const [first, count, firstRow, lastRow, rows] of table) {
        const weeks = calendarWeeks(days(first, count));
        expect(weeks.length, first).toBe(rows);
        expect(weeks[0]!.map((c) => c?.day ?? null), first).toEqual(firstRow);
        expect(weeks.at(-1)!.map((c) => c?.day ?? null), first).toEqual(lastRow);
        for (const w of weeks) expect(w, first).toHaveLength(7);
        expect(weeks.flat().filter(Boolean), first).toHaveLength(count);
      }
    });

    it('totals each day over the key types', () => {
      const d = days('2026-12-07', 2);
      d[0]!.byType = { communication: 3, emergency: 1, device_identity: 0, storage: 2 };
      const [week] = calendarWeeks(d);
      expect(week![0]).toMatchObject({ day: '2026-12-07', total: 6 });
      expect(week![1]).toMatchObject({ day: '2026-12-08', total: 0 });
    });

    it('names a day as "4 Dec"', () => {
      expect(['2026-12-04', '2027-01-31', '2026-05-10'].map(shortDay)).toEqual(['4 Dec', '31 Jan', '10 May']);
    });
  });
});
