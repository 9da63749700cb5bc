// Small messages (issue 11): 1 KiB encrypt + decrypt round trips through the console key service (a local key; every
// call audited, each record durable before the result returns) and through the IPC handlers behind the router (input
// and output parsed, bytes as the contract carries them), against the AWS Encryption SDK for JavaScript
// (@aws-crypto/client-node: raw AES keyring, non-signing suite ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256, which like the
// console's envelope has no key commitment; the encryption context plays the part of the console's AAD). The SDK writes
// nothing to disk, so the console pays its durable audit commits out of its own budget.
// Throughput with 16 callers in flight (a station or several officers: what group commit is for), plus one caller at
// a time (reported: each operation then pays its own commit). The SDK runs with 1 and with 16 callers and the
// baseline is whichever was faster. All sides run in one process, interleaved round by round, best round kept.
// Reported besides: the same 16 callers against a second console limited to one operation per transaction (maxBatch 1,
// i.e. without group commit), and the process CPU time per round trip of each side (all threads: fsyncs included).
// Run: npm run bench -- small-messages
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { AlgorithmSuiteIdentifier, buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { createConsole } from '../../electron/app.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CTX = { transport: 'test' } as const;
const MESSAGE_BYTES = 1024;
const CALLERS = 16;
const MESSAGES = Number(process.env.SMALL_BENCH_MESSAGES ?? 480);
const ROUNDS = Number(process.env.SMALL_BENCH_ROUNDS ?? 5);

type RoundTrip = (msg: Buffer) => Promise<Buffer>;

/** Round trips per second: `callers` loops, each doing one round trip after the other, until `messages` are done. */
async function throughput(roundTrip: RoundTrip, callers: number, messages: number, msg: Buffer): Promise<number> {
  let started = 0;
  const loop = async () => {
    while (started < messages) {
      started++;
      const back = await roundTrip(msg);
      if (back.length !== msg.length) throw new Error('round trip returned the wrong length');
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: callers }, loop));
  return messages / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function run(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-small-'));
  const ungroupedDir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-small-'));
  const c = await createConsole({ dataDir, kdf: KDF });
  const ungrouped = await createConsole({ dataDir: ungroupedDir, kdf: KDF, auditGroupCommit: { maxBatch: 1 } });
  try {
    await c.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, CTX);
    await ungrouped.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, CTX);
    const key = await c.keys.create({ type: 'communication', label: 'telemetry link' });
    const ungroupedKey = await ungrouped.keys.create({ type: 'communication', label: 'telemetry link' });
    const router = createRouter({ handlers: c.handlers });
    const aad = Buffer.from('robot-7/telemetry');

    const { encrypt, decrypt } = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
    const keyring = new RawAesKeyringNode({
      keyNamespace: 'ecps-bench',
      keyName: 'telemetry-link',
      unencryptedMasterKey: crypto.randomBytes(32),
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    });
    const context = { aad: 'robot-7/telemetry' };

    const sdk: RoundTrip = async (msg) => {
      const { result } = await encrypt(keyring, msg, { suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256, encryptionContext: context });
      return (await decrypt(keyring, result)).plaintext;
    };
    const service: RoundTrip = async (msg) => {
      const sealed = await c.keys.encrypt(key.id, msg, aad);
      return (await c.keys.decrypt(sealed.ciphertext, aad)).plaintext;
    };
    const serviceUngrouped: RoundTrip = async (msg) => {
      const sealed = await ungrouped.keys.encrypt(ungroupedKey.id, msg, aad);
      return (await ungrouped.keys.decrypt(sealed.ciphertext, aad)).plaintext;
    };
    const call = async (channel: string, input: unknown) => {
      const r = await router.route({ channel, input, ctx: CTX, trustedSender: true });
      if (!r.ok) throw new Error(`${channel}: ${r.error.code}`);
      return r.value as Record<string, Uint8Array>;
    };
    const ipc: RoundTrip = async (msg) => {
      const sealed = await call('keys:encrypt', { keyId: key.id, plaintext: msg, aad });
      const opened = await call('keys:decrypt', { ciphertext: sealed.ciphertext, aad });
      return Buffer.from(opened.plaintext!);
    };

    const msg = crypto.randomBytes(MESSAGE_BYTES);
    for (const [name, side] of [['sdk', sdk], ['service', service], ['ipc', ipc], ['ungrouped', serviceUngrouped]] as const) {
      if (!(await side(msg)).equals(msg)) throw new Error(`${name} round trip changed the message`);
    }
    const sides = { sdk16: () => throughput(sdk, CALLERS, MESSAGES, msg), service16: () => throughput(service, CALLERS, MESSAGES, msg),
      ipc16: () => throughput(ipc, CALLERS, MESSAGES, msg), ungrouped16: () => throughput(serviceUngrouped, CALLERS, MESSAGES, msg), sdk1: () => throughput(sdk, 1, MESSAGES / 4, msg), service1: () => throughput(service, 1, MESSAGES / 4, msg) };
    const names = Object.keys(sides) as Array<keyof typeof sides>;
    for (const n of names) await sides[n](); // warm-up
    const best = Object.fromEntries(names.map((n) => [n, 0])) as Record<keyof typeof sides, number>;
    // Process CPU time (user + system, all threads) over every round of a side.
    const cpuMicros = Object.fromEntries(names.map((n) => [n, 0])) as Record<keyof typeof sides, number>;
    // Audited operations per durable commit, over the rounds with CALLERS callers.
    const shared = { groups: 0, members: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with another side, so drift hits all of them alike.
      const order = names.map((_, i) => names[(i + round) % names.length]!);
      for (const n of order) {
        const before = c.diagnostics().auditGroups;
        const cpu0 = process.cpuUsage();
        best[n] = Math.max(best[n], await sides[n]());
        const cpu = process.cpuUsage(cpu0);
        cpuMicros[n] += cpu.user + cpu.system;
        const after = c.diagnostics().auditGroups;
        if (n === 'service16' || n === 'ipc16') {
          shared.groups += after.groups - before.groups;
          shared.members += after.members - before.members;
        }
      }
    }
    const perGroup = shared.members / Math.max(1, shared.groups);
    const cache = c.diagnostics().keyMaterialCache;
    const sdkBest = Math.max(best.sdk1, best.sdk16);
    const cpuPerTrip = (n: keyof typeof sides, trips: number) => (cpuMicros[n] / (ROUNDS * trips)).toFixed(0);
    const note =
      `best of ${ROUNDS} interleaved rounds of ${MESSAGES} round trips (one caller: ${MESSAGES / 4}); SDK ${best.sdk1.toFixed(0)}/s with 1 caller, ${best.sdk16.toFixed(0)}/s with ${CALLERS}; ` +
      `${perGroup.toFixed(1)} audited operations per durable commit with ${CALLERS} callers; material cache ${cache?.hits ?? 0} hits / ${cache?.misses ?? 0} misses; ` +
      `CPU per round trip with ${CALLERS} callers: SDK ${cpuPerTrip('sdk16', MESSAGES)} us, service ${cpuPerTrip('service16', MESSAGES)} us, IPC ${cpuPerTrip('ipc16', MESSAGES)} us; load average ${os.loadavg()[0]!.toFixed(1)}`;

    const row = (name: string, measured: number, baseline: number, target: number | null, extra = ''): BenchResult => ({
      name,
      unit: 'round trips/s',
      baseline,
      measured,
      ratio: measured / baseline,
      target: target === null ? 'reported' : `>= ${target}x the AWS Encryption SDK's best (1 or ${CALLERS} callers)`,
      pass: target === null ? true : measured / baseline >= target,
      note: `${note}${extra}`,
    });
    return [
      row(`1 KiB encrypt+decrypt, console key service (audited, local key), ${CALLERS} callers, vs AWS Encryption SDK (raw AES keyring, ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256)`, best.service16, sdkBest, 1.5),
      row(`1 KiB encrypt+decrypt through the IPC handlers (router, bytes), ${CALLERS} callers, vs the same SDK`, best.ipc16, sdkBest, 1.2),
      row('1 KiB encrypt+decrypt, console key service, one caller at a time, vs the SDK one caller at a time', best.service1, best.sdk1, null, '; one caller: one durable commit per operation'),
      {
        ...row(`1 KiB encrypt+decrypt, console key service, ${CALLERS} callers: group commit vs one transaction per operation (maxBatch 1)`, best.service16, best.ungrouped16, null),
        note: `one transaction per operation: ${best.ungrouped16.toFixed(0)}/s; group commit: ${best.service16.toFixed(0)}/s`,
      },
    ];
  } finally {
    c.close();
    ungrouped.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(ungroupedDir, { recursive: true, force: true });
  }
}
