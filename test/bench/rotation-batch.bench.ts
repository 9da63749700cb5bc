// Batch rotation throughput (issue 13's benchmark row: >= 0.8x): 10,000 key rotations at concurrency 32 through the
// job engine (batch jobs of the console: intent committed, AWS adapter rotate, version and item committed, audited)
// against raw RotateKeyOnDemand calls through KMSClient at the same concurrency, both on the same AWS KMS emulator
// on 127.0.0.1 (in this process). The emulator allows 10 on-demand rotations per key (as the service does), so each
// side rotates 1,000 keys 10 times: the engine as 10 jobs over every storage key, the raw side 10 rounds.
// Key creation is not timed. Run once: npm run bench -- rotation-batch
import { CreateKeyCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { rawClient, startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CTX = { transport: 'test' } as const;
const KEYS = Number(process.env.ROTATION_BENCH_KEYS ?? 1000);
const ROUNDS = 10;
const CONCURRENCY = 32;

async function pool(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

export async function run(): Promise<BenchResult[]> {
  const emu = await startTestEmulator();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-rotation-batch-'));
  const raw = rawClient(emu);
  try {
    // Raw SDK: 1,000 keys, then 10 rounds of one RotateKeyOnDemand each, 32 in flight.
    const rawKeys: string[] = [];
    await pool(KEYS, CONCURRENCY, async () => {
      const out = await raw.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));
      rawKeys.push(out.KeyMetadata!.KeyId!);
    });
    const r0 = performance.now();
    await pool(KEYS * ROUNDS, CONCURRENCY, (i) => raw.send(new RotateKeyOnDemandCommand({ KeyId: rawKeys[i % KEYS]! })));
    const rawMs = performance.now() - r0;

    // The engine: the same count through batch jobs of the console.
    const c = await createConsole({ dataDir, kdf: KDF, logger: silentLogger, env: {}, rotation: { scheduler: false } });
    try {
      await c.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, CTX);
      await c.handlers['providers:save'](
        {
          config: {
            provider: 'aws_kms', id: 'aws-primary', region: TEST_REGION, endpoint: emu.endpoint,
            aws_access_key_id: TEST_CREDENTIALS.accessKeyId, aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey, timeout_ms: 10_000, retries: 2,
          },
        },
        CTX,
      );
      await pool(KEYS, 16, (i) => c.keys.create({ type: 'storage', label: `bench ${i}`, provider: 'aws-primary' }));
      const before = new Map(emu.responses.checked);
      const e0 = performance.now();
      let failed = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const job = c.rotation.batches.start({ selection: { type: 'storage' }, concurrency: CONCURRENCY });
        const end = await c.rotation.batches.wait(job.batchId);
        failed += end.failed;
        if (end.done + end.failed !== KEYS) throw new Error(`job ${round}: ${JSON.stringify(end)}`);
      }
      const engineMs = performance.now() - e0;
      // What the engine asked of the service per rotation (the raw side: one RotateKeyOnDemand).
      const perRotation = [...emu.responses.checked]
        .map(([op, n]) => [op, (n - (before.get(op) ?? 0)) / (KEYS * ROUNDS)] as const)
        .filter(([, n]) => n > 0)
        .map(([op, n]) => `${op} ${n.toFixed(2)}`)
        .join(', ');
      if (failed > 0) throw new Error(`${failed} rotations failed`);
      const total = KEYS * ROUNDS;
      const measured = total / (engineMs / 1000);
      const baseline = total / (rawMs / 1000);
      return [
        {
          name: `${total.toLocaleString('en')} key rotations at concurrency ${CONCURRENCY}: batch job engine vs raw RotateKeyOnDemand (AWS emulator)`,
          unit: 'rotations/s',
          baseline,
          measured,
          ratio: measured / baseline,
          target: '>= 0.8x raw SDK calls',
          pass: measured / baseline >= 0.8,
          note: `engine ${(engineMs / 1000).toFixed(1)} s, raw ${(rawMs / 1000).toFixed(1)} s; service calls per engine rotation: ${perRotation}; run once; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
        },
      ];
    } finally {
      c.close();
    }
  } finally {
    raw.destroy();
    await emu.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
