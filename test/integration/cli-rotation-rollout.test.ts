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
  /** A key never rotated: no rollout. */
  let other = '';
  beforeAll(async () => {
    const c = await createConsole({ dataDir: join(dir, 'store'), kdf: FAST_KDF, logger: silentLogger, rotation: { scheduler: false } });
    await c.handlers['session:init']({ operator: 'alice', passphrase: PASS }, CTX);
    keyId = (await c.keys.create({ type: 'communication', label: 'link' })).id;
    other = (await c.keys.create({ type: 'communication', label: 'spare link' })).id;
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

  it('rollout policy: shown, set field by field (the default and a key\'s own, for a key with no rollout), cleared', async () => {
    // The default set in beforeAll (canary 50 %, no failures tolerated, one version for an hour).
    const DEFAULT = { canaryRobots: [], canaryPercent: 50, canarySites: [], maxFailureRatio: 0, graceVersions: 1, graceSeconds: 3600 };
    expect(await json(['rotation', 'rollout', 'policy'])).toEqual({ policy: DEFAULT, source: 'default' });
    // A key without its own policy (and without any rollout) follows the default; given one, only the named fields change.
    expect(await json(['rotation', 'rollout', 'policy', '--key', other])).toEqual({ policy: DEFAULT, source: 'default' });
    expect(await json(['rotation', 'rollout', 'policy', 'set', '--key', other, '--canary-percent', '20', '--canary-sites', 'Plant A, Plant B', '--grace-seconds', '600']))
      .toEqual({ policy: { ...DEFAULT, canaryPercent: 20, canarySites: ['Plant A', 'Plant B'], graceSeconds: 600 }, source: 'key' });
    const text = await cli(['rotation', 'rollout', 'policy', '--key', other]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`rollout policy (key ${other}'s own): canary 20 % of Plant A,Plant B, canary robots none, halt above 0 failed, grace 1 version(s) for 600 s`);
    expect(await json(['rotation', 'rollout', 'policy', 'clear', '--key', other])).toEqual({ policy: DEFAULT, source: 'default' });
    expect(await json(['rotation', 'rollout', 'policy', 'set', '--max-failure-ratio', '0.25', '--canary-robots', 'uv-c1'])).toEqual({ policy: { ...DEFAULT, maxFailureRatio: 0.25, canaryRobots: ['uv-c1'] }, source: 'default' });
  });

  it('rollout policy usage mistakes exit 2; a value out of range exits 1 with invalid_input', async () => {
    for (const args of [
      ['rotation', 'rollout', 'policy', 'change'],
      ['rotation', 'rollout', 'policy', 'set'],
      ['rotation', 'rollout', 'policy', 'set', '--canary-percent', 'ten'],
      ['rotation', 'rollout', 'policy', '--canary-percent', '10'],
      ['rotation', 'rollout', 'policy', 'clear', '--grace-versions', '2'],
      ['rotation', 'rollout', 'policy', 'set', '--grace-versions', '2', '--reason', 'x'],
      ['rotation', 'rollout', 'policy', 'set', 'extra', '--grace-versions', '2'],
      ['rotation', 'rollout', 'list', '--canary-percent', '10'],
    ]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
    const r = await cli(['rotation', 'rollout', 'policy', 'set', '--canary-percent', '150', '--json']);
    expect({ code: r.code, invalid: r.stderr.includes('invalid_input') }).toEqual({ code: 1, invalid: true });
  });

  it('versions, retire and reinstate: a held version needs --force and a reason; a retired one is reinstated for N days', async () => {
    type Version = { version: number; state: string; holders: number; retiredBy: string | null; forced: boolean; reinstatedUntil: string | null };
    const before = (await json(['rotation', 'rollout', 'versions', keyId])) as { versions: Version[] };
    expect(before.versions.map((v) => [v.version, v.state, v.holders])).toEqual([[1, 'in_grace', 2], [2, 'current', 0]]);
    const text = await cli(['rotation', 'rollout', 'versions', keyId]);
    expect(text.stdout).toContain('v1  in its grace  2 robots hold it');

    const held = await cli(['rotation', 'rollout', 'retire', keyId, '1', '--json']);
    expect({ code: held.code, refused: held.stderr.includes('illegal_transition') }).toEqual({ code: 1, refused: true });
    const forced = (await json(['rotation', 'rollout', 'retire', keyId, '1', '--force', '--reason', 'unit lost in transit'])) as { version: Version; flagged: string[] };
    expect(forced.version).toMatchObject({ version: 1, state: 'retired', retiredBy: 'alice', forced: true });
    expect([...forced.flagged].sort()).toEqual(['uv-c1', 'uv-c2']);

    const again = await cli(['rotation', 'rollout', 'reinstate', keyId, '1', '--reason', 're-encrypt logs', '--days', '91', '--json']);
    expect({ code: again.code, invalid: again.stderr.includes('invalid_input') }).toEqual({ code: 1, invalid: true });
    const back = await cli(['rotation', 'rollout', 'reinstate', keyId, '1', '--reason', 're-encrypt logs', '--days', '3']);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^v1 {2}in its grace, reinstated until \d{4}-\d\d-\d\dT[\d:.]+Z {2}2 robots hold it/);
    const notRetired = await cli(['rotation', 'rollout', 'reinstate', keyId, '1', '--reason', 'twice', '--days', '3', '--json']);
    expect({ code: notRetired.code, refused: notRetired.stderr.includes('illegal_transition') }).toEqual({ code: 1, refused: true });
  });

  it('versions, retire and reinstate usage mistakes exit 2', async () => {
    for (const args of [
      ['rotation', 'rollout', 'versions'],
      ['rotation', 'rollout', 'versions', keyId, '1'],
      ['rotation', 'rollout', 'retire', keyId],
      ['rotation', 'rollout', 'retire', keyId, 'one'],
      ['rotation', 'rollout', 'retire', keyId, '0'],
      ['rotation', 'rollout', 'retire', keyId, '1', '--force'],
      ['rotation', 'rollout', 'retire', keyId, '1', '--days', '3'],
      ['rotation', 'rollout', 'reinstate', keyId, '1', '--days', '3'],
      ['rotation', 'rollout', 'reinstate', keyId, '1', '--reason', 'x'],
      ['rotation', 'rollout', 'reinstate', keyId, '1', '--reason', 'x', '--days', 'two'],
      ['rotation', 'rollout', 'reinstate', keyId, '1', '--reason', 'x', '--days', '3', '--force'],
      ['rotation', 'rollout', 'halt', '0b7c2a52-3f1e-4c1a-9a57-3c7f2b8e4d10', '--reason', 'x', '--force'],
      ['rotation', 'rollout', 'list', '--days', '3'],
    ]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
    }
  });
});
