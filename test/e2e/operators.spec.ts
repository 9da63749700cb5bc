// Two operators with different roles through the browser host (issue 14, docs/operators.md): each signs in with their
// own passphrase; the window hides from a viewer the navigation entries and actions the role does not allow, and the
// main process refuses them anyway (the denied call is audited under the viewer's name).
import { expect, test } from './support/consoleFixture.ts';
import { completeFirstRun, createKey, expectDashboardAfterUnlock, goToKeys, keyRow, openConsole, OPERATOR, unlock } from './support/ui.ts';

const VIEWER = 'Vic Viewer';
const VIEWER_PASS = 'the viewer has a passphrase';

test('an admin and a viewer: each signs in with their own passphrase; the viewer sees no Station, Providers or New key', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'seen-by-all', type: 'communication' });
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Station', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Compliance reports', exact: true })).toBeVisible();
  await expect(page.getByText(`Operator: ${OPERATOR} (Admin)`)).toBeVisible();
  // The admin adds the viewer (no Operators screen yet: through the console the window talks to).
  await harness.current().fleet.handlers['operators:add']({ name: VIEWER, role: 'viewer', passphrase: VIEWER_PASS }, { transport: 'test' });

  await page.getByRole('button', { name: 'Lock' }).click();
  // The admin's passphrase does not open the viewer's slot.
  await unlock(page, 'correct horse battery staple', VIEWER);
  await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'wrong_passphrase');
  await unlock(page, VIEWER_PASS, VIEWER);
  await expectDashboardAfterUnlock(page);
  await expect(page.getByText(`Operator: ${VIEWER} (Viewer)`)).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Keys', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Station', exact: true })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Providers', exact: true })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Compliance reports', exact: true })).toHaveCount(0);
  await goToKeys(page);
  await expect(keyRow(page, 'seen-by-all')).toBeVisible();
  await expect(page.getByRole('button', { name: 'New key…' })).toHaveCount(0);

  // The window hides it; the main process refuses it: a viewer's key creation is forbidden and audited.
  const fleet = harness.current().fleet;
  await expect(fleet.handlers['keys:create']({ type: 'storage', label: 'sneaky' }, { transport: 'test' })).rejects.toMatchObject({ code: 'forbidden' });
  expect(fleet.audit.query({ action: 'access.denied', limit: 5 }).records[0]).toMatchObject({ actor: VIEWER, targetId: 'keys:create' });
});
