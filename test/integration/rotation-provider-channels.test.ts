// The two provider-rotation channels the CLI already had (docs/rotation.md, "Provider-side rotation"):
// rotation:providerSchedule reads back what the provider reports now, and rotation:checkDrift runs the drift check on
// demand. A real console and SQLite, the AWS KMS emulator on 127.0.0.1; what AWS holds is changed with the raw SDK,
// never through the console.
import { DescribeKeyCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../../electron/ipc/router.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator } from '../emulators/aws-kms/testkit.ts';
import { CTX, removeTempDirs } from '../unit/store-testkit.ts';
import { awsConfig, type Harness, initialized } from './providers-kit.ts';

const DAY_S = 86_400;

describe('rotation:providerSchedule and rotation:checkDrift', () => {
  let aws: AwsKmsEmulator;
  let h: Harness;

  beforeAll(async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    aws = await startTestEmulator();
    h = await initialized({ rotation: { scheduler: false } });
    await h.call('providers:save', { config: awsConfig({ aws, vault: null as never, vaultToken: '', close: async () => undefined }, { use_kms_for_storage: false }) });
  });
  afterAll(async () => {
    h?.console.close();
    await aws?.close();
    removeTempDirs();
  });

  it("reads back AWS's own schedule: off at first, 90 days once a provider-driven policy is set", async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'aws-sched', provider: 'aws-primary' });
    expect(await h.call('rotation:providerSchedule', { keyId: key.id })).toMatchObject({ keyId: key.id, provider: 'aws-primary', enabled: false, periodSeconds: null });
    await h.call('rotation:setKeyPolicy', { keyId: key.id, policy: { mode: 'scheduled', driver: 'provider', periodSeconds: 90 * DAY_S } });
    expect(await h.call('rotation:providerSchedule', { keyId: key.id })).toMatchObject({ enabled: true, periodSeconds: 90 * DAY_S });
  });

  it('a key whose provider cannot rotate by itself is refused (field driver); an unknown key is not_found; a bad id invalid_input', async () => {
    const local = await h.call('keys:create', { type: 'storage', label: 'local-sched' });
    expect(await h.fail(h.call('rotation:providerSchedule', { keyId: local.id }))).toMatchObject({ code: 'invalid_input', details: { field: 'driver' } });
    expect((await h.fail(h.call('rotation:providerSchedule', { keyId: '00000000-0000-4000-8000-000000000000' }))).code).toBe('not_found');
    const routed = await createRouter({ handlers: h.console.handlers }).route({ channel: 'rotation:checkDrift', input: { keyId: 'nope' }, ctx: CTX, trustedSender: true });
    expect(routed).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('a rotation made at AWS behind the console is found once, adopted as the next version and audited', async () => {
    const key = await h.call('keys:create', { type: 'storage', label: 'aws-drift', provider: 'aws-primary' });
    expect(await h.call('rotation:checkDrift', { keyId: key.id })).toEqual({ checked: 1, drift: [], errors: [] });
    const arn = (await rawClient(aws).send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${key.id}` }))).KeyMetadata!.Arn!;
    await rawClient(aws).send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    const report = await h.call('rotation:checkDrift', { keyId: key.id });
    expect(report.checked).toBe(1);
    expect(report.drift).toEqual([expect.objectContaining({ keyId: key.id, provider: 'aws-primary', providerVersion: 2, adoptedAs: 2, origin: 'on_demand', expected: false })]);
    expect((await h.call('keys:get', { keyId: key.id })).currentVersion).toBe(2);
    expect(h.auditOf('rotation.drift_detected').filter((r) => r.targetId === key.id)).toHaveLength(1);
    expect(h.auditOf('rotation.drift_detected').find((r) => r.targetId === key.id)!.details).toMatchObject({ by: 'officer' });
    // Checked again: nothing new.
    expect((await h.call('rotation:checkDrift', {})).drift.filter((d) => d.keyId === key.id)).toEqual([]);
  });
});
