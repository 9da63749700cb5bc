import { describe, expect, it } from 'vitest';
import { KEY_STATES, KEY_TRANSITIONS, KEY_TYPE_PROFILES, KEY_TYPES, canProcess, canProtect, canTransition } from '../../shared/domain.ts';

describe('key lifecycle (NIST SP 800-57 states)', () => {
  it('allows destruction only from deactivated or compromised', () => {
    const from = KEY_STATES.filter((s) => canTransition(s, 'destroyed'));
    expect(from.sort()).toEqual(['compromised', 'deactivated']);
  });

  it('makes destroyed a terminal state', () => {
    for (const s of KEY_STATES) expect(canTransition('destroyed', s)).toBe(false);
  });

  it('never returns to pre-activation and never allows a self-transition', () => {
    for (const s of KEY_STATES) {
      expect(canTransition(s, 'pre_activation')).toBe(false);
      expect(canTransition(s, s)).toBe(false);
    }
  });

  it('lets a suspended key be resumed but a deactivated key never be reactivated', () => {
    expect(canTransition('suspended', 'active')).toBe(true);
    expect(canTransition('deactivated', 'active')).toBe(false);
    expect(canTransition('compromised', 'active')).toBe(false);
  });

  it('lets any live state be marked compromised', () => {
    for (const s of ['pre_activation', 'active', 'suspended', 'deactivated'] as const) expect(canTransition(s, 'compromised')).toBe(true);
  });

  it('protects new data only while active, and processes old data only while active or deactivated (never once compromised)', () => {
    expect(KEY_STATES.filter(canProtect)).toEqual(['active']);
    expect(KEY_STATES.filter(canProcess).sort()).toEqual(['active', 'deactivated']);
  });

  it('lists only known states as targets', () => {
    for (const targets of Object.values(KEY_TRANSITIONS)) for (const t of targets) expect(KEY_STATES).toContain(t);
  });
});

describe('key model of the specification', () => {
  it('gives each key type its algorithms and rotation period', () => {
    expect(KEY_TYPES).toEqual(['device_identity', 'communication', 'storage', 'emergency']);
    expect(KEY_TYPE_PROFILES.device_identity).toMatchObject({ algorithms: ['RSA_2048', 'EC_P256'], usage: 'sign', rotationSeconds: null });
    expect(KEY_TYPE_PROFILES.communication).toMatchObject({ algorithms: ['AES_256'], usage: 'encrypt', rotationSeconds: 86_400 });
    expect(KEY_TYPE_PROFILES.storage).toMatchObject({ algorithms: ['AES_256'], usage: 'encrypt', rotationSeconds: null });
    expect(KEY_TYPE_PROFILES.emergency).toMatchObject({ algorithms: ['RSA_2048'], usage: 'sign', rotationSeconds: 31_536_000 });
  });
});
