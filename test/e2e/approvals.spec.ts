// Two-person control through the browser host (docs/two-person-control.md): custodian Kate's destruction of a key is
// answered "approval requested" with the request's id (not an error); Ken signs in as himself, sees the request in
// the Approvals badge and screen (a request denied elsewhere changes the badge through approvals:changed),
// approves and executes it; the key is destroyed.
import { addOperators } from '../integration/support/consoleCalls.ts';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, createKey, expectDashboardAfterUnlock, goToKeys, keyRow, openConsole, OPERATOR, PASSPHRASE, unlock } from './support/ui.ts';

const pass = (name: string) => `${name} has a long passphrase`;
const LABEL = 'to be destroyed';

test('a destruction asked by Kate is approved and executed by Ken in the window', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: LABEL, type: 'storage' });
  const fleet = harness.current().fleet;
  const t = { transport: 'test' as const };
  const keyId = (await fleet.handlers['keys:list']({}, t)).keys.find((k) => k.label === LABEL)!.id;
  await fleet.handlers['keys:setState']({ keyId, state: 'deactivated', reason: 'out of use' }, t);
  // Ken, the second approver, is added with Kate's approval (operator.approver; through the main process).
  await addOperators(fleet, { name: OPERATOR, passphrase: PASSPHRASE }, ['Kate', 'Ken'].map((name) => ({ name, role: 'key_custodian' as const, passphrase: pass(name) })));
  await expectDashboardAfterUnlock(page);

  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, pass('Kate'), 'Kate');
  await expectDashboardAfterUnlock(page);
  await goToKeys(page);
  await keyRow(page, LABEL).getByRole('button', { name: 'Change state' }).click();
  const dialog = page.getByRole('dialog', { name: `Change the state of “${LABEL}”` });
  await dialog.getByRole('radio', { name: 'Destroyed', exact: true }).check();
  await dialog.getByLabel('Reason (recorded in the audit log)').fill('end of life');
  await dialog.getByLabel(`Type the key label “${LABEL}” to confirm destruction`).fill(LABEL);
  await dialog.getByRole('button', { name: `Set “${LABEL}” to Destroyed` }).click();
  const requested = dialog.getByTestId('approval-requested');
  await expect(requested).toContainText('Approval requested');
  const requestId = (await fleet.handlers['approvals:list']({ open: true }, t)).requests[0]!.id;
  await expect(requested).toContainText(requestId);
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(keyRow(page, LABEL)).toContainText('Deactivated');
  // A second request by Kate, made through the main process in her session: denied below from outside the window.
  const other = (await fleet.handlers['keys:create']({ type: 'storage', label: 'second' }, t)).id;
  await fleet.handlers['keys:setState']({ keyId: other, state: 'deactivated', reason: 'out of use' }, t);
  const second = await fleet.handlers['keys:setState']({ keyId: other, state: 'destroyed', reason: 'end of life' }, t).then(
    () => '',
    (e: { details?: { requestId?: string } }) => e.details?.requestId ?? '',
  );
  expect(second).not.toBe('');

  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, pass('Ken'), 'Ken');
  await expectDashboardAfterUnlock(page);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByText('2 to approve')).toBeVisible();
  // Denied elsewhere (through the main process, not this window): the badge follows the approvals:changed push.
  await fleet.handlers['approvals:deny']({ requestId: second, reason: 'keep it' }, t);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByText('1 to approve')).toBeVisible();
  await clickNav(page, 'Approvals');
  await expect(page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: requestId });
  await expect(row).toContainText('Destroy a key');
  await expect(row).toContainText('Kate');
  await expect(row).toContainText('0 of 1');
  await row.getByRole('radio').check();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(row).toContainText('Approved, ready to execute');
  await expect(row).toContainText('1 of 1 (Ken)');
  await page.getByRole('button', { name: 'Execute', exact: true }).click();
  await expect(page.getByTestId('approval-executed')).toContainText(requestId);
  expect((await fleet.handlers['keys:get']({ keyId }, t)).state).toBe('destroyed');
});
