// The Emergency screen (issue 15, docs/emergency-response.md, "The Emergency screen") through the browser host, on a
// small fleet seeded here: Plant 1 holds uv-001 (its own storage key, the site's communication key, a certificate of
// the real fleet CA), uv-002 and uv-003 (the site key, certificates); Plant 2 holds uv-004 (nothing shared). uv-001 is
// compromised. The screen opens with Alt+Shift+E and from the red top-bar entry on another screen; the preview's
// figures are the ones this seed implies; a dry run writes nothing but one audit record; Execute (robot-level: one
// officer) runs every action to done; the run's CRL lists uv-001's serial (openssl crl); its lockdown order stops the
// simulated robot and a lift signed from the orders table frees it; the audit viewer shows the run and each action. A
// site scope says two-person approval applies and offers break-glass. A viewer sees no entry and the shortcut does
// nothing. axe on the screen and its dialog. A second test: on a wide scope with a second security officer present,
// Execute makes an approval request (nothing runs); break-glass runs at once and needs a review, which the officer who
// ran it is refused (forbidden, shown in words) and the second officer records. A third: a lockdown order issued on
// its own from the screen for one robot (no playbook): a field error in words, the signed file downloaded and checked
// by the simulator's order checks (signature, scope, sequence), its sequence and expiry shown, a lift from the same
// dialog, axe on the dialog; on a site with a second officer present the dialog shows the approval request instead.
// A fourth: an order for the holders of a key version, with a second officer present: a key no robot holds is refused
// in words before signing; for a held version the dialog shows how many robots hold it, break-glass needs its reason,
// then signs at once an order naming those robots (the simulator's checks agree), raises the CRITICAL alert and leaves
// a run awaiting review on the screen (listed as an order issued on its own), with no approval request; a robot that
// gets the key between the count shown and the signature makes the console refuse (nothing signed) and the dialog
// show the new count and ask again.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { CallContext } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { robotCsr } from '../integration/fleetca-kit.ts';
import { applyLockdownOrder, operate } from '../robot-sim/lockdown.ts';
import { LockdownOrderError } from '../../electron/services/emergency/lockdownOrder.ts';
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious, INTERNAL_WORDS } from './support/axe.ts';
import { auditRows, clickNav, completeFirstRun, expectDashboardAfterUnlock, goToAudit, goToKeys, openConsole, pickAuditAction, unlock } from './support/ui.ts';

const CTX: CallContext = { transport: 'test' };
const VIEWER_PASS = 'Vic has a long passphrase';
const OFFICER_PASS = 'Sam has a long passphrase';

/** The seed: [device id, site]; every robot deployed, model UV-7. */
const ROBOTS: Array<[string, string]> = [
  ['uv-001', 'Plant 1'],
  ['uv-002', 'Plant 1'],
  ['uv-003', 'Plant 1'],
  ['uv-004', 'Plant 2'],
];
/** What the preview of "one robot: uv-001" must say, from the seed: its certificate; its own key (held by it alone)
 * to compromise; the site key (also held by uv-002 and uv-003) to rotate; no robot at a station. */
const EXPECTED_ROBOT = { robots: '1', certificates: '1', compromise: '1', rotate: '1', now: '0', later: '1' };
/** The site scope "Plant 1" after that run: three robots; two active certificates (uv-001's is revoked); the site key,
 * held only inside the site, to compromise (uv-001's own key is compromised already); nothing shared to rotate. */
const EXPECTED_SITE = { robots: '3', certificates: '2', compromise: '1', rotate: '0' };
/** The bytes of the file the browser downloads when `click` runs, saved under `dir`. */
async function savedDownload(page: Page, dir: string, click: () => Promise<void>): Promise<Buffer> {
  const d = page.waitForEvent('download');
  await click();
  const file = join(dir, (await d).suggestedFilename());
  await (await d).saveAs(file);
  return readFileSync(file);
}

/** The console signed in at first run with an active emergency key: its fleet console, handlers and the key's public PEM. */
async function signedInWithEmergencyKey(page: Page, current: { host: { url: string }; fleet: FleetConsole }) {
  await openConsole(page, current.host.url);
  await completeFirstRun(page);
  const c = current.fleet;
  const h = c.handlers;
  const emergencyKey = (await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX)).id;
  return { c, h, emergencyKeyPem: (await h['keys:publicKey']({ keyId: emergencyKey }, CTX)).pem };
}

const STEPS = ['compromise_keys', 'revoke_certificates', 'quarantine', 'rotate_shared', 'lockdown'];

test('a robot at a site is compromised and contained from the Emergency screen', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-emergency-'));
  try {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    const c = harness.current().fleet;
    const h = c.handlers;
    const robotKey = (await h['keys:create']({ type: 'storage', label: 'uv-001 storage', algorithm: 'AES_256' }, CTX)).id;
    const siteKey = (await h['keys:create']({ type: 'communication', label: 'Plant 1 comm', algorithm: 'AES_256' }, CTX)).id;
    const emergencyKey = (await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX)).id;
    const emergencyKeyPem = (await h['keys:publicKey']({ keyId: emergencyKey }, CTX)).pem;
    const caPem = (await h['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'E2E Emergency CA' }, CTX)).certificatePem ?? '';
    writeFileSync(join(work, 'ca.pem'), caPem);
    for (const [deviceId, site] of ROBOTS) c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site, model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
    c.fleet.recordKeyVersions('uv-001', [{ keyId: robotKey, version: 1 }, { keyId: siteKey, version: 1 }], 'provisioning');
    for (const d of ['uv-002', 'uv-003']) c.fleet.recordKeyVersions(d, [{ keyId: siteKey, version: 1 }], 'provisioning');
    const ca = await c.ca.require();
    const serials: Record<string, string> = {};
    for (const deviceId of ['uv-001', 'uv-002', 'uv-003']) {
      const cert = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', deviceId), { deviceId });
      c.fleet.attachCertificate(deviceId, { serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
      serials[deviceId] = cert.serial;
    }

    // The shortcut from the Keys screen; the top-bar entry from the Fleet screen.
    await goToKeys(page);
    await page.keyboard.press('Alt+Shift+E');
    const heading = page.getByRole('heading', { name: 'Emergency response', level: 1 });
    await expect(heading).toBeFocused();
    await expect(page).toHaveURL(/#\/emergency$/);
    await clickNav(page, 'Fleet');
    await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toBeVisible();
    await page.getByRole('link', { name: 'Emergency', exact: true }).click();
    await expect(heading).toBeFocused();

    // The preview of one robot.
    await page.getByRole('radio', { name: 'One robot' }).check();
    await page.getByLabel('Device id', { exact: true }).fill('uv-001');
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    for (const [k, v] of Object.entries(EXPECTED_ROBOT)) await expect(page.getByTestId(`blast-${k}`), k).toHaveText(v);
    const keys = page.getByRole('table', { name: 'Keys in scope' });
    await expect(keys.getByRole('row').filter({ hasText: 'uv-001 storage' })).toContainText('Mark compromised');
    await expect(keys.getByRole('row').filter({ hasText: 'Plant 1 comm' })).toContainText('Rotate');
    await expect(page.getByText('Robot-level scope: one security officer may execute it.')).toBeVisible();
    // What revoking the fleet CA would touch, whatever the scope: the seed's three certificates of three robots; ticking
    // it warns that it is fleet-wide and what follows (a new CA, re-provisioning).
    await expect(page.getByTestId('blast-ca')).toContainText('3 certificate(s) not revoked yet, held by 3 robot(s)');
    const revokeCa = page.getByRole('checkbox', { name: 'Revoke the fleet CA (compromised CA: every certificate it issued)' });
    const caWarning = page.getByText(/initialise a new one \(Certificates, or ca:init\), and every robot must be re-provisioned/);
    await revokeCa.check();
    await expect(caWarning).toBeVisible();
    expect(await axeSerious(page), 'the Emergency screen with a preview').toEqual([]);
    await revokeCa.uncheck();
    await expect(caWarning).toBeHidden();

    // The playbook: every action; a dry run writes one audit record and nothing else.
    for (const label of ['Mark keys compromised', 'Revoke certificates and publish a CRL', 'Quarantine robots', 'Rotate shared keys of robots outside the scope', 'Issue a lockdown order'])
      await page.getByRole('checkbox', { name: label }).check();
    await page.getByLabel('Reason (recorded in the audit log)').fill('uv-001 stolen from Plant 1');
    await page.getByLabel("Message shown to robots' operators").fill('Stolen robot: stop');
    const before = (await h['audit:query']({ limit: 1000 }, CTX)).records;
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect(page.getByTestId('dry-run-done')).toContainText('Nothing changed');
    const after = (await h['audit:query']({ limit: 1000 }, CTX)).records;
    const added = after.filter((r) => !before.some((b) => b.seq === r.seq));
    expect(added.map((r) => [r.action, r.details.dryRun])).toEqual([['emergency.execute', true]]);
    expect((await h['keys:get']({ keyId: robotKey }, CTX)).state).toBe('active');
    expect((await h['fleet:get']({ deviceId: 'uv-001' }, CTX)).status).toBe('deployed');
    expect((await h['emergency:runs']({}, CTX)).runs).toEqual([]);

    // Execute behind the confirmation; the run reaches done, every action done.
    await page.getByRole('button', { name: 'Execute…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Execute the playbook on robot uv-001' });
    await expect(dialog).toContainText('1 robot(s), 1 certificate(s), 1 key(s) to compromise and 1 shared key(s)');
    await expect(dialog.getByRole('radio', { name: 'Break glass' })).toHaveCount(0);
    await dialog.getByRole('button', { name: 'Execute now' }).click();
    await expect(dialog).toBeHidden();
    const run = page.getByTestId('emergency-run');
    await expect(run.getByTestId('run-state')).toHaveAttribute('data-state', 'done');
    await expect(run.locator('[data-step-state="done"]')).toHaveCount(STEPS.length);
    await expect(run.getByTestId('run-review')).toHaveText('Not needed');
    expect((await h['keys:get']({ keyId: robotKey }, CTX)).state).toBe('compromised');
    expect((await h['keys:get']({ keyId: siteKey }, CTX)).currentVersion).toBe(2);
    expect((await h['fleet:get']({ deviceId: 'uv-001' }, CTX)).status).toBe('quarantined');

    // The run's CRL lists uv-001's serial, signed by the fleet CA; uv-002's is not on it.
    const download = page.waitForEvent('download');
    await run.getByRole('button', { name: 'Download CRL' }).click();
    const crlPath = join(work, 'emergency.crl.pem');
    await (await download).saveAs(crlPath);
    const crl = spawnSync('openssl', ['crl', '-inform', 'PEM', '-in', crlPath, '-noout', '-text', '-CAfile', join(work, 'ca.pem')], { encoding: 'utf8' });
    expect(crl.status).toBe(0);
    expect(`${crl.stdout}${crl.stderr}`).toMatch(/verify OK/);
    const listed = crl.stdout.toUpperCase().replace(/:/g, '');
    expect(listed).toContain(serials['uv-001']!.toUpperCase());
    expect(listed).not.toContain(serials['uv-002']!.toUpperCase());
    expect(crl.stdout).toMatch(/Key Compromise/);

    // The run's lockdown order, carried to the robot (the simulator's checks): it refuses to operate. Lift… signs a lift
    // order for the same scope that the robot accepts.
    const robotKeystore = mkdtempSync(join(work, 'uv-001-'));
    const facts = { deviceId: 'uv-001', site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] };
    const saved = (click: () => Promise<void>) => savedDownload(page, work, click);
    const orderFile = await saved(() => run.getByRole('button', { name: 'Download lockdown order' }).click());
    expect(applyLockdownOrder({ keystore: robotKeystore, facts, emergencyKeyPem, file: orderFile, now: new Date() }).order).toMatchObject({ kind: 'lockdown', sequence: 1, scope: { deviceIds: ['uv-001'] } });
    expect(operate(robotKeystore, new Date())).toEqual({ ok: false, code: 'locked_down', message: 'Stolen robot: stop' });
    const orders = page.getByRole('table', { name: 'Lockdown orders' });
    await orders.getByRole('radio', { name: 'Order 1' }).check();
    await page.getByRole('button', { name: 'Lift…' }).click();
    const liftDialog = page.getByRole('dialog', { name: 'Lift lockdown order 1' });
    await liftDialog.getByLabel(/^Reason/).fill('uv-001 recovered');
    const liftFile = await saved(() => liftDialog.getByRole('button', { name: 'Sign lift order' }).click());
    await expect(page.getByTestId('lift-signed')).toContainText('Lift order 2 signed');
    expect(applyLockdownOrder({ keystore: robotKeystore, facts, emergencyKeyPem, file: liftFile, now: new Date() }).order).toMatchObject({ kind: 'lift', sequence: 2 });
    expect(operate(robotKeystore, new Date())).toEqual({ ok: true, safeMode: false });
    await expect(orders.locator('tbody tr')).toHaveCount(2);

    // A wide scope: two-person approval applies; the confirmation offers break-glass with its required reason.
    await page.getByRole('radio', { name: 'A site' }).check();
    await page.getByLabel('Site', { exact: true }).fill('Plant 1');
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    for (const [k, v] of Object.entries(EXPECTED_SITE)) await expect(page.getByTestId(`blast-${k}`), k).toHaveText(v);
    await expect(page.getByText('Two-person approval applies')).toBeVisible();
    await page.getByRole('button', { name: 'Execute…' }).click();
    const wide = page.getByRole('dialog', { name: 'Execute the playbook on site Plant 1' });
    await expect(wide.getByRole('button', { name: 'Request approval' })).toBeEnabled();
    await wide.getByRole('radio', { name: 'Break glass' }).check();
    await expect(wide.getByRole('button', { name: 'Break glass and execute' })).toBeDisabled();
    await expect(wide.getByLabel(/Break-glass reason/)).toBeVisible();
    expect(await axeSerious(page, '[role="dialog"]'), 'the Execute dialog').toEqual([]);
    await page.keyboard.press('Escape');
    await expect(wide).toBeHidden();
    expect(await page.locator('body').innerText()).not.toMatch(INTERNAL_WORDS);

    // The audit viewer: the dry run and the run (emergency.execute), and each action (emergency.action).
    await goToAudit(page);
    await pickAuditAction(page, 'emergency.action');
    await expect(auditRows(page)).toHaveCount(STEPS.length);
    for (const step of STEPS) await expect(auditRows(page).filter({ hasText: step })).toHaveCount(1);
    await pickAuditAction(page, 'emergency.execute');
    await expect(auditRows(page)).toHaveCount(2);

    // A viewer sees no Emergency entry, and the shortcut does nothing.
    await h['operators:add']({ name: 'Vic', role: 'viewer', passphrase: VIEWER_PASS }, CTX);
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await unlock(page, VIEWER_PASS, 'Vic');
    await expectDashboardAfterUnlock(page);
    await expect(page.getByRole('link', { name: 'Emergency', exact: true })).toHaveCount(0);
    await page.keyboard.press('Alt+Shift+E');
    await expect(page.getByRole('heading', { name: 'Fleet dashboard', level: 1 })).toBeVisible();
    await expect(page).toHaveURL(/#\/dashboard$/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a wide scope: an approval request, or break-glass reviewed by a second officer (never the one who ran it)', async ({ page, harness }) => {
  test.setTimeout(90_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const c = harness.current().fleet;
  const h = c.handlers;
  for (const deviceId of ['uv-104', 'uv-105']) c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site: 'Plant 2', model: 'UV-9', firmware: '2.2.0', tags: [], status: 'deployed' });
  // A second security officer exists, so a wide run is never waived.
  await h['operators:add']({ name: 'Sam', role: 'security_officer', passphrase: OFFICER_PASS }, CTX);

  await page.keyboard.press('Alt+Shift+E');
  await page.getByRole('radio', { name: 'A site' }).check();
  await page.getByLabel('Site', { exact: true }).fill('Plant 2');
  await page.getByRole('button', { name: 'Preview blast radius' }).click();
  await expect(page.getByTestId('blast-robots')).toHaveText('2');
  await page.getByRole('checkbox', { name: 'Quarantine robots' }).check();
  await page.getByLabel('Reason (recorded in the audit log)').fill('Plant 2 badge reader breached');

  // Two-person approval: a request, nothing run.
  await page.getByRole('button', { name: 'Execute…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Execute the playbook on site Plant 2' });
  await dialog.getByRole('button', { name: 'Request approval' }).click();
  const requestId = (await h['approvals:list']({ open: true }, CTX)).requests[0]!.id;
  await expect(dialog.getByTestId('approval-requested')).toContainText(requestId);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  expect((await h['emergency:runs']({}, CTX)).runs).toEqual([]);

  // Break glass: runs now, needs a review; the officer who ran it is refused as reviewer.
  await page.getByRole('button', { name: 'Execute…' }).click();
  await dialog.getByRole('radio', { name: 'Break glass' }).check();
  await dialog.getByLabel(/Break-glass reason/).fill('Sam is on the night shift elsewhere');
  await dialog.getByRole('button', { name: 'Break glass and execute' }).click();
  const run = page.getByTestId('emergency-run');
  await expect(run.getByTestId('run-state')).toHaveAttribute('data-state', 'done');
  await expect(run.getByTestId('run-review')).toHaveText('Break glass: needs a second officer’s review');
  expect((await h['fleet:get']({ deviceId: 'uv-105' }, CTX)).status).toBe('quarantined');
  await run.getByRole('button', { name: 'Review…' }).click();
  const review = page.getByRole('dialog', { name: 'Review the break-glass run' });
  await review.getByLabel('Review note (recorded in the audit log)').fill('checked it myself');
  await review.getByRole('button', { name: 'Record review' }).click();
  await expect(review.getByRole('alert')).toHaveAttribute('data-code', 'forbidden');
  await page.keyboard.press('Escape');

  // Sam reviews it.
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await unlock(page, OFFICER_PASS, 'Sam');
  await expectDashboardAfterUnlock(page);
  await page.getByRole('link', { name: 'Emergency', exact: true }).click();
  const runId = (await h['emergency:runs']({}, CTX)).runs[0]!.runId;
  await page.getByRole('table', { name: 'Emergency runs' }).getByRole('radio', { name: `Run ${runId}` }).check();
  await run.getByRole('button', { name: 'Review…' }).click();
  await review.getByLabel('Review note (recorded in the audit log)').fill('breach confirmed by site security');
  await review.getByRole('button', { name: 'Record review' }).click();
  await expect(review).toBeHidden();
  await expect(run.getByTestId('run-review')).toHaveText('Reviewed');
  await expect(run).toContainText('by Sam: breach confirmed by site security');
});

test('a lockdown order issued on its own for one robot, checked by the robot; a site needs approval', async ({ page, harness }) => {
  test.setTimeout(90_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-order-'));
  try {
    const { c, h, emergencyKeyPem } = await signedInWithEmergencyKey(page, harness.current());
    for (const deviceId of ['uv-201', 'uv-202']) c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site: 'Plant 3', model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
    const facts = (deviceId: string) => ({ deviceId, site: 'Plant 3', model: 'UV-7', firmware: '2.1.0', tags: [] });

    await page.keyboard.press('Alt+Shift+E');
    await page.getByRole('radio', { name: 'One robot' }).check();
    await page.getByLabel('Device id', { exact: true }).fill('uv-201');
    const issueButton = page.getByRole('button', { name: 'Issue a lockdown order…' });
    await expect(issueButton).toBeDisabled();
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    await expect(page.getByTestId('blast-robots')).toHaveText('1');
    await issueButton.click();
    const dialog = page.getByRole('dialog', { name: 'Issue a lockdown order for robot uv-201' });
    await expect(dialog).toContainText('It reaches 1 robot(s) in the registry');

    // Field errors in words beside their fields; nothing is signed.
    await dialog.getByLabel('Valid for (hours)').fill('3000');
    await dialog.getByRole('button', { name: 'Sign lockdown order' }).click();
    await expect(dialog.getByText('Valid for 1 minute (0.02 h) to 2160 hours (90 days).')).toBeVisible();
    await expect(dialog.getByText('Say why (recorded in the audit log).')).toBeVisible();
    expect(await axeSerious(page, '[role="dialog"]'), 'the Issue a lockdown order dialog with its errors').toEqual([]);
    expect((await h['emergency:lockdownList']({}, CTX)).orders).toEqual([]);

    // Safe mode too, best effort, 2 hours: signed, saved, its sequence and expiry shown.
    await dialog.getByRole('checkbox', { name: 'Safe mode' }).check();
    await dialog.getByRole('radio', { name: 'Best effort' }).check();
    await dialog.getByLabel('Valid for (hours)').fill('2');
    await dialog.getByLabel("Message shown to robots' operators").fill('Return to the dock');
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('uv-201 behaving oddly');
    await expect(dialog.getByText('Say why (recorded in the audit log).')).toBeHidden();
    const saved = (click: () => Promise<void>) => savedDownload(page, work, click);
    const orderFile = await saved(() => dialog.getByRole('button', { name: 'Sign lockdown order' }).click());
    await expect(dialog.getByTestId('order-signed')).toContainText('Lockdown order 1 signed');
    await expect(dialog.getByTestId('order-sequence')).toHaveText('1');

    // The robot's own checks: the signature, its scope (uv-201 only), the sequence; the expiry is the one shown.
    const keystore = mkdtempSync(join(work, 'uv-201-'));
    const applied = applyLockdownOrder({ keystore, facts: facts('uv-201'), emergencyKeyPem, file: orderFile, now: new Date() }).order;
    expect(applied).toMatchObject({ kind: 'lockdown', sequence: 1, scope: { deviceIds: ['uv-201'] }, actions: ['stop_operating', 'safe_mode'], mode: 'best_effort', message: 'Return to the dock', reason: 'uv-201 behaving oddly' });
    expect(Date.parse(applied.expiresAt) - Date.parse(applied.issuedAt)).toBe(2 * 3600 * 1000);
    const shownExpiry = new Date((await dialog.getByTestId('order-expires').innerText()).replace(' ', 'T')).getTime();
    expect(Math.floor(Date.parse(applied.expiresAt) / 1000) * 1000).toBe(shownExpiry);
    expect(operate(keystore, new Date())).toEqual({ ok: false, code: 'locked_down', message: 'Return to the dock' });
    const refusal = (keystoreOf: string, deviceId: string, file: Buffer) => {
      try {
        applyLockdownOrder({ keystore: keystoreOf, facts: facts(deviceId), emergencyKeyPem, file, now: new Date() });
        return 'accepted';
      } catch (e) {
        return e instanceof LockdownOrderError ? e.code : String(e);
      }
    };
    expect(refusal(mkdtempSync(join(work, 'uv-202-')), 'uv-202', orderFile)).toBe('out_of_scope');
    expect(refusal(keystore, 'uv-201', orderFile)).toBe('replayed');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(page.getByRole('table', { name: 'Lockdown orders' }).locator('tbody tr')).toHaveCount(1);

    // A lift from the same dialog: sequence 2, the robot works again.
    await issueButton.click();
    await dialog.getByRole('radio', { name: 'Lift' }).check();
    await expect(dialog.getByRole('checkbox', { name: 'Stop operating' })).toHaveCount(0);
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('uv-201 checked');
    const liftFile = await saved(() => dialog.getByRole('button', { name: 'Sign lift order' }).click());
    await expect(dialog.getByTestId('order-signed')).toContainText('Lift order 2 signed');
    expect(applyLockdownOrder({ keystore, facts: facts('uv-201'), emergencyKeyPem, file: liftFile, now: new Date() }).order).toMatchObject({ kind: 'lift', sequence: 2 });
    expect(operate(keystore, new Date())).toEqual({ ok: true, safeMode: false });
    await page.keyboard.press('Escape');

    // A site, with a second security officer present: the main process answers with an approval request; nothing signed.
    await h['operators:add']({ name: 'Sam', role: 'security_officer', passphrase: OFFICER_PASS }, CTX);
    await page.getByRole('radio', { name: 'A site' }).check();
    await page.getByLabel('Site', { exact: true }).fill('Plant 3');
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    await expect(page.getByTestId('blast-robots')).toHaveText('2');
    await issueButton.click();
    const wide = page.getByRole('dialog', { name: 'Issue a lockdown order for site Plant 3' });
    await expect(wide).toContainText('needs two-person approval');
    await wide.getByLabel('Reason (recorded in the audit log)').fill('Plant 3 intrusion');
    await wide.getByRole('button', { name: 'Request approval' }).click();
    // the click returns before the request is made: wait for the dialog to say so, then read the store
    await expect(wide.getByTestId('approval-requested')).toBeVisible();
    const requests = (await h['approvals:list']({ open: true }, CTX)).requests;
    expect(requests).toHaveLength(1);
    await expect(wide.getByTestId('approval-requested')).toContainText(requests[0]!.id);
    expect((await h['emergency:lockdownList']({}, CTX)).orders).toHaveLength(2);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('an order for the holders of a key version: counted before signing, break-glass signs at once and awaits review; nobody is refused', async ({ page, harness }) => {
  test.setTimeout(90_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-order-key-'));
  try {
    const { c, h, emergencyKeyPem } = await signedInWithEmergencyKey(page, harness.current());
    const siteKey = (await h['keys:create']({ type: 'communication', label: 'Plant 4 comm', algorithm: 'AES_256' }, CTX)).id;
    await h['keys:rotate']({ keyId: siteKey }, CTX);
    const unheld = (await h['keys:create']({ type: 'storage', label: 'held by nobody', algorithm: 'AES_256' }, CTX)).id;
    // [robot, the version of the site key it holds]: version 2 is held by uv-302 and uv-303.
    const held: Array<[string, number]> = [['uv-301', 1], ['uv-302', 2], ['uv-303', 2]];
    for (const [deviceId, version] of held) {
      c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site: 'Plant 4', model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
      c.fleet.recordKeyVersions(deviceId, [{ keyId: siteKey, version }], 'provisioning');
    }
    // uv-304 gets version 2 after the officer was shown the count, before the signature (below).
    c.fleet.create({ deviceId: 'uv-304', name: 'Robot uv-304', site: 'Plant 4', model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
    // A second security officer exists: without break-glass this order would wait for approval.
    await h['operators:add']({ name: 'Sam', role: 'security_officer', passphrase: OFFICER_PASS }, CTX);

    await page.keyboard.press('Alt+Shift+E');
    await page.getByRole('radio', { name: 'Holders of a key (version)' }).check();
    const issueButton = page.getByRole('button', { name: 'Issue a lockdown order…' });
    const previewScope = async (value: string, robots: string) => {
      await page.getByLabel('Key id[:version]', { exact: true }).fill(value);
      await page.getByRole('button', { name: 'Preview blast radius' }).click();
      await expect(page.getByTestId('blast-robots')).toHaveText(robots);
      await issueButton.click();
    };

    // A key no robot holds: said in words, and nothing can be signed.
    await previewScope(unheld, '0');
    const empty = page.getByRole('dialog', { name: `Issue a lockdown order for holders of key ${unheld}` });
    await expect(empty.getByTestId('order-resolves-to-nobody')).toContainText('an order for nobody is not signed');
    await expect(empty.getByRole('button', { name: 'Request approval' })).toBeDisabled();
    await page.keyboard.press('Escape');
    await expect(empty).toBeHidden();

    // Version 2: two robots, counted before signing.
    await previewScope(`${siteKey}:2`, '2');
    const dialog = page.getByRole('dialog', { name: `Issue a lockdown order for holders of key ${siteKey}:2` });
    await expect(dialog.getByTestId('order-resolved-count')).toHaveText('2');
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('Plant 4 site key copied');
    await expect(dialog.getByRole('button', { name: 'Request approval' })).toBeVisible();
    await dialog.getByRole('radio', { name: 'Break glass' }).check();
    // Break-glass without its reason: refused beside the field, nothing signed.
    await dialog.getByRole('button', { name: 'Break glass and sign' }).click();
    await expect(dialog.getByText('Say why you break glass instead of asking a second officer (recorded in the audit log and the alert).')).toBeVisible();
    expect((await h['emergency:lockdownList']({}, CTX)).orders).toEqual([]);
    expect(await axeSerious(page, '[role="dialog"]'), 'the order dialog with break-glass and its error').toEqual([]);

    await dialog.getByLabel('Break-glass reason').fill('Sam is unreachable; the key is being used now');
    // A robot gets the key after the officer saw "2": the console counts 3 when signing, refuses, and the dialog asks again.
    c.fleet.recordKeyVersions('uv-304', [{ keyId: siteKey, version: 2 }], 'provisioning');
    await dialog.getByRole('button', { name: 'Break glass and sign' }).click();
    await expect(dialog.getByTestId('order-recounted')).toContainText('the console found 3 robot(s), not the 2 shown');
    await expect(dialog.getByTestId('order-resolved-count')).toHaveText('3');
    expect((await h['emergency:lockdownList']({}, CTX)).orders).toEqual([]);
    expect((await h['emergency:runs']({}, CTX)).runs).toEqual([]);
    const file = await savedDownload(page, work, () => dialog.getByRole('button', { name: 'Break glass and sign' }).click());
    await expect(dialog.getByTestId('order-signed')).toContainText('Lockdown order 1 signed');
    await expect(dialog.getByTestId('order-named-robots')).toContainText('It names 3 robot(s): uv-302, uv-303, uv-304.');
    await expect(dialog.getByTestId('order-break-glass')).toContainText('a second security officer must review the run');

    // The robots' own checks: the two holders of version 2 accept it, the holder of version 1 is out of scope.
    const says = (deviceId: string) => {
      try {
        applyLockdownOrder({ keystore: mkdtempSync(join(work, `${deviceId}-`)), facts: { deviceId, site: 'Plant 4', model: 'UV-7', firmware: '2.1.0', tags: [] }, emergencyKeyPem, file, now: new Date() });
        return 'accepted';
      } catch (e) {
        return e instanceof LockdownOrderError ? e.code : String(e);
      }
    };
    expect([...held.map(([d]) => d), 'uv-304'].map((d) => [d, says(d)])).toEqual([['uv-301', 'out_of_scope'], ['uv-302', 'accepted'], ['uv-303', 'accepted'], ['uv-304', 'accepted']]);

    // Signed at once: no approval request; a CRITICAL alert; a run awaiting a second officer's review, on the screen.
    expect((await h['approvals:list']({ open: true }, CTX)).requests).toEqual([]);
    const runs = (await h['emergency:runs']({ needsReview: true }, CTX)).runs;
    expect(runs.map((r) => [r.actions, r.breakGlassReason])).toEqual([[['lockdown'], 'Sam is unreachable; the key is being used now']]);
    const alerts = (await h['alerts:list']({}, CTX)).alerts.filter((a) => a.kind === 'emergency_break_glass');
    expect(alerts.map((a) => [a.severity, a.subject])).toEqual([['CRITICAL', runs[0]!.runId]]);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    // Listed as what it was: an order issued on its own, not a playbook.
    await expect(page.getByRole('table', { name: 'Emergency runs' }).getByTestId('run-origin-order')).toHaveText('Lockdown order issued on its own (break-glass)');
    await page.getByRole('table', { name: 'Emergency runs' }).getByRole('radio', { name: `Run ${runs[0]!.runId}` }).check();
    await expect(page.getByTestId('emergency-run').getByTestId('run-review')).toHaveText('Break glass: needs a second officer’s review');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
