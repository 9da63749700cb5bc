// The CLI as a function (runCli in this process) while the key's provider fails: the commands that report a
// provider's failure in their result, not as a thrown error, must still exit 1 (an outside review once found a CLI
// that exits 0 when a provider is down). Expectations from docs/cli.md: `rotation batch start` exits 1 when a key
// failed and prints its summary, the first page of its failed keys, `N of M failed key(s) shown` and
// `every key: rotation batch status ID --all` (progress on stderr, not with --json); `keys state` exits 1 while a
// provider copy was not reached; `rotation drift` exits 1 when a key could not be checked; errors are
// `error [code]: message` and `hint: ...` on stderr, exit 1. The provider is the AWS KMS emulator on 127.0.0.1,
// answering 500 to every call (test/emulators/aws-kms). Every test opens its own console through runCli.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { cli, cliEnv, cliFolder, type Run } from './cli-run-testkit.ts';

const folder = cliFolder('ecps-cli-provider-down-');
let emu: AwsKmsEmulator;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  emu = await startTestEmulator();
  env = cliEnv({
    KMS_PROVIDER: 'aws_kms', AWS_REGION: TEST_REGION, AWS_ENDPOINT_URL_KMS: emu.endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    USE_KMS_FOR_STORAGE: 'true', AWS_EC2_METADATA_DISABLED: 'true', KMS_RETRIES: '0',
  });
});
afterAll(async () => {
  await emu?.close();
});

/** A new store with one storage key at the emulated AWS KMS; returns a runner on it and the key id. */
async function storeWithKey(): Promise<{ run: (args: string[]) => Promise<Run>; keyId: string }> {
  const dir = folder.fresh();
  const run = (args: string[]) => cli([...args, '--data-dir', dir], { env });
  expect((await run(['init'])).code).toBe(0);
  const created = await run(['keys', 'create', '--type', 'storage', '--label', 'orders', '--json']);
  expect(created.code, created.stderr).toBe(0);
  const key = JSON.parse(created.stdout) as { id: string; provider: string };
  expect(key.provider).toBe('aws-kms');
  return { run, keyId: key.id };
}

/** stderr's lines but the console's log lines (JSON, `{"ts":...}`: the warning of a failed batch item). */
const notLog = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{"ts":'));

/** 500 to every call while fn runs. */
async function failing<T>(fn: () => Promise<T>): Promise<T> {
  emu.faults.failNext(1_000_000, 500);
  try {
    return await fn();
  } finally {
    emu.faults.reset();
  }
}

describe('the CLI exits 1 when the provider fails, 0 when it is back', () => {
  it('rotation batch start: exit 1, the summary, the failed key with its code, how to see the rest; exit 0 once the provider answers', async () => {
    const { run, keyId } = await storeWithKey();
    // --keys is a comma-separated list: spaces around an id and empty entries are dropped (one key here)
    const r = await failing(() => run(['rotation', 'batch', 'start', '--keys', ` ${keyId} ,, `, '--max-attempts', '1']));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.endsWith('\n'), 'each stderr line ends with a newline').toBe(true);
    const lines = r.stdout.trimEnd().split('\n');
    const batchId = /^batch (\S+): 1 key\(s\), 4 at a time$/.exec(lines[0]!)?.[1];
    expect(batchId, lines[0]).toBeDefined();
    expect(lines[1]).toMatch(new RegExp(`^${batchId}  \\S+Z  keys  done  0/1 done, 1 failed, 0 superseded, 0 cancelled, 0 pending$`));
    expect(lines[2]).toBe('  failed keys:');
    expect(lines[3]).toMatch(new RegExp(`^  ${keyId}  v1  failed  attempts 1  \\[provider_unavailable\\] `));
    expect(lines.slice(4)).toEqual(['1 of 1 failed key(s) shown', `every key: rotation batch status ${batchId} --all`]);
    expect(lines).toHaveLength(6);
    // progress on stderr: one key, one line (its last tenth); besides it only the log's warning of the failed item
    expect(notLog(r.stderr)).toEqual([`batch ${batchId}: 1/1 settled (0 done, 1 failed, 0 superseded, 0 cancelled)`]);

    const again = await run(['rotation', 'batch', 'start', '--keys', keyId]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ 1\/1 done, 0 failed, /);
    expect(again.stdout).not.toContain('failed keys:');
    // --type selects every key of that type (the store's one storage key)
    const byType = await run(['rotation', 'batch', 'start', '--type', 'storage']);
    expect(byType.code, byType.stderr).toBe(0);
    expect(byType.stdout).toMatch(/^batch \S+: 1 key\(s\), 4 at a time\n/);
  });

  it('rotation batch start --json: exit 1, one JSON document (the failed page), no progress on stderr', async () => {
    const { run, keyId } = await storeWithKey();
    const r = await failing(() => run(['rotation', 'batch', 'start', '--keys', keyId, '--max-attempts', '1', '--json']));
    expect([r.code, notLog(r.stderr)]).toEqual([1, []]);
    const job = JSON.parse(r.stdout) as Record<string, unknown> & { items: Array<Record<string, unknown>> };
    expect(job).toMatchObject({ state: 'done', total: 1, done: 0, failed: 1, outcome: 'failed', matching: 1, nextCursor: null });
    expect(job.items).toHaveLength(1);
    expect(job.items[0]).toMatchObject({ keyId, state: 'failed', attempts: 1, errorCode: 'provider_unavailable' });
  });

  it('rotation batch cancel of a job that does not exist: refused (not_found), nothing resumed', async () => {
    const { run } = await storeWithKey();
    const r = await run(['rotation', 'batch', 'cancel', '00000000-0000-4000-8000-000000000000']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error \[not_found\]: /m);
  });

  it('rotation batch resume with nothing unfinished: exit 0, says so (--json: no jobs)', async () => {
    const { run } = await storeWithKey();
    const r = await run(['rotation', 'batch', 'resume']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'no unfinished batch jobs\n', '']);
    const j = await run(['rotation', 'batch', 'resume', '--json']);
    expect([j.code, JSON.parse(j.stdout), j.stderr]).toEqual([0, { jobs: [] }, '']);
  });

  it('keys rotate: exit 1 with the typed error; keys state: exit 1 naming the copy not reached, 0 when retried', async () => {
    const { run, keyId } = await storeWithKey();
    const rotated = await failing(() => run(['keys', 'rotate', keyId]));
    expect([rotated.code, rotated.stdout]).toEqual([1, '']);
    expect(rotated.stderr).toMatch(/^error \[provider_unavailable\]: .+\nhint: .+\n$/);
    const state = await failing(() => run(['keys', 'state', keyId, 'suspended', '--reason', 'maintenance']));
    expect(state.code, state.stderr).toBe(1);
    expect(state.stdout).toMatch(/^not reached: aws-kms \(primary\) disable: \[provider_unavailable\] /m);
    const retried = await run(['keys', 'state', keyId, 'suspended', '--reason', 'maintenance']);
    expect([retried.code, retried.stderr]).toEqual([0, '']);
  });

  it('rotation drift: exit 1 when the key could not be checked, 0 when it could', async () => {
    const { run, keyId } = await storeWithKey();
    const down = await failing(() => run(['rotation', 'drift', '--key', keyId]));
    expect(down.code, down.stderr).toBe(1);
    expect(down.stdout).toContain(`  ${keyId}  not checked [provider_unavailable] `);
    const up = await run(['rotation', 'drift', '--key', keyId]);
    expect([up.code, up.stderr]).toEqual([0, '']);
    expect(up.stdout).not.toContain('not checked');
  });
});
