// The CLI's provider-side rotation (docs/rotation.md, docs/cli.md): `rotation policy set --key` with "driver":
// "provider" sets and reads back the schedule at the key's provider (AWS KMS emulator on 127.0.0.1), `rotation policy
// get` shows what the provider reports, and `rotation drift` finds a version made behind the console's back once.
import { DescribeKeyCommand, GetKeyRotationStatusCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { cliRunner } from './support/cliProcess.ts';

const PASS = 'Rotation-Provider-CLI 0123';
const DAY_S = 86_400;

describe('rotation policy set with the provider driving, and rotation drift', () => {
  const { dir, cli } = cliRunner('ecps-cli-rot-provider-', PASS, 'in-process');
  let aws: AwsKmsEmulator;
  let awsKey = '';
  let localKey = '';
  beforeAll(async () => {
    aws = await startTestEmulator();
    const c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, env: {}, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
    await c.handlers['providers:save'](
      {
        config: {
          provider: 'aws_kms', id: 'aws', region: TEST_REGION, endpoint: aws.endpoint, aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
          aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey, use_kms_for_storage: false, timeout_ms: 2000, retries: 0,
        },
      },
      CTX,
    );
    awsKey = (await c.keys.create({ type: 'storage', label: 'on aws', provider: 'aws' })).id;
    localKey = (await c.keys.create({ type: 'storage', label: 'in the store' })).id;
    c.close();
  });
  afterAll(async () => {
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = async (args: string[]) => {
    const r = await cli([...args, '--json']);
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const arnOf = async (keyId: string) => (await rawClient(aws).send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${keyId}` }))).KeyMetadata!.Arn!;

  it('sets a provider-driven policy: AWS rotates the key every 180 days, and get shows what AWS reports', async () => {
    const file = join(dir, 'provider.json');
    writeFileSync(file, JSON.stringify({ mode: 'scheduled', driver: 'provider', periodSeconds: 180 * DAY_S }));
    expect(await json(['rotation', 'policy', 'set', '--key', awsKey, '--policy', file])).toMatchObject({
      source: 'key', policy: { driver: 'provider', periodSeconds: 180 * DAY_S }, providerSchedule: { enabled: true, periodSeconds: 180 * DAY_S },
    });
    const status = await rawClient(aws).send(new GetKeyRotationStatusCommand({ KeyId: await arnOf(awsKey) }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
    expect((await cli(['rotation', 'policy', 'get', '--key', awsKey])).stdout).toContain('provider schedule: {"enabled":true,"periodSeconds":15552000');
  });

  it('refuses a provider-driven policy for a key in the local store, and a period AWS does not allow', async () => {
    const file = join(dir, 'provider-30d.json');
    writeFileSync(file, JSON.stringify({ mode: 'scheduled', driver: 'provider', periodSeconds: 30 * DAY_S }));
    const local = await cli(['rotation', 'policy', 'set', '--key', localKey, '--policy', file]);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('error [invalid_input]');
    expect(local.stderr).toContain('cannot rotate keys by itself');
    const short = await cli(['rotation', 'policy', 'set', '--key', awsKey, '--policy', file]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('90 to 2560');
  });

  it('rotation drift finds a version made with the raw SDK once, and says it was unexpected', async () => {
    expect(await json(['rotation', 'drift'])).toMatchObject({ checked: 1, drift: [], errors: [] });
    await rawClient(aws).send(new RotateKeyOnDemandCommand({ KeyId: await arnOf(awsKey) }));
    const text = await cli(['rotation', 'drift', '--key', awsKey]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('1 version(s) made outside the console');
    expect(text.stdout).toContain('adopted as v2  UNEXPECTED');
    expect(await json(['rotation', 'drift'])).toMatchObject({ checked: 1, drift: [] });
    const keys = (await json(['keys', 'list'])) as { keys: Array<{ id: string; currentVersion: number }> };
    expect(keys.keys.find((k) => k.id === awsKey)!.currentVersion).toBe(2);
  });

  it('help lists rotation drift', async () => {
    expect((await cli(['help'])).stdout).toContain('rotation drift [--key ID]');
  });
});
