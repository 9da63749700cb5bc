// Lowering a rotation policy is guarded (issue 14, "lowering a policy"; docs/two-person-control.md): a change that
// can make a due rotation happen later or less surely (scheduled rotation switched off, a longer period, a higher usage
// limit, more jitter, the provider driving it, narrower maintenance or wider blackout windows) becomes a rotation.lower
// request; one that rotates as soon and as surely or more runs at once. The table below is the specification; each row goes through
// the guard table (classify) for a key type's policy, a key's own policy and removing a key's own policy.
import { describe, expect, it } from 'vitest';
import type { ApprovalAction } from '../../shared/approvalsContract.ts';
import { classify, DEFAULT_POLICIES, type GuardContext } from '../../electron/services/approvals/guardedActions.ts';
import type { RotationPolicy } from '../../electron/services/rotation/policy.ts';

const H = 3600;
const DAY = 24 * H;
const LIMIT = 1_000_000;

const policy = (p: Partial<RotationPolicy>): RotationPolicy => ({
  mode: 'scheduled', driver: 'console', periodSeconds: DAY, jitterSeconds: 0, usageLimit: LIMIT, timeZone: 'UTC', maintenanceWindow: null, blackoutWindows: [], ...p,
});
const manual = (p: Partial<RotationPolicy> = {}) => policy({ mode: 'manual', periodSeconds: null, ...p });
const NIGHT = { cron: '0 2 * * *', durationMinutes: 120 };
const SHIFT = { cron: '0 6 * * 1-5', durationMinutes: 480 };
const WEEKEND = { cron: '0 0 * * 6', durationMinutes: 2880 };

// [what, policy in force, policy asked for, guarded]
const TABLE: Array<[string, RotationPolicy, RotationPolicy, boolean]> = [
  ['the same policy', policy({}), policy({}), false],
  ['a shorter period', policy({}), policy({ periodSeconds: 12 * H }), false],
  ['a longer period', policy({}), policy({ periodSeconds: 2 * DAY }), true],
  ['a lower usage limit', policy({}), policy({ usageLimit: LIMIT / 2 }), false],
  ['a higher usage limit', policy({}), policy({ usageLimit: LIMIT * 2 }), true],
  ['scheduled -> manual (auto-rotation off)', policy({}), manual(), true],
  ['manual -> scheduled (auto-rotation on)', manual(), policy({ periodSeconds: 30 * DAY }), false],
  ['manual -> manual with a higher limit', manual(), manual({ usageLimit: LIMIT * 2 }), true],
  ['manual -> manual with a lower limit', manual(), manual({ usageLimit: 10 }), false],
  ['a shorter period but a higher limit', policy({}), policy({ periodSeconds: H, usageLimit: LIMIT + 1 }), true],
  ['a longer period but a lower limit', policy({}), policy({ periodSeconds: 7 * DAY, usageLimit: 1 }), true],
  // The rule (docs/two-person-control.md): anything that can make a due rotation happen later or less surely lowers.
  ['more jitter', policy({ jitterSeconds: 60 }), policy({ jitterSeconds: 600 }), true],
  ['less jitter', policy({ jitterSeconds: 600 }), policy({ jitterSeconds: 60 }), false],
  // Jitter counts with the period: a version lives at most period + jitter on schedule.
  ['half the period with some jitter', policy({ jitterSeconds: 0 }), policy({ periodSeconds: 12 * H, jitterSeconds: 432 }), false],
  ['the same period + jitter, shared otherwise', policy({ periodSeconds: DAY, jitterSeconds: 600 }), policy({ periodSeconds: DAY - 600, jitterSeconds: 1200 }), false],
  ['a slightly shorter period, much more jitter', policy({ periodSeconds: DAY, jitterSeconds: 0 }), policy({ periodSeconds: DAY - 60, jitterSeconds: 3600 }), true],
  ['console-driven -> provider-driven', policy({}), policy({ driver: 'provider' }), true],
  ['provider-driven -> console-driven', policy({ driver: 'provider' }), policy({}), false],
  ['provider-driven with a shorter period', policy({ driver: 'provider' }), policy({ driver: 'provider', periodSeconds: 12 * H }), false],
  ['only the time zone changes, no windows', policy({}), policy({ timeZone: 'Europe/Berlin' }), false],
  ['the time zone changes while a window applies', policy({ maintenanceWindow: NIGHT }), policy({ maintenanceWindow: NIGHT, timeZone: 'Europe/Berlin' }), true],
  ['a maintenance window added', policy({}), policy({ maintenanceWindow: NIGHT }), true],
  ['the maintenance window removed', policy({ maintenanceWindow: NIGHT }), policy({}), false],
  ['the maintenance window longer (same start)', policy({ maintenanceWindow: NIGHT }), policy({ maintenanceWindow: { ...NIGHT, durationMinutes: 240 } }), false],
  ['the maintenance window shorter', policy({ maintenanceWindow: NIGHT }), policy({ maintenanceWindow: { ...NIGHT, durationMinutes: 30 } }), true],
  ['the maintenance window moved (another cron)', policy({ maintenanceWindow: NIGHT }), policy({ maintenanceWindow: { ...NIGHT, cron: '0 3 * * *' } }), true],
  ['a blackout window added', policy({}), policy({ blackoutWindows: [SHIFT] }), true],
  ['a blackout window removed', policy({ blackoutWindows: [SHIFT, WEEKEND] }), policy({ blackoutWindows: [WEEKEND] }), false],
  ['a blackout window shorter', policy({ blackoutWindows: [SHIFT] }), policy({ blackoutWindows: [{ ...SHIFT, durationMinutes: 60 }] }), false],
  ['a blackout window longer', policy({ blackoutWindows: [SHIFT] }), policy({ blackoutWindows: [{ ...SHIFT, durationMinutes: 600 }] }), true],
  ['the blackout windows reordered', policy({ blackoutWindows: [SHIFT, WEEKEND] }), policy({ blackoutWindows: [WEEKEND, SHIFT] }), false],
  // A manual policy rotates on no schedule: windows, jitter and driver do not delay anything but the usage limit.
  ['manual: a blackout window added', manual(), manual({ blackoutWindows: [SHIFT] }), false],
];

/** A guard context whose policies in force are `current` (for the type and the key) and `typeOfKey` (a key's type's). */
const ctx = (current: RotationPolicy, typeOfKey: RotationPolicy = current): GuardContext => ({
  policyOf: (action: ApprovalAction) => DEFAULT_POLICIES[action],
  rotationPolicy: (t) => ('typeOfKey' in t ? typeOfKey : current),
});
const KEY = '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f';

describe('rotation policy changes: guarded when they rotate less', () => {
  for (const [what, current, next, guarded] of TABLE) {
    const expected = guarded ? { action: 'rotation.lower', policyAction: 'rotation.lower' } : null;
    it(`${what}: ${guarded ? 'needs approval' : 'runs at once'}`, () => {
      expect(classify('rotation:setTypePolicy', { type: 'communication', policy: next }, ctx(current))).toEqual(expected);
      expect(classify('rotation:setKeyPolicy', { keyId: KEY, policy: next }, ctx(current))).toEqual(expected);
      // Removing a key's own policy puts its type's in force.
      expect(classify('rotation:clearKeyPolicy', { keyId: KEY }, ctx(current, next))).toEqual(expected);
    });
  }

  it('an input the handler will refuse (a period under an hour), or an unknown key, is not a request', () => {
    expect(classify('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 60 } }, ctx(policy({})))).toBeNull();
    const unknown: GuardContext = { policyOf: (a) => DEFAULT_POLICIES[a], rotationPolicy: () => null };
    expect(classify('rotation:setKeyPolicy', { keyId: KEY, policy: manual() }, unknown)).toBeNull();
  });
});
