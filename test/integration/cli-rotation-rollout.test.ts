// The CLI's rollout commands (rotation rollout list|halt|resume, --json and text), through runCli in this process on a
// real store: two robots of a site hold a communication key at v1 (recorded as provisioned), the key is rotated, and
// the rollout queued for v2 (one canary of two at 50 %) is listed, halted with a reason and resumed; usage mistakes
// exit 2, refusals exit 1 with their typed code.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { CTX, FAST_KDF } from '../unit/store-testkit.ts';
import { cliJson, cliRunner } from './support/cliProcess.ts';

const PASS = 'Rotation-Rollout-CLI-Passphrase 0123';

describe('rotation rollout commands', () => {
  const { dir, cli } = cliRunner('ecps-cli-rollout-', PASS, 'in-process');
  let keyId = '';
  beforeAll(async () => {
    const c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
    keyId = (await c.keys.create({ type: 'communication', label: 'link' })).id;
    await c.handlers['rollout:setPolicy']({ policy: { canaryRobots: [], canaryPercent: 50, canarySites: [], maxFailureRatio: 0, graceVersions: 1, graceSeconds: 3600 } }, CTX);
    for (const deviceId of ['uv-c1', 'uv-c2']) {
      c.fleet.recordProvisioned(deviceId, [{ keyId, version: 1 }], { name: deviceId, model: 'UV-7', site: 'Plant A', firmware: '1.0', tags: [] });
    }
    await c.keys.rotate(keyId);
    c.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const json = cliJson(cli);
  type Rollout = { rolloutId: string; state: string; fromVersion: number; toVersion: number; robots: number; waves: number; haltReason: string | null };

  it('list shows the rollout queued by the rotation; halt and resume change its state', async () => {
    const { rollouts } = (await json(['rotation', 'rollout', 'list', '--key', keyId])) as { rollouts: Rollout[] };
    expect(rollouts).toHaveLength(1);
    const r = rollouts[0]!;
    expect(r).toMatchObject({ state: 'running', fromVersion: 1, toVersion: 2, robots: 2, waves: 2 });
    const text = await cli(['rotation', 'rollout', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${r.rolloutId}  key ${keyId}  v1 -> v2  running  wave 1/2 open  0/2 installed`);
    expect(text.stdout).toContain('wave 1 (canary)  Plant A: 0/1 installed');

    expect(await json(['rotation', 'rollout', 'halt', r.rolloutId, '--reason', 'storm at Plant A'])).toMatchObject({ state: 'halted', haltReason: 'storm at Plant A' });
    const again = await cli(['rotation', 'rollout', 'halt', r.rolloutId, '--reason', 'twice', '--json']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('illegal_transition');
    expect(await json(['rotation', 'rollout', 'resume', r.rolloutId])).toMatchObject({ state: 'running', haltReason: null });
  });

  it('usage mistakes exit 2; refusals exit 1 with their typed code', async () => {
    for (const args of [
      ['rotation', 'rollout'],
      ['rotation', 'rollout', 'go'],
      ['rotation', 'rollout', 'list', 'extra-id'],
      ['rotation', 'rollout', 'halt', '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10'],
      ['rotation', 'rollout', 'resume'],
      ['rotation', 'rollout', 'resume', '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10', '--key', keyId],
    ]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    for (const [args, code] of [
      [['rotation', 'rollout', 'resume', '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10'], 'not_found'],
      [['rotation', 'rollout', 'halt', 'not-a-rollout', '--reason', 'x'], 'invalid_input'],
      [['rotation', 'rollout', 'list', '--key', 'not-a-key'], 'invalid_input'],
    ] as const) {
      const r = await cli([...args, '--json']);
      expect({ args, code: r.code, stderr: r.stderr.includes(code) }).toEqual({ args, code: 1, stderr: true });
    }
  });
});
