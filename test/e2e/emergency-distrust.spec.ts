// A compromised fleet CA contained online from the Emergency screen (issue 15; docs/emergency-response.md, "Containing
// a compromised fleet CA"): the console has had two CAs (the first, retired by a replacement, is the compromised one).
// In the playbook, ticking revoke_ca and lockdown pre-ticks "Stop trusting a fleet CA" with the CA revoke_ca revokes,
// visibly, and the officer may untick it; a one-robot playbook whose lockdown distrusts a CA is wide (its Execute
// dialog offers approval or break-glass and warns). Then "Issue a lockdown order…" for a list of two robots: ticking "Stop
// trusting a fleet CA" shows the fleet CAs of ca:history (subject, state, created, short id) and the warning that the
// distrust is final (and, for the current CA, cuts robots off from their peers); the order becomes wide whatever its
// scope (approval or break-glass offered), a missing CA is refused in words beside the picker with nothing signed, and
// break-glass signs at once. The downloaded file is a version 2 order naming the retired CA by the key id computed here
// from its certificate (SHA-256 of the SubjectPublicKeyInfo DER); the robot's own checks (verifyOrder, applyOrder,
// distrustsCa) accept it and leave the robot distrusting that CA and not the current one; a robot outside the list
// refuses it. axe on the dialog with the picker and its error.
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallContext } from '../../shared/contract.ts';
import { applyOrder, distrustsCa, LockdownOrderError, UNLOCKED, verifyOrder, type RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious } from './support/axe.ts';
import { completeFirstRun, openConsole, pickSelectOption } from './support/ui.ts';

const CTX: CallContext = { transport: 'test' };
const OFFICER_PASS = 'Sam has a long passphrase';
const facts = (deviceId: string): RobotFacts => ({ deviceId, site: 'Plant 5', model: 'UV-7', firmware: '2.1.0', tags: [] });
/** The key id robots know a CA by (docs/lockdown-orders.md, "Version 2"): SHA-256 hex of its certificate's SPKI DER. */
const caKeyIdOf = (pem: string) => createHash('sha256').update(new X509Certificate(pem).publicKey.export({ format: 'der', type: 'spki' })).digest('hex');

test('a compromised fleet CA: the playbook pre-ticks its distrust; an order for two robots distrusts it, break-glass, checked by the robot', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-distrust-'));
  try {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    const c = harness.current().fleet;
    const h = c.handlers;
    const emergencyKey = (await h['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, CTX)).id;
    const emergencyPem = (await h['keys:publicKey']({ keyId: emergencyKey }, CTX)).pem;
    await h['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Old E2E CA' }, CTX);
    const { previous: old, current } = await h['ca:replace']({ algorithm: 'EC_P256', commonName: 'New E2E CA', reason: 'planned replacement' }, CTX);
    for (const deviceId of ['uv-501', 'uv-502', 'uv-503']) c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site: 'Plant 5', model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
    // A second security officer exists: a wide order asks for approval unless the officer breaks glass.
    await h['operators:add']({ name: 'Sam', role: 'security_officer', passphrase: OFFICER_PASS }, CTX);

    await page.keyboard.press('Alt+Shift+E');
    await expect(page.getByRole('heading', { name: 'Emergency response', level: 1 })).toBeFocused();

    // The playbook: revoke_ca (the current CA by default) and lockdown pre-tick the distrust of the CA revoked.
    await page.getByRole('checkbox', { name: 'Issue a lockdown order' }).check();
    const distrust = page.getByRole('checkbox', { name: 'Stop trusting a fleet CA' });
    await expect(distrust).not.toBeChecked();
    await page.getByRole('checkbox', { name: /^Revoke the fleet CA/ }).check();
    await expect(distrust).toBeChecked();
    const playbookPicker = page.getByRole('table', { name: 'Fleet CAs to stop trusting' });
    await expect(playbookPicker.getByRole('checkbox', { name: `Stop trusting CN=New E2E CA, O=ECPS-UV Fleet (current, ${current.id.slice(0, 8)})` })).toBeChecked();
    await expect(playbookPicker.getByRole('checkbox', { name: `Stop trusting CN=Old E2E CA, O=ECPS-UV Fleet (retired, ${old.id.slice(0, 8)})` })).not.toBeChecked();
    await expect(page.getByTestId('distrust-ca-note')).toContainText(`CN=New E2E CA, O=ECPS-UV Fleet (${current.id.slice(0, 8)}) is ticked because the playbook revokes it`);
    await expect(page.getByTestId('distrust-current-ca')).toBeVisible();
    // Choosing the retired CA to revoke moves the pre-ticked CA with it.
    await pickSelectOption(page.getByRole('button', { name: 'Fleet CA to revoke' }), /^(Selected )?CN=Old E2E CA.*\(retired\)/, /Old E2E CA.*\(retired\)/);
    await expect(playbookPicker.getByRole('checkbox', { name: /^Stop trusting CN=Old E2E CA/ })).toBeChecked();
    await expect(playbookPicker.getByRole('checkbox', { name: /^Stop trusting CN=New E2E CA/ })).not.toBeChecked();
    await expect(page.getByTestId('distrust-current-ca')).toBeHidden();
    // Without revoke_ca the tick stays (the officer's to remove), the note goes; the playbook on one robot is still wide
    // because its lockdown distrusts a CA: Execute offers approval or break-glass and says what the order does.
    await page.getByRole('checkbox', { name: /^Revoke the fleet CA/ }).uncheck();
    await expect(playbookPicker.getByRole('checkbox', { name: /^Stop trusting CN=Old E2E CA/ })).toBeChecked();
    await expect(page.getByTestId('distrust-ca-note')).toBeHidden();
    await page.getByRole('radio', { name: 'One robot' }).check();
    await page.getByLabel('Device id', { exact: true }).fill('uv-501');
    await page.getByLabel('Reason (recorded in the audit log)').fill('Old fleet CA key found on a stolen laptop');
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    await expect(page.getByTestId('blast-robots')).toHaveText('1');
    await page.getByRole('button', { name: 'Execute…' }).click();
    const execute = page.getByRole('dialog', { name: 'Execute the playbook on robot uv-501' });
    await expect(execute.getByTestId('execute-distrust-ca')).toContainText('stop trusting 1 fleet CA(s) for good');
    await expect(execute.getByRole('button', { name: 'Request approval' })).toBeVisible();
    await expect(execute.getByRole('radio', { name: 'Break glass' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(execute).toBeHidden();
    // The officer may untick it; unticking the playbook's actions leaves the screen as it was.
    await distrust.uncheck();
    await expect(playbookPicker).toBeHidden();
    await page.getByRole('checkbox', { name: 'Issue a lockdown order' }).uncheck();

    // A lockdown order on its own for two robots: robot-level, until it distrusts a CA.
    await page.getByRole('radio', { name: 'A list of robots' }).check();
    await page.getByLabel('Device ids', { exact: true }).fill('uv-501, uv-502');
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    await expect(page.getByTestId('blast-robots')).toHaveText('2');
    await page.getByRole('button', { name: 'Issue a lockdown order…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Issue a lockdown order for 2 robots' });
    await expect(dialog.getByRole('button', { name: 'Sign lockdown order' })).toBeVisible();
    await expect(dialog.getByRole('radio', { name: 'Break glass' })).toHaveCount(0);
    await dialog.getByRole('checkbox', { name: 'Stop trusting a fleet CA' }).check();
    const picker = dialog.getByRole('table', { name: 'Fleet CAs to stop trusting' });
    // Every CA the console has had, with its subject, state, creation time and a short id.
    const oldRow = picker.getByRole('row').filter({ hasText: 'Old E2E CA' });
    await expect(oldRow).toContainText('retired');
    await expect(oldRow).toContainText(old.id.slice(0, 8));
    await expect(oldRow).toContainText(old.createdAt.slice(0, 10));
    await expect(picker.getByRole('row').filter({ hasText: 'New E2E CA' })).toContainText('current');
    await expect(dialog.getByTestId('distrust-ca-warning')).toContainText('stops trusting the ticked CAs for good');
    await expect(dialog.getByTestId('distrust-ca-warning')).toContainText('Distrusting the current CA cuts every robot that takes the order off from its peers');
    // Wide whatever the scope: approval or break-glass.
    await expect(dialog.getByRole('button', { name: 'Request approval' })).toBeVisible();
    await expect(dialog).toContainText('Stopping robots trusting a fleet CA needs two-person approval whatever the scope');

    // No CA ticked: refused beside the picker, in words; nothing signed, nothing requested.
    await dialog.getByLabel('Reason (recorded in the audit log)').fill('Old fleet CA key found on a stolen laptop');
    await dialog.getByRole('button', { name: 'Request approval' }).click();
    await expect(dialog.getByTestId('distrust-ca-error')).toHaveText('Choose the fleet CA (or CAs) robots must stop trusting.');
    expect(await axeSerious(page, '[role="dialog"]'), 'the order dialog with the CA picker and its error').toEqual([]);
    expect((await h['emergency:lockdownList']({}, CTX)).orders).toEqual([]);
    expect((await h['approvals:list']({ open: true }, CTX)).requests).toEqual([]);

    // The current CA ticked: said in words; then the retired one instead.
    await picker.getByRole('checkbox', { name: /^Stop trusting CN=New E2E CA/ }).check();
    await expect(dialog.getByTestId('distrust-current-ca')).toHaveText('You ticked the current CA.');
    await picker.getByRole('checkbox', { name: /^Stop trusting CN=New E2E CA/ }).uncheck();
    await picker.getByRole('checkbox', { name: `Stop trusting CN=Old E2E CA, O=ECPS-UV Fleet (retired, ${old.id.slice(0, 8)})` }).check();
    await expect(dialog.getByTestId('distrust-ca-error')).toBeHidden();
    await expect(dialog.getByTestId('distrust-current-ca')).toBeHidden();

    // Break glass: signed at once, the file downloaded.
    await dialog.getByRole('radio', { name: 'Break glass' }).check();
    await dialog.getByLabel('Break-glass reason').fill('Sam is on a plane; the old CA key is in use now');
    const download = page.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Break glass and sign' }).click();
    const path = join(work, (await download).suggestedFilename());
    await (await download).saveAs(path);
    const file = readFileSync(path);
    await expect(dialog.getByTestId('order-signed')).toContainText('Lockdown order 1 signed');
    await expect(dialog.getByTestId('order-break-glass')).toContainText('a second security officer must review the run');
    expect((await h['approvals:list']({ open: true }, CTX)).requests).toEqual([]);

    // A version 2 order naming the retired CA by the key id robots know it by.
    const body = JSON.parse(Buffer.from((JSON.parse(file.toString('utf8')) as { body: string }).body, 'base64').toString('utf8')) as Record<string, unknown>;
    const oldKeyId = caKeyIdOf(old.certificatePem);
    const currentKeyId = caKeyIdOf(current.certificatePem);
    expect(oldKeyId).not.toBe(currentKeyId);
    expect(body).toMatchObject({ v: 2, kind: 'lockdown', scope: { deviceIds: ['uv-501', 'uv-502'] }, actions: ['stop_operating', 'distrust_ca'], distrustCas: [oldKeyId] });

    // The robots' own checks: both in the list accept it and distrust the old CA (not the current one); uv-503 refuses it.
    const emergencyPublicKey = createPublicKey(emergencyPem);
    for (const deviceId of ['uv-501', 'uv-502']) {
      const order = verifyOrder(file, { emergencyPublicKey, robot: facts(deviceId), lastSequence: 0, now: new Date() });
      const state = applyOrder(UNLOCKED, order);
      expect([deviceId, distrustsCa(state, oldKeyId), distrustsCa(state, currentKeyId)]).toEqual([deviceId, true, false]);
    }
    let refusal = 'accepted';
    try {
      verifyOrder(file, { emergencyPublicKey, robot: facts('uv-503'), lastSequence: 0, now: new Date() });
    } catch (e) {
      refusal = e instanceof LockdownOrderError ? e.code : String(e);
    }
    expect(refusal).toBe('out_of_scope');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
