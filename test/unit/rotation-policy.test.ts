// Rotation policies (issue 13): validation with a typed error naming the field, windows read in the policy's IANA time
// zone (daylight saving time included), persistence across a restart, and auditing of every change and refusal.
import { afterAll, describe, expect, it } from 'vitest';
import { compileWindows, validatePolicy } from '../../electron/services/rotation/policy.ts';
import { isConsoleError } from '../../shared/errors.ts';
import { CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

afterAll(() => removeTempDirs());

const good = { mode: 'scheduled', periodSeconds: 86_400, timeZone: 'UTC' };

/** Each bad policy and the field its error must name (details.field) and a word its message must contain. */
const BAD: Array<[string, unknown, string, RegExp]> = [
  ['no object', 'weekly', 'policy', /object/],
  ['unknown mode', { ...good, mode: 'sometimes' }, 'mode', /scheduled.*manual/],
  ['period under an hour', { ...good, periodSeconds: 3599 }, 'periodSeconds', /at least 3600 \(1 hour\)/],
  ['period not whole', { ...good, periodSeconds: 3600.5 }, 'periodSeconds', /whole number/],
  ['scheduled without a period', { mode: 'scheduled' }, 'periodSeconds', /period/],
  ['manual with a period', { mode: 'manual', periodSeconds: 86_400 }, 'periodSeconds', /manual policy has no rotation period/],
  ['negative jitter', { ...good, jitterSeconds: -1 }, 'jitterSeconds', /jitter/],
  ['jitter above a tenth of the period', { ...good, jitterSeconds: 8641 }, 'jitterSeconds', /tenth of the period \(8640 s\)/],
  ['usage limit 0', { ...good, usageLimit: 0 }, 'usageLimit', /usage limit/],
  ['usage limit above the default', { ...good, usageLimit: 3_865_470_567 }, 'usageLimit', /3865470566/],
  ['unknown time zone', { ...good, timeZone: 'Mars/Olympus_Mons' }, 'timeZone', /not an IANA time zone/],
  ['empty time zone', { ...good, timeZone: '' }, 'timeZone', /IANA/],
  ['maintenance cron of 4 fields', { ...good, maintenanceWindow: { cron: '0 2 * *', durationMinutes: 60 } }, 'maintenanceWindow.cron', /maintenance window must be a cron expression of 5 fields/],
  ['maintenance cron minute 61', { ...good, maintenanceWindow: { cron: '61 2 * * *', durationMinutes: 60 } }, 'maintenanceWindow.cron', /maintenance window is not a valid cron expression/],
  ['maintenance without duration', { ...good, maintenanceWindow: { cron: '0 2 * * *' } }, 'maintenanceWindow.durationMinutes', /duration of the maintenance window/],
  ['blackout never occurring', { ...good, blackoutWindows: [{ cron: '0 6 31 2 *', durationMinutes: 60 }] }, 'blackoutWindows[0].cron', /blackout window 1/],
  ['second blackout a date, not a cron', { ...good, blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }, { cron: '2026-01-01T00:00:00', durationMinutes: 60 }] }, 'blackoutWindows[1].cron', /blackout window 2 must be a cron expression/],
  ['blackout longer than a week', { ...good, blackoutWindows: [{ cron: '0 6 * * *', durationMinutes: 10_081 }] }, 'blackoutWindows[0].durationMinutes', /from 1 to 10080/],
  ['blackouts not a list', { ...good, blackoutWindows: { cron: '0 6 * * *', durationMinutes: 60 } }, 'blackoutWindows', /list/],
  ['unknown driver', { ...good, driver: 'robot' }, 'driver', /"console".*"provider"/],
  ['provider driving a manual policy', { mode: 'manual', driver: 'provider' }, 'driver', /needs mode "scheduled"/],
  ['provider driver with jitter', { ...good, driver: 'provider', jitterSeconds: 1 }, 'jitterSeconds', /no jitter/],
  ['provider driver with a maintenance window', { ...good, driver: 'provider', maintenanceWindow: { cron: '0 2 * * *', durationMinutes: 60 } }, 'maintenanceWindow', /no maintenance window/],
  ['provider driver with a blackout window', { ...good, driver: 'provider', blackoutWindows: [{ cron: '0 6 * * *', durationMinutes: 60 }] }, 'blackoutWindows', /no blackout windows/],
];

describe('validation', () => {
  it.each(BAD)('refuses %s, naming the field', (_name, input, field, message) => {
    let err: unknown;
    try {
      validatePolicy(input);
    } catch (e) {
      err = e;
    }
    expect(isConsoleError(err)).toBe(true);
    if (!isConsoleError(err)) return;
    expect(err.code).toBe('invalid_input');
    expect(err.details).toMatchObject({ field });
    expect(err.message).toMatch(message);
  });

  it('accepts the limits themselves: one hour, a tenth of the period as jitter, a week-long window, the default usage limit', () => {
    const p = validatePolicy({ ...good, periodSeconds: 3600, jitterSeconds: 360, usageLimit: 3_865_470_566, blackoutWindows: [{ cron: '0 0 * * 1', durationMinutes: 10_080 }] });
    expect(p).toMatchObject({ periodSeconds: 3600, jitterSeconds: 360, usageLimit: 3_865_470_566 });
  });
});

describe('who drives rotation', () => {
  it('defaults to the console; a provider-driven policy has no jitter and no windows', () => {
    expect(validatePolicy(good)).toMatchObject({ driver: 'console', jitterSeconds: 864 });
    expect(validatePolicy({ ...good, driver: 'provider' })).toMatchObject({ driver: 'provider', jitterSeconds: 0, maintenanceWindow: null, blackoutWindows: [] });
    expect(validatePolicy({ ...good, driver: 'provider', blackoutWindows: [] })).toMatchObject({ driver: 'provider' });
  });
});

describe('windows in the time zone', () => {
  // Production 06:00-16:00 Monday to Friday in Berlin: UTC+1 in winter, UTC+2 in summer (worked out by hand).
  const policy = validatePolicy({ ...good, timeZone: 'Europe/Berlin', jitterSeconds: 0, blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] });
  const windows = compileWindows(policy);
  const TABLE: Array<[string, 'blackout' | null]> = [
    ['2026-01-05T04:59:00Z', null], // Monday 05:59 Berlin (winter)
    ['2026-01-05T05:00:00Z', 'blackout'], // 06:00
    ['2026-01-05T14:59:00Z', 'blackout'], // 15:59
    ['2026-01-05T15:00:00Z', null], // 16:00: the window is over
    ['2026-01-10T08:00:00Z', null], // Saturday
    ['2026-07-06T03:59:00Z', null], // Monday 05:59 Berlin (summer)
    ['2026-07-06T04:00:00Z', 'blackout'], // 06:00 summer time
    ['2026-07-06T13:59:00Z', 'blackout'],
    ['2026-07-06T14:00:00Z', null],
  ];
  it.each(TABLE)('at %s a scheduled rotation is held by: %s', (at, expected) => {
    expect(windows.blocks(Date.parse(at))).toBe(expected);
  });

  it('a maintenance window 01:30-03:00 in America/New_York (UTC-5 in January) is the only time rotations start', () => {
    const w = compileWindows(validatePolicy({ ...good, timeZone: 'America/New_York', maintenanceWindow: { cron: '30 1 * * *', durationMinutes: 90 } }));
    expect(w.blocks(Date.parse('2026-01-05T06:29:00Z'))).toBe('maintenance');
    expect(w.blocks(Date.parse('2026-01-05T06:30:00Z'))).toBeNull();
    expect(w.blocks(Date.parse('2026-01-05T07:59:00Z'))).toBeNull();
    expect(w.blocks(Date.parse('2026-01-05T08:00:00Z'))).toBe('maintenance');
  });
});

describe('stored policies', () => {
  it('type and key policies persist across a restart; removing a key policy falls back to its type; changes and refusals are audited', async () => {
    const dir = tempDir('ecps-policy-');
    const c = await openUnlocked(dir);
    const k = await c.keys.create({ type: 'communication', label: 'link' });
    c.rotation.policies.setTypePolicy('communication', { ...good, periodSeconds: 12 * 3600, timeZone: 'Europe/Berlin', blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] });
    c.rotation.policies.setKeyPolicy(k.id, { mode: 'manual', usageLimit: 1000 });
    let err: unknown;
    try {
      c.rotation.policies.setTypePolicy('storage', { ...good, timeZone: 'Nowhere/Land' });
    } catch (e) {
      err = e;
    }
    expect(isConsoleError(err) && err.code).toBe('invalid_input');
    c.close();

    const c2 = await open(dir);
    await c2.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    const key = c2.keys.get(k.id);
    const row = { ...key, providerKeyRef: null, backupKeyRef: null, fallbackKeyRef: null, stateReason: null };
    expect(c2.rotation.policies.forType('communication')).toMatchObject({ source: 'type', policy: { periodSeconds: 43_200, timeZone: 'Europe/Berlin', blackoutWindows: [{ cron: '0 6 * * 1-5', durationMinutes: 600 }] } });
    expect(c2.rotation.policies.forKey(row as never)).toMatchObject({ source: 'key', policy: { mode: 'manual', usageLimit: 1000 } });
    expect(c2.rotation.policies.forType('storage').source).toBe('default');
    c2.rotation.policies.setKeyPolicy(k.id, null);
    expect(c2.rotation.policies.forKey(row as never)).toMatchObject({ source: 'type', policy: { periodSeconds: 43_200 } });
    const records = c2.audit.query({ action: 'rotation.policy_set', limit: 10 }).records.reverse();
    expect(records.map((r) => [r.targetId, r.outcome, r.details?.code ?? null, r.details?.field ?? null])).toEqual([
      ['type:communication', 'success', null, null],
      [k.id, 'success', null, null],
      ['type:storage', 'failure', 'invalid_input', 'timeZone'],
      [k.id, 'success', null, null],
    ]);
    expect(records.every((r) => r.actor === 'alice')).toBe(true);
    c2.close();
  });

  it('setting a policy needs an unlocked store', async () => {
    const c = await openUnlocked();
    await c.handlers['session:lock']({}, CTX);
    expect(() => c.rotation.policies.setTypePolicy('communication', good)).toThrow(expect.objectContaining({ code: 'locked' }));
    c.close();
  });
});
