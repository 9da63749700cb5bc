// Issue 15's end-to-end test from the UI (docs/emergency-response.md, docs/lockdown-orders.md "Delivery"): a site,
// Plant 1, of three robots provisioned for real from the Station screen, each the robot simulator on its own socat pty
// pair and knowing its site and model. uv-a is compromised. From the Emergency screen: scope the one robot uv-a, the
// playbook (revoke its certificate and publish a CRL, quarantine, rotate the keys it shares with robots outside the
// scope, a lockdown order), the preview's figures from this seed, execute, the run done; the run's CRL read by
// `openssl crl` lists uv-a's serial. Then the Station screen in distribute mode with the three robots plugged in:
// uv-a receives the lockdown order and the CRL over the serial link (its bundle is refused: it is quarantined) and
// refuses to operate; uv-b and uv-c receive the CRL and their bundles with the new versions of the site's keys, still
// operate and refuse uv-a as a peer. Each port row shows an `orders` chip and, per item, what the robot answered, in
// words (docs/station.md, "Orders and CRLs on the port"). The audit viewer shows each emergency action and each delivery.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRobot, startPtyPair, type PtyPair, type RobotProcess } from '../robot-sim/harness.ts';
import { expect, test } from './support/consoleFixture.ts';
import { auditRows, goToAudit, pickAuditAction } from './support/ui.ts';
import { CTX, portRow, portState, prepareStation, robotKeyVersions, simulatorSays, startStation, stopStation } from './support/stationUi.ts';

/** What each simulated robot knows of itself (the registry's site and model for these robots, prepareStation). */
const FACTS = ['--site', 'Plant 1', '--model', 'UV-7'];
/**
 * The simulator's wait for each console frame, a hang guard on a loaded 2-core machine. A robot's answer once was not
 * ok while its port showed done: the station then marked a port done before the DONE frame was written (a failed
 * write only logged), and a new run showed the last run's rows; both are fixed (docs/station.md, "When a port is
 * done"), so a port shows done only once its robot was sent DONE.
 */
const ROBOT_WAIT = ['--timeout-ms', '30000'];
const ROBOTS = ['uv-a', 'uv-b', 'uv-c'] as const;
const COMPROMISED = 'uv-a';
/**
 * The preview of "one robot: uv-a" after provisioning, from this seed: one robot, its one certificate; provisioning gave
 * every robot the fleet communication and storage keys (v1), so no key is held by uv-a alone (nothing to compromise)
 * and both are shared with the two robots outside the scope (two to rotate); the station is stopped (none reachable
 * now, one told later).
 */
const EXPECTED_PREVIEW = { robots: '1', certificates: '1', compromise: '0', rotate: '2', now: '0', later: '1' };
/** The playbook's checkboxes and the steps they run (docs/emergency-response.md, "Playbooks"). */
const PLAYBOOK: Array<[string, string]> = [
  ['Revoke certificates and publish a CRL', 'revoke_certificates'],
  ['Quarantine robots', 'quarantine'],
  ['Rotate shared keys of robots outside the scope', 'rotate_shared'],
  ['Issue a lockdown order', 'lockdown'],
];
const MESSAGE = 'Stolen robot: stop';
/**
 * The distribute-mode session of each robot (docs/lockdown-orders.md "Delivery"; docs/key-bundles.md): uv-a is in the
 * lockdown's scope and gets the order and the newest CRL, then no bundle (a quarantined robot may not receive one:
 * not_provisioned at the bundle step); uv-b and uv-c are outside the order's scope and get the CRL, then their
 * bundle with the rotated keys (v2).
 */
const SESSIONS: Record<(typeof ROBOTS)[number], { state: 'done' | 'failed'; code?: string; step?: string; items: string[]; operates: boolean }> = {
  'uv-a': { state: 'failed', code: 'not_provisioned', step: 'bundle', items: ['order:accepted', 'crl:accepted'], operates: false },
  'uv-b': { state: 'done', items: ['crl:accepted'], operates: true },
  'uv-c': { state: 'done', items: ['crl:accepted'], operates: true },
};
const ROTATED_VERSION = 2;

/** The newest version of each key the simulator holds (it keeps older versions beside a new one). */
function newestHeld(keystore: string): Record<string, number> {
  const newest: Record<string, number> = {};
  for (const k of robotKeyVersions(keystore)) newest[k.keyId] = Math.max(newest[k.keyId] ?? 0, k.version);
  return newest;
}

test('a compromised robot contained from the Emergency screen: the order, the CRL and the new site keys reach the robots on ptys', async ({ page, harness }) => {
  test.setTimeout(240_000); // a hang guard: four robot sessions and a playbook on a loaded 2-core machine took 2.5 minutes
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-emergency-station-'));
  const pairs: PtyPair[] = await Promise.all(ROBOTS.map(() => startPtyPair()));
  const procs: RobotProcess[] = [];
  const keystores = Object.fromEntries(ROBOTS.map((d) => [d, mkdtempSync(join(work, `${d}-`))])) as Record<(typeof ROBOTS)[number], string>;
  try {
    const c = harness.current().fleet;
    const h = c.handlers;
    const caFile = await prepareStation(page, harness.current().host.url, h, work, [...ROBOTS]);
    // The emergency key exists before provisioning: each robot receives its public key in the CERT frame.
    // The built-in rollout policy stays (a 10 % canary per site, docs/rotation.md "Waves"): the emergency rotation
    // opens every wave at once (rollout.expedite), so both uv-b and uv-c get the rotated keys at this one visit. Under
    // a canary one of them would keep the version the stolen robot holds.
    await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX);
    const plugIn = async () => {
      const started = ROBOTS.map((deviceId, i) => spawnRobot({ port: (pairs[i] as PtyPair).robotPath, deviceId, keystore: keystores[deviceId], caCertFile: caFile, waitSignal: true, extraArgs: [...FACTS, ...ROBOT_WAIT] }));
      procs.push(...started);
      await Promise.all(started.map((r) => r.ready));
      return started;
    };

    // Provisioning from the Station screen: the three robots on their ptys at once.
    const provisioning = await plugIn();
    await startStation(page, pairs.map((p) => p.consolePath), 'provision');
    for (const r of provisioning) r.powerOn();
    for (const p of pairs) await expect(portState(portRow(page, p.consolePath))).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    for (const r of provisioning) expect((await r.result).exitCode).toBe(0);
    await stopStation(page);
    for (const d of ROBOTS) expect(existsSync(join(keystores[d], 'emergency-key.pem')), `${d} holds the emergency public key`).toBe(true);
    const serial = async (deviceId: string) => (await h['fleet:get']({ deviceId }, CTX)).certificates[0]?.serial ?? '?';
    const serials = Object.fromEntries(await Promise.all(ROBOTS.map(async (d) => [d, await serial(d)] as const))) as Record<(typeof ROBOTS)[number], string>;
    const { keys } = await h['keys:list']({}, CTX);
    const shared = ['fleet comm', 'fleet storage'].map((label) => keys.find((k) => k.label === label)?.id ?? '?');
    for (const d of ROBOTS) expect(robotKeyVersions(keystores[d]), d).toEqual(shared.map((keyId) => ({ keyId, version: 1 })).sort((x, y) => x.keyId.localeCompare(y.keyId)));

    // The Emergency screen: scope uv-a, preview.
    await page.getByRole('link', { name: 'Emergency', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Emergency response', level: 1 })).toBeFocused();
    await page.getByRole('radio', { name: 'One robot' }).check();
    await page.getByLabel('Device id', { exact: true }).fill(COMPROMISED);
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    for (const [k, v] of Object.entries(EXPECTED_PREVIEW)) await expect(page.getByTestId(`blast-${k}`), k).toHaveText(v);
    const keysInScope = page.getByRole('table', { name: 'Keys in scope' });
    for (const label of ['fleet comm', 'fleet storage']) await expect(keysInScope.getByRole('row').filter({ hasText: label })).toContainText('Rotate');

    // The playbook, executed (robot-level: one officer), to done.
    for (const [label] of PLAYBOOK) await page.getByRole('checkbox', { name: label }).check();
    await page.getByLabel('Reason (recorded in the audit log)').fill('uv-a stolen from Plant 1');
    await page.getByLabel("Message shown to robots' operators").fill(MESSAGE);
    await page.getByRole('button', { name: 'Execute…' }).click();
    const dialog = page.getByRole('dialog', { name: `Execute the playbook on robot ${COMPROMISED}` });
    await dialog.getByRole('button', { name: 'Execute now' }).click();
    await expect(dialog).toBeHidden();
    const run = page.getByTestId('emergency-run');
    await expect(run.getByTestId('run-state')).toHaveAttribute('data-state', 'done');
    await expect(run.locator('[data-step-state="done"]')).toHaveCount(PLAYBOOK.length);
    // Each rotated shared key's rollout had its waves opened at once (the canary skipped), audited per key.
    const expedited = (await h['audit:query']({ action: 'rollout.expedite', offset: 0, limit: 10 }, CTX)).records;
    expect(expedited.map((r) => [r.outcome, r.details.fromWave, r.details.waves]).sort()).toEqual([['success', 1, 2], ['success', 1, 2]]);
    expect((await h['fleet:get']({ deviceId: COMPROMISED }, CTX)).status).toBe('quarantined');
    for (const keyId of shared) expect((await h['keys:get']({ keyId }, CTX)).currentVersion).toBe(ROTATED_VERSION);

    // The run's CRL, read by openssl against the fleet CA: uv-a's serial with Key Compromise; the others not.
    const download = page.waitForEvent('download');
    await run.getByRole('button', { name: 'Download CRL' }).click();
    const crlPath = join(work, 'emergency.crl.pem');
    await (await download).saveAs(crlPath);
    const crl = spawnSync('openssl', ['crl', '-inform', 'PEM', '-in', crlPath, '-noout', '-text', '-CAfile', caFile], { encoding: 'utf8' });
    expect(crl.status).toBe(0);
    expect(`${crl.stdout}${crl.stderr}`).toMatch(/verify OK/);
    const listed = crl.stdout.toUpperCase().replace(/:/g, '');
    expect(listed).toContain(serials[COMPROMISED].toUpperCase());
    for (const d of ['uv-b', 'uv-c'] as const) expect(listed).not.toContain(serials[d].toUpperCase());
    expect(crl.stdout).toMatch(/Key Compromise/);
    // The run's CRL is the CA's newest: its number is the one the robots hear at the station.
    const crlNumber = Number(/CRL Number:\s*\n?\s*(?:0x)?(\d+)/.exec(crl.stdout)?.[1] ?? NaN);
    expect(crlNumber).toBeGreaterThan(0);
    // The run's lockdown order: its number and its scope, the one robot named.
    const { orders: issued } = await h['emergency:lockdownList']({ limit: 10 }, CTX);
    expect(issued.map((o) => [o.kind, o.scope])).toEqual([['lockdown', { deviceIds: [COMPROMISED] }]]);
    const orderSequence = (issued[0] as (typeof issued)[number]).sequence;
    /** Each item as the port row says it (SESSIONS' items, in the order sent). */
    const lineOf = (item: string): string => {
      const [kind, result] = item.split(':');
      return `${kind === 'order' ? `Lockdown order #${orderSequence} (robot ${COMPROMISED})` : `CRL #${crlNumber}`}: ${result}`;
    };

    // Before the station visit every robot still operates.
    for (const d of ROBOTS) expect(simulatorSays(['--operate', '--keystore', keystores[d]]).exitCode, d).toBe(0);

    // The Station screen in distribute mode, the three robots plugged in again.
    const field = await plugIn();
    await startStation(page, pairs.map((p) => p.consolePath), 'distribute');
    await expect(page.getByTestId('station-mode')).toHaveText('Station running: distributing keys.');
    for (const r of field) r.powerOn();
    for (const [i, d] of ROBOTS.entries()) {
      const expected = SESSIONS[d];
      const row = portRow(page, (pairs[i] as PtyPair).consolePath);
      // This run's row (station:start clears the provisioning run's rows; the mode check says so once more).
      await expect(portState(row), d).toHaveAttribute('data-mode', 'distribute', { timeout: 30_000 });
      await expect(portState(row), d).toHaveAttribute('data-state', expected.state, { timeout: 30_000 });
      await expect(row).toContainText(d);
      // The orders step has its chip (done: every item answered) and one line per item with the robot's answer.
      await expect(row.locator('[data-step="orders"]'), d).toHaveAttribute('data-step-state', 'done');
      const sent = row.getByRole('list', { name: `Orders and CRLs sent on ${(pairs[i] as PtyPair).consolePath}` }).getByRole('listitem');
      await expect(sent, d).toHaveText(expected.items.map(lineOf));
      if (expected.code) {
        await expect(row.getByRole('alert'), d).toHaveAttribute('data-code', expected.code);
        await expect(row.locator('[data-step-state="failed"]'), d).toHaveText(expected.step ?? '?');
      }
      const robot = await (field[i] as RobotProcess).result;
      if (expected.state === 'done') expect(robot.json, `${d} said: ${robot.stdout} ${robot.stderr}`).toMatchObject({ ok: true, mode: 'distribute' });
    }
    await expect(page.getByTestId('shift-distributed')).toHaveText('2');
    await expect(page.getByTestId('shift-failed')).toHaveText('1');
    await stopStation(page);

    // What each robot answered to each item over the link (lockdown.deliver, oldest first).
    for (const d of ROBOTS) {
      const { records } = await h['audit:query']({ action: 'lockdown.deliver', targetId: d, offset: 0, limit: 10 }, CTX);
      expect(records.map((r) => `${String(r.details.item)}:${String(r.details.result)}`).reverse(), d).toEqual(SESSIONS[d].items);
      expect(records.every((r) => r.details.channel === 'serial' && r.outcome === 'success'), d).toBe(true);
    }

    // uv-a refuses to operate, with the order's message; uv-b and uv-c operate and refuse uv-a as a peer (their CRL).
    expect(simulatorSays(['--operate', '--keystore', keystores[COMPROMISED]])).toEqual({ exitCode: 1, json: { ok: false, code: 'locked_down', message: MESSAGE } });
    for (const d of ROBOTS) {
      expect(simulatorSays(['--operate', '--keystore', keystores[d]]).exitCode === 0, `${d} operates`).toBe(SESSIONS[d].operates);
      expect(simulatorSays(['--check-peer', serials[COMPROMISED], '--keystore', keystores[d]]), `${d} checks uv-a`).toMatchObject({ exitCode: 1, json: { ok: false, code: 'peer_revoked' } });
    }
    expect(simulatorSays(['--check-peer', serials['uv-c'], '--keystore', keystores['uv-b']]).exitCode).toBe(0);

    // uv-b and uv-c hold the new versions of the site's keys, and the registry says so; uv-a still holds v1.
    for (const d of ['uv-b', 'uv-c'] as const) {
      expect(newestHeld(keystores[d]), d).toEqual(Object.fromEntries(shared.map((keyId) => [keyId, ROTATED_VERSION])));
      const held = (await h['fleet:get']({ deviceId: d }, CTX)).keys;
      for (const keyId of shared) expect(held.find((k) => k.keyId === keyId), d).toMatchObject({ version: ROTATED_VERSION, source: 'distribution' });
    }
    expect(newestHeld(keystores[COMPROMISED])).toEqual(Object.fromEntries(shared.map((keyId) => [keyId, 1])));

    // The audit viewer: each emergency action once, the run, and each delivery.
    await goToAudit(page);
    await pickAuditAction(page, 'emergency.action');
    await expect(auditRows(page)).toHaveCount(PLAYBOOK.length);
    for (const [, step] of PLAYBOOK) await expect(auditRows(page).filter({ hasText: step })).toHaveCount(1);
    await pickAuditAction(page, 'emergency.execute');
    await expect(auditRows(page)).toHaveCount(1);
    await pickAuditAction(page, 'lockdown.deliver');
    await expect(auditRows(page)).toHaveCount(Object.values(SESSIONS).reduce((n, s) => n + s.items.length, 0));
    for (const d of ROBOTS) await expect(auditRows(page).filter({ hasText: d })).toHaveCount(SESSIONS[d].items.length);
  } finally {
    for (const r of procs) r.kill();
    for (const p of pairs) p.unplug();
    rmSync(work, { recursive: true, force: true });
  }
});
