// Crash safety of batch rotation jobs (docs/rotation.md "Crash safety"), with real processes and real SIGKILLs: a
// 1,000-key batch on the AWS KMS emulator (on 127.0.0.1, in this process) is run by a child process that is killed
// at a random point (after a random number of progress lines, 0 = as soon as it says READY) and started again, 50
// times; then a last child runs the job to its end. Readiness is by output, never by time. Afterwards: every key has
// exactly one new version in the console (0 lost, 0 doubled), the provider made exactly one rotation per key (no
// provider version made twice or left unrecorded), every item is done, the job is finished, and the audit chain verifies.
import { ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient, startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { CTX, openUnlocked, open, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';

const CHILD = path.join(import.meta.dirname, 'support', 'rotationBatchChild.ts');
// BATCH_KILL_KEYS / BATCH_KILL_TRIALS shrink the run while debugging; the issue asks for 1,000 and at least 50.
const KEYS = Number(process.env.BATCH_KILL_KEYS ?? 1000);
const TRIALS = Number(process.env.BATCH_KILL_TRIALS ?? 50);
/** A trial kills after 0 .. MAX_LINES progress lines (uniform). 50 trials average well below the 1,000 items. */
const MAX_LINES = 24;
const CONCURRENCY = 8;
const SEED = Number(process.env.BATCH_KILL_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: a small seeded generator, so a failing run can be repeated with BATCH_KILL_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let emu: AwsKmsEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.close();
  removeTempDirs();
});

interface Run {
  lines: string[];
  killed: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child; with killAfter, kills it with SIGKILL once it has printed READY and that many progress lines. */
function runChild(dir: string, mode: 'start' | 'resume', killAfter: number | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, mode, String(CONCURRENCY)], {
      env: { ...process.env, BATCH_PASSPHRASE: PASSPHRASE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    let stderr = '';
    const lines: string[] = [];
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      lines.push(...complete);
      if (killAfter === null || killed || !lines.some((l) => l.startsWith('READY '))) return;
      if (lines.filter((l) => l.startsWith('P ')).length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ lines, killed, code, signal, stderr }));
  });
}

/**
 * The hang guard of this one test: 51 process starts (each imports the console and unlocks) and 1,000 keys created
 * on the emulator take 2 min 45 s at load average 9-10 but passed the tier's 600 s at load average 20.
 */
const HANG_GUARD_MS = 1_500_000;

describe('batch rotation survives SIGKILL at random points', () => {
  it(`${TRIALS} kills during a ${KEYS}-key batch on the AWS emulator: 0 versions lost, 0 doubled, the job finished (seed ${SEED})`, { timeout: HANG_GUARD_MS }, async () => {
    const dir = tempDir('ecps-batch-kill-');
    const setup = await openUnlocked(dir, { env: {}, rotation: { scheduler: false } });
    await setup.handlers['providers:save'](
      {
        config: {
          provider: 'aws_kms',
          id: 'aws-primary',
          region: TEST_REGION,
          endpoint: emu.endpoint,
          aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
          aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey,
          timeout_ms: 60_000,
          retries: 2,
        },
      },
      CTX,
    );
    let made = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (made < KEYS) {
          const n = made++;
          await setup.keys.create({ type: 'storage', label: `batch ${n}`, provider: 'aws-primary' });
        }
      }),
    );
    setup.close();

    const rand = random(SEED);
    const trials: Array<{ mode: string; killAfter: number; killed: boolean; progress: number }> = [];
    let jobId: string | null = null;
    for (let t = 0; t < TRIALS; t++) {
      const killAfter = Math.floor(rand() * (MAX_LINES + 1));
      const run = await runChild(dir, t === 0 ? 'start' : 'resume', killAfter);
      const ready = run.lines.find((l) => l.startsWith('READY '));
      expect(ready, `trial ${t} (seed ${SEED}): ${run.stderr.slice(0, 2000)}`).toBeDefined();
      const id = ready!.slice('READY '.length);
      jobId ??= id;
      expect(id).toBe(jobId);
      trials.push({ mode: t === 0 ? 'start' : 'resume', killAfter, killed: run.killed, progress: run.lines.filter((l) => l.startsWith('P ')).length });
      // A child that finished the job before its kill point ends the trials early (not expected with these numbers).
      if (!run.killed) break;
      expect(run.signal).toBe('SIGKILL');
    }
    expect(trials.filter((t) => t.killed).length, JSON.stringify(trials)).toBe(TRIALS);

    const last = await runChild(dir, 'resume', null);
    expect(last.code, last.stderr.slice(0, 2000)).toBe(0);
    const end = JSON.parse(last.lines.find((l) => l.startsWith('END '))!.slice(4)) as { state: string; done: number; failed: number; total: number };
    expect(end).toMatchObject({ state: 'done', total: KEYS, done: KEYS, failed: 0 });

    // The store: one job, finished; every item done, from version 1 to version 2.
    const db = withRawDb(dir, (raw) => ({
      jobs: raw.prepare('SELECT id, state, total FROM rotation_batches').all() as Array<{ id: string; state: string; total: number }>,
      items: raw.prepare('SELECT key_id, state, from_version, to_version FROM rotation_batch_items').all() as Array<{ key_id: string; state: string; from_version: number; to_version: number }>,
      keys: raw.prepare("SELECT id, current_version, provider_key_ref FROM keys WHERE key_type = 'storage'").all() as Array<{ id: string; current_version: number; provider_key_ref: string }>,
      versions: raw.prepare('SELECT key_id, version, provider_version FROM key_versions').all() as Array<{ key_id: string; version: number; provider_version: number }>,
      rotations: raw.prepare("SELECT target_id FROM audit_records WHERE action = 'key.rotate' AND outcome = 'success'").all() as Array<{ target_id: string }>,
    }));
    expect(db.jobs).toEqual([{ id: jobId, state: 'done', total: KEYS }]);
    expect(db.items.filter((i) => i.state !== 'done' || i.from_version !== 1 || i.to_version !== 2)).toEqual([]);
    expect(db.keys).toHaveLength(KEYS);

    const versionsOf = new Map<string, number[]>();
    for (const v of db.versions) versionsOf.set(v.key_id, [...(versionsOf.get(v.key_id) ?? []), v.version].sort((a, b) => a - b));
    const lost = db.keys.filter((k) => k.current_version < 2 || !(versionsOf.get(k.id) ?? []).includes(2));
    const doubled = db.keys.filter((k) => k.current_version > 2 || (versionsOf.get(k.id) ?? []).length > 2);
    expect({ lost: lost.length, doubled: doubled.length }).toEqual({ lost: 0, doubled: 0 });
    // One successful key.rotate record per key: no rotation made twice, none unaudited.
    const audited = new Map<string, number>();
    for (const r of db.rotations) audited.set(r.target_id, (audited.get(r.target_id) ?? 0) + 1);
    expect(db.keys.filter((k) => audited.get(k.id) !== 1).map((k) => [k.id, audited.get(k.id) ?? 0])).toEqual([]);

    // The provider: exactly one rotation per key, and the console's version 2 is the provider's version 2.
    const client = rawClient(emu);
    const providerRotations = new Map<string, number>();
    try {
      for (const k of db.keys) {
        const out = await client.send(new ListKeyRotationsCommand({ KeyId: k.provider_key_ref }));
        providerRotations.set(k.id, out.Rotations?.length ?? 0);
      }
    } finally {
      client.destroy();
    }
    expect(db.keys.filter((k) => providerRotations.get(k.id) !== 1).map((k) => [k.id, providerRotations.get(k.id)])).toEqual([]);
    expect(db.versions.filter((v) => v.version === 2 && v.provider_version !== 2)).toEqual([]);

    const after = await open(dir, { env: {}, rotation: { scheduler: false } });
    await after.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(await after.handlers['audit:verify']({}, CTX)).toMatchObject({ ok: true, firstBad: null });
    after.close();
  });
});
