// An emergency rotation of shared keys skips the rollout's canary (docs/rotation.md "Waves", docs/emergency-response.md):
// the robots outside a compromised scope must not keep the version the compromised robot holds while a canary is
// watched. A site of twelve robots holding one communication key: an officer's own rotation queues a canary (wave 1 of
// 2, docs/rotation.md: ceil(10 % of the site's robots) = 2 robots); the emergency's rotate_shared opens every wave at
// once and audits it, and a halted rollout of another key stays halted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../unit/store-testkit.ts';
import { type Harness, initialized } from './providers-kit.ts';

let h: Harness;
const ROBOTS = Array.from({ length: 12 }, (_, i) => `uv-${String(i + 1).padStart(2, '0')}`);
let siteKey = '';

beforeAll(async () => {
  h = await initialized();
  siteKey = (await h.call('keys:create', { type: 'communication', label: 'Plant 1 comm', algorithm: 'AES_256', provider: 'local' })).id;
  const c = h.console;
  for (const deviceId of ROBOTS) {
    c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
    c.fleet.recordKeyVersions(deviceId, [{ keyId: siteKey, version: 1 }], 'provisioning');
  }
}, 60_000);

afterAll(() => {
  h?.console.close();
  removeTempDirs();
});

const rolloutOf = async (keyId: string) => (await h.call('rollout:list', { keyId })).rollouts[0]!;

describe('rotate_shared in an emergency run', () => {
  it('an ordinary rotation opens the canary only (the baseline the emergency changes)', async () => {
    await h.call('keys:rotate', { keyId: siteKey });
    const r = await rolloutOf(siteKey);
    expect([r.toVersion, r.state, r.openWave, r.waves, r.robots]).toEqual([2, 'running', 1, 2, 12]);
    expect(h.auditOf('rollout.expedite')).toEqual([]);
  });

  it('opens every wave of the new version at once, audited with the run', async () => {
    const run = (await h.call('emergency:execute', { scope: { kind: 'robot', deviceId: 'uv-01' }, actions: ['rotate_shared'], reason: 'uv-01 stolen' })).run!;
    expect(run.state).toBe('done');
    const r = await rolloutOf(siteKey);
    expect([r.toVersion, r.state, r.openWave, r.waves]).toEqual([3, 'running', 2, 2]);
    const audited = h.auditOf('rollout.expedite');
    expect(audited.map((a) => [a.outcome, a.targetId, a.details.toVersion, a.details.fromWave, a.details.waves, a.details.reason])).toEqual([
      ['success', siteKey, 3, 1, 2, `emergency run ${run.runId}`],
    ]);
  });

  it('a halted rollout is not opened', async () => {
    await h.call('keys:rotate', { keyId: siteKey });
    const queued = await rolloutOf(siteKey);
    expect([queued.toVersion, queued.openWave]).toEqual([4, 1]);
    await h.call('rollout:halt', { rolloutId: queued.rolloutId, reason: 'officer watching the canary' });
    h.console.rotation.rollouts.expedite(siteKey, 'test');
    const after = await h.call('rollout:get', { rolloutId: queued.rolloutId });
    expect([after.state, after.openWave]).toEqual(['halted', 1]);
    expect(h.auditOf('rollout.expedite')).toHaveLength(1);
  });
});
