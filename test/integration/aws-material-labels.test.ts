// AWS KMS does not number key versions; the console labels them (docs/rotation.md "Drift"). Each label must name the
// material that really sealed its data, also when someone rotates the key outside the console between two console
// rotations (docs/provider-aws-kms.md "Versions"). Official SDK against the AWS emulator on 127.0.0.1, real store:
// console rotation, a raw RotateKeyOnDemand, console rotation, drift check. Expectations come from the tables below and
// from what the raw SDK reports (CurrentKeyMaterialId after each step, Decrypt's KeyMaterialId of each envelope).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DecryptCommand, DescribeKeyCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { parseEnvelope } from '../../electron/crypto/envelope.ts';
import { silentLogger } from '../../electron/logger.ts';
import { encryptionContext } from '../../electron/providers/aws/mapping.ts';
import { providerWrapContext } from '../../electron/providers/multiEnvelope.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { rawClient, startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { CTX, FAST_KDF, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';

const PASS = 'Aws-Material-Labels-Passphrase 42';
const AAD = Buffer.from('archive');

type Step = 'seal' | 'console rotate' | 'outside rotate' | 'drift check' | 'another key rotated';

/**
 * Each scenario: the steps, then what must hold afterwards. Materials are named by the order AWS made them (M1 at
 * creation, then one per rotation, console or outside). `labels`: the console version -> the material it must name
 * (a version absent from it names none). `sealed`: per 'seal' step, the label the console must attribute the data
 * to and the material AWS sealed it under. `usage`: encryptions counted per label. `retire`: labels retired in turn
 * (cumulatively); each must refuse exactly the data sealed under the retired labels' materials.
 */
const SCENARIOS: Array<{
  name: string;
  steps: Step[];
  versions: number[];
  labels: Record<number, string>;
  sealed: Array<{ label: number; material: string }>;
  usage: Record<number, number>;
  retire: number[];
}> = [
  {
    // M3 was current at AWS only between the outside rotation and the console's next one, never as a console
    // version: it gets no label (docs/rotation.md, drift). Before migration 39 the check adopted M4 as version 4.
    name: 'one outside rotation between two console rotations',
    steps: ['seal', 'console rotate', 'seal', 'outside rotate', 'console rotate', 'seal', 'drift check', 'seal'],
    versions: [1, 2, 3],
    labels: { 1: 'M1', 2: 'M2', 3: 'M4' },
    sealed: [{ label: 1, material: 'M1' }, { label: 2, material: 'M2' }, { label: 3, material: 'M4' }, { label: 3, material: 'M4' }],
    usage: { 1: 1, 2: 1, 3: 2 },
    retire: [2, 1],
  },
  {
    // The console's version 3 is M5: the two materials before it (M3, M4) were never console versions.
    name: 'two outside rotations between two console rotations',
    steps: ['seal', 'console rotate', 'seal', 'outside rotate', 'outside rotate', 'console rotate', 'seal', 'drift check', 'seal'],
    versions: [1, 2, 3],
    labels: { 1: 'M1', 2: 'M2', 3: 'M5' },
    sealed: [{ label: 1, material: 'M1' }, { label: 2, material: 'M2' }, { label: 3, material: 'M5' }, { label: 3, material: 'M5' }],
    usage: { 1: 1, 2: 1, 3: 2 },
    retire: [1, 2],
  },
  {
    // Version 4 is made by the console but no data is sealed under it before the check, so its material is not
    // known: the check matches it by number as before migration 39 and adopts M6 (its material) as version 5, which
    // names it. M5 is version 3's and is not adopted again; version 4 names nothing and protects no data.
    name: 'a console version with no data before the drift check',
    steps: ['seal', 'console rotate', 'seal', 'outside rotate', 'outside rotate', 'console rotate', 'seal', 'console rotate', 'drift check', 'seal'],
    versions: [1, 2, 3, 4, 5],
    labels: { 1: 'M1', 2: 'M2', 3: 'M5', 5: 'M6' },
    sealed: [{ label: 1, material: 'M1' }, { label: 2, material: 'M2' }, { label: 3, material: 'M5' }, { label: 5, material: 'M6' }],
    usage: { 1: 1, 2: 1, 3: 1, 4: 0, 5: 1 },
    retire: [3, 4, 2],
  },
  {
    // Rotating another key clears the data-key cache, so the second text gets a fresh data key: AWS seals it under M2
    // while the console still calls its key version 1 (the envelope says 1). Decrypt's KeyMaterialId attributes it to
    // version 2 once the check has adopted M2; version 2 names M2 although no data key was generated under it. Its
    // encryption was counted where the console stood then, version 1 (docs/not-done.md).
    name: 'data sealed after an outside rotation, before the drift check',
    steps: ['seal', 'outside rotate', 'another key rotated', 'seal', 'drift check'],
    versions: [1, 2],
    labels: { 1: 'M1', 2: 'M2' },
    sealed: [{ label: 1, material: 'M1' }, { label: 2, material: 'M2' }],
    usage: { 1: 2, 2: 0 },
    retire: [1],
  },
];

describe('AWS KMS version labels follow KeyMaterialId after a rotation made outside the console', () => {
  const dir = tempDir('ecps-aws-material-');
  let aws: AwsKmsEmulator;
  let c: FleetConsole;
  const call = contractCaller(() => c);

  beforeAll(async () => {
    aws = await startTestEmulator();
    c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, env: {}, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
    await call('providers:save', {
      config: {
        provider: 'aws_kms', id: 'aws', region: TEST_REGION, endpoint: aws.endpoint, aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
        aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey, use_kms_for_storage: false, timeout_ms: 2000, retries: 0,
      },
    });
  });
  afterAll(async () => {
    c.close();
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(SCENARIOS)('$name: each label names the material its data was sealed under; retirement and usage follow it', async (sc) => {
    const keyId = (await c.keys.create({ type: 'storage', label: 'material labels', provider: 'aws' })).id;
    const raw = rawClient(aws);
    const arn = (await raw.send(new DescribeKeyCommand({ KeyId: `alias/ecps/key-${keyId}` }))).KeyMetadata!.Arn!;
    const currentMaterial = async () => (await raw.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.CurrentKeyMaterialId!;
    const ids: Record<string, string> = { M1: await currentMaterial() };
    const sealed: Array<{ ct: Buffer; text: string }> = [];
    for (const step of sc.steps) {
      if (step === 'seal') {
        const text = `sealed #${sealed.length + 1}`;
        sealed.push({ ct: (await c.keys.encrypt(keyId, Buffer.from(text), AAD)).ciphertext, text });
      } else if (step === 'another key rotated') {
        await c.keys.rotate((await c.keys.create({ type: 'storage', label: 'another key', provider: 'aws' })).id);
      } else if (step === 'drift check') {
        await c.rotation.provider.checkDrift({ keyId });
      } else {
        if (step === 'console rotate') await c.keys.rotate(keyId);
        else await raw.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
        ids[`M${Object.keys(ids).length + 1}`] = await currentMaterial();
      }
    }
    expect(new Set(Object.values(ids)).size).toBe(Object.keys(ids).length);
    expect(sealed.length).toBe(sc.sealed.length);

    // The labels: the key's versions and the material recorded for each.
    expect(c.keys.get(keyId).versions.map((v) => v.version)).toEqual(sc.versions);
    expect(c.keys.get(keyId).currentVersion).toBe(sc.versions.at(-1));
    const recorded: Record<number, string> = Object.fromEntries(c.rotation.provider.materials(keyId).map((m) => [m.version, m.materialId]));
    expect(recorded).toEqual(Object.fromEntries(Object.entries(sc.labels).map(([label, m]) => [Number(label), ids[m]])));

    // Each envelope: AWS's own Decrypt names the material, the console names the label, and the label's record matches.
    for (const [i, want] of sc.sealed.entries()) {
      const { ct, text } = sealed[i]!;
      const env = parseEnvelope(ct);
      const entry = env.entries.find((e) => e.provider === 'aws')!;
      const ctx = encryptionContext(providerWrapContext(env.storeId, 'aws', entry.keyRef));
      const out = await raw.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: entry.wrapped, EncryptionContext: ctx }));
      expect(out.KeyMaterialId, text).toBe(ids[want.material]);
      const opened = await call('keys:decrypt', { ciphertext: ct, aad: AAD });
      expect({ text: Buffer.from(opened.plaintext).toString(), version: opened.version }).toEqual({ text, version: want.label });
      expect(recorded[want.label], text).toBe(out.KeyMaterialId);
    }

    for (const [label, count] of Object.entries(sc.usage)) expect(c.rotation.usage(keyId, Number(label))?.count, `label ${label}`).toBe(count);

    const retired: number[] = [];
    for (const label of sc.retire) {
      await call('rollout:retire', { keyId, version: label });
      retired.push(label);
      const refused = new Set(retired.map((l) => sc.labels[l]).filter((m) => m !== undefined));
      for (const [i, want] of sc.sealed.entries()) {
        const { ct, text } = sealed[i]!;
        if (refused.has(want.material)) {
          expect(await failure(call('keys:decrypt', { ciphertext: ct, aad: AAD })), text).toMatchObject({ code: 'key_version_retired', details: { version: want.label } });
        } else {
          expect(Buffer.from((await call('keys:decrypt', { ciphertext: ct, aad: AAD })).plaintext).toString(), text).toBe(text);
        }
      }
    }
  });
});
