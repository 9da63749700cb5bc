// Replacing and revoking the fleet CA from the Certificates screen (docs/fleet-ca.md, "Replacing and revoking the CA";
// two-person control). On a console with one operator the replacement runs at once (waived, audited) and the screen
// shows the new CA; once two security officers exist, officer Otto's revocation is answered "approval requested" with
// the request's id, and the CA stays as it was.
import { addOperators } from '../integration/support/consoleCalls.ts';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE, unlock } from './support/ui.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const t = { transport: 'test' as const };

test('the CA replaced from the Certificates screen; a revocation becomes an approval request', async ({ page, harness }) => {
  test.setTimeout(180_000);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  await fleet.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'First E2E CA' }, t);
  await clickNav(page, 'Certificates');
  await expect(page.getByTestId('ca-subject')).toHaveText('CN=First E2E CA, O=ECPS-UV Fleet');

  await page.getByRole('button', { name: 'Replace CA…' }).click();
  let dialog = page.getByRole('dialog', { name: 'Replace the fleet CA' });
  await dialog.getByLabel('Common name of the new CA').fill('Second E2E CA');
  await dialog.getByLabel('Reason').fill('planned replacement');
  await dialog.getByRole('button', { name: 'Request the replacement' }).click();
  await expect(dialog.getByRole('status')).toHaveText('The fleet CA was replaced; 0 robot(s) need a new certificate.');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.getByTestId('ca-subject')).toHaveText('CN=Second E2E CA, O=ECPS-UV Fleet');

  // Olga, the second approver, is added with Otto's approval (operator.approver; through the main process).
  await addOperators(fleet, { name: OPERATOR, passphrase: PASSPHRASE }, ['Otto', 'Olga'].map((name) => ({ name, role: 'security_officer' as const, passphrase: pass(name) })));
  await expectDashboardAfterUnlock(page);
  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, pass('Otto'), 'Otto');
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Certificates');
  await page.getByRole('button', { name: 'Revoke CA…' }).click();
  dialog = page.getByRole('dialog', { name: 'Revoke the fleet CA (compromised)' });
  await dialog.getByLabel('Reason').fill('CA key leaked');
  await dialog.getByRole('button', { name: 'Request the revocation' }).click();
  const requested = dialog.getByTestId('approval-requested');
  await expect(requested).toContainText('Approval requested');
  const request = (await fleet.handlers['approvals:list']({ open: true }, t)).requests[0]!;
  expect([request.action, request.requester]).toEqual(['ca.revoke', 'Otto']);
  await expect(requested).toContainText(request.id);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.getByTestId('ca-subject')).toHaveText('CN=Second E2E CA, O=ECPS-UV Fleet');
});
