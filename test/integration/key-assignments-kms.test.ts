// Key assignment and keys whose material lives in a provider (the AWS KMS emulator): such a key cannot be assigned,
// is never a robot's default key, and an assigned local key migrated to the provider turns the assignment broken
// (named, with the provider) instead of being silently replaced by another key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, type Emulators, type Harness, initialized, startEmulators } from './providers-kit.ts';

let emu: Emulators;
let h: Harness;
beforeAll(async () => {
  emu = await startEmulators();
  h = await initialized();
  await h.call('providers:save', { config: awsConfig(emu, { use_kms_for_storage: false }) });
  await h.call('fleet:create', { deviceId: 'uv-k1', name: 'KMS one', model: 'UV-7', site: 'Plant K' });
});
afterAll(async () => {
  h.console.close();
  await emu.close();
  removeTempDirs();
});

describe('key assignment with provider-held keys', () => {
  it('refuses to assign a key held by a provider and never offers one as the default', async () => {
    const remote = await h.call('keys:create', { type: 'communication', label: 'aws comm', provider: 'aws-primary' });
    const refused = await h.fail(h.call('fleet:assignKey', { scope: 'site', scopeId: 'Plant K', keyType: 'communication', keyId: remote.id }));
    expect(refused.code).toBe('unsupported_operation');
    expect(refused.message).toContain('its material is held by provider aws-primary, not in this store');
    expect(h.auditOf('fleet.key.assign').at(-1)).toMatchObject({ outcome: 'failure', details: { code: 'unsupported_operation' } });
    // The only communication key is in AWS: the robot has none to receive.
    const view = await h.call('fleet:keyAssignments', { deviceId: 'uv-k1' });
    expect(view.effective[0]).toMatchObject({ keyType: 'communication', keyId: null, source: 'none', errorCode: 'not_found' });
  });

  it('an assigned local key migrated to the provider is reported broken, not replaced', async () => {
    const local = await h.call('keys:create', { type: 'communication', label: 'plant K comm', provider: 'local' });
    await h.call('fleet:assignKey', { scope: 'site', scopeId: 'Plant K', keyType: 'communication', keyId: local.id });
    expect((await h.call('fleet:keyAssignments', { deviceId: 'uv-k1' })).effective[0]).toMatchObject({ keyId: local.id, source: 'site', error: null });
    expect(await h.call('keys:migrate', { providerId: 'aws-primary', keyIds: [local.id] })).toMatchObject({ state: 'done', done: 1 });
    const e = (await h.call('fleet:keyAssignments', { deviceId: 'uv-k1' })).effective[0]!;
    expect(e).toMatchObject({ keyId: local.id, source: 'site', errorCode: 'unsupported_operation' });
    expect(e.error).toContain(`"plant K comm" (${local.id}) assigned to site Plant K cannot be delivered: its material is held by provider aws-primary`);
  });
});
