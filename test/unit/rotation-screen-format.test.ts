// The rotation screen's form helpers (renderer/src/rotation/rotationFormat.ts): the main process's field names and the
// router's shape paths land on the same form field; a field that is not a number is said in words before sending;
// the router's text (which names the channel) never reaches the officer; durations and periods in words.
import { describe, expect, it } from 'vitest';
import { durationWords, errorWords, formFieldOf, formOf, periodWords, policyOf } from '../../renderer/src/rotation/rotationFormat.ts';

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

  it('never shows the router text (channel name and path); the policy check words pass through', () => {
    expect(errorWords('Invalid input for rotation:setTypePolicy: policy.mode: Invalid option')).not.toMatch(/rotation:|policy\./);
    expect(errorWords('The rotation period must be a whole number of seconds, at least 3600 (1 hour).')).toBe('The rotation period must be a whole number of seconds, at least 3600 (1 hour).');
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
});
