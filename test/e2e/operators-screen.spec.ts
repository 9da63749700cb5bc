// The Operators screen through the browser host (issue 14, docs/operators.md, docs/two-person-control.md): an admin
// adds a viewer and a key custodian and changes a role; a demotion, making an admin, or removing an operator, when
// another operator could approve shows the approval request the main process made; the idle lock's time and an approval policy are saved and read
// back; lowering that policy becomes a request too. A viewer has no Operators entry, a typed #/operators says why,
// and the main process's router refuses the viewer's operators:add sent over the window's own socket.
import type { Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious } from './support/axe.ts';
import { sidewaysOverflow } from './support/overflow.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE, unlock } from './support/ui.ts';

const t = { transport: 'test' as const };
const pass = (name: string) => `${name} has a long passphrase`;
const VIEWER = 'Vic Viewer';
const CUSTODIAN = 'Cora Custodian';

const operatorsTable = (page: Page) => page.getByRole('table', { name: 'Operators' });
const row = (page: Page, name: string) => operatorsTable(page).getByRole('row').filter({ hasText: name });

async function addOperator(page: Page, name: string, role: string, check = false): Promise<void> {
  await page.getByRole('button', { name: 'Add operator…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add operator' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByRole('radio', { name: role }).check();
  await dialog.getByLabel('First passphrase', { exact: true }).fill(pass(name));
  await dialog.getByLabel('First passphrase again').fill(pass(name));
  if (check) expect(await axeSerious(page, '[role="dialog"]')).toEqual([]);
  await dialog.getByRole('button', { name: 'Add operator' }).click();
}

/** How far the page and the Operators table's own scroller are wider than the window gives them (0: no sideways scroll). */
const overflow = (page: Page) => sidewaysOverflow(page, operatorsTable(page));

async function select(page: Page, name: string): Promise<void> {
  await operatorsTable(page).getByRole('radio', { name: `Select ${name}` }).check();
}

test('an admin adds and changes operators; making an admin or removing one asks for approval; idle lock and a policy read back', async ({ page, harness }) => {
  // A hang guard: with the demotion's approval (two sign-ins and a return to the screen) the journey took 1.9 to 2.0
  // minutes on a loaded 2-core machine, at the default 2-minute limit.
  test.setTimeout(240_000);
  const fleet = harness.current().fleet;
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await clickNav(page, 'Operators');
  await expect(page.getByRole('heading', { name: 'Operators', level: 1 })).toBeVisible();
  await expect(row(page, 'Ada Officer')).toContainText('Admin');
  expect(await axeSerious(page)).toEqual([]);

  // Refused in the form before any round trip: a short passphrase and a different confirmation, each beside its field.
  await page.getByRole('button', { name: 'Add operator…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add operator' });
  await dialog.getByLabel('Name', { exact: true }).fill(VIEWER);
  await dialog.getByLabel('First passphrase', { exact: true }).fill('short');
  await dialog.getByLabel('First passphrase again').fill('other');
  await dialog.getByRole('button', { name: 'Add operator' }).click();
  // In the one wording of every form: the rule under the field's label (after the error icon's label).
  await expect(dialog.getByLabel('First passphrase', { exact: true })).toHaveAccessibleDescription(/^Error Must be at least 12 characters\./);
  await expect(dialog.getByLabel('First passphrase again')).toHaveAccessibleDescription(/^Error Does not match the passphrase\./);
  expect(await axeSerious(page, '[role="dialog"]')).toEqual([]);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await addOperator(page, VIEWER, 'Viewer', true);
  await expect(row(page, VIEWER)).toContainText('Viewer');
  await addOperator(page, CUSTODIAN, 'Key custodian');
  await expect(row(page, CUSTODIAN)).toContainText('Key custodian');
  // The table fits the window at 1280 and 1440 px with the side navigation open: no sideways scrolling, every column
  // (the last, Sign-in, included) inside the window (issue 12; at 1280 px its last column used to be cut).
  for (const width of [1280, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators', exact: true })).toBeVisible();
    expect(await overflow(page), `at ${width} px`).toEqual({ page: 0, table: 0 });
    const last = (await operatorsTable(page).getByRole('columnheader', { name: 'Sign-in', exact: true }).boundingBox())!;
    expect(last.x + last.width, `Sign-in column inside the window at ${width} px`).toBeLessThanOrEqual(width);
  }
  // The passphrases were sent, not kept: each operator signs in with their own (checked through the console).
  expect((await fleet.handlers['operators:list']({}, t)).operators.map((o) => [o.name, o.role])).toEqual(
    expect.arrayContaining([[VIEWER, 'viewer'], [CUSTODIAN, 'key_custodian']]),
  );

  // Change a role. Cora would stop approving key destruction (a custodian's): a demotion (operator.demote), and she is
  // the only other approver, so the request is hers to consent to; the dialog shows it. She approves, Ada executes.
  await select(page, CUSTODIAN);
  await page.getByRole('button', { name: 'Change role…' }).click();
  const roleDialog = page.getByRole('dialog', { name: `Change the role of “${CUSTODIAN}”` });
  await roleDialog.getByRole('radio', { name: 'Security officer' }).check();
  expect(await axeSerious(page, '[role="dialog"]')).toEqual([]);
  await roleDialog.getByRole('button', { name: `Make ${CUSTODIAN} Security officer` }).click();
  const demotion = roleDialog.getByTestId('approval-requested');
  await expect(demotion).toContainText('Approval requested');
  const demotions = (await fleet.handlers['approvals:list']({ open: true }, t)).requests;
  expect(demotions.map((r) => [r.action, r.summary.name, r.summary.role])).toEqual([['operator.demote', CUSTODIAN, 'security_officer']]);
  await expect(demotion).toContainText(demotions[0]!.id);
  await roleDialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(row(page, CUSTODIAN)).toContainText('Key custodian');
  await fleet.handlers['session:lock']({}, t);
  await fleet.handlers['session:unlock']({ operator: CUSTODIAN, passphrase: pass(CUSTODIAN) }, t);
  await fleet.handlers['approvals:approve']({ requestId: demotions[0]!.id }, t);
  await fleet.handlers['session:lock']({}, t);
  await fleet.handlers['session:unlock']({ operator: OPERATOR, passphrase: PASSPHRASE }, t);
  await fleet.handlers['approvals:execute']({ requestId: demotions[0]!.id }, t);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Operators');
  await expect(row(page, CUSTODIAN)).toContainText('Security officer');

  // A second admin while Ada is the only admin: Cora (an officer) could approve, so adding Bob is a request
  // (operator.approver) the dialog shows; Cora approves it and Ada executes it (through the main process).
  await addOperator(page, 'Bob Admin', 'Admin');
  const addDialog = page.getByRole('dialog', { name: 'Add operator' });
  await expect(addDialog.getByTestId('approval-requested')).toContainText('Approval requested');
  const bob = (await fleet.handlers['approvals:list']({ open: true }, t)).requests;
  expect(bob.map((r) => [r.action, r.summary.name, r.summary.role])).toEqual([['operator.approver', 'Bob Admin', 'admin']]);
  await addDialog.getByRole('button', { name: 'Close', exact: true }).click();
  await fleet.handlers['session:lock']({}, t);
  await fleet.handlers['session:unlock']({ operator: CUSTODIAN, passphrase: pass(CUSTODIAN) }, t);
  await fleet.handlers['approvals:approve']({ requestId: bob[0]!.id }, t);
  await fleet.handlers['session:lock']({}, t);
  await fleet.handlers['session:unlock']({ operator: OPERATOR, passphrase: PASSPHRASE }, t);
  await fleet.handlers['approvals:execute']({ requestId: bob[0]!.id }, t);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Operators');
  await expect(row(page, 'Bob Admin')).toContainText('Admin');
  // A third: Bob could approve, so the main process makes a request and the dialog shows it.
  await select(page, CUSTODIAN);
  await page.getByRole('button', { name: 'Change role…' }).click();
  await roleDialog.getByRole('radio', { name: 'Admin' }).check();
  await roleDialog.getByRole('button', { name: `Make ${CUSTODIAN} Admin` }).click();
  const requested = roleDialog.getByTestId('approval-requested');
  await expect(requested).toContainText('Approval requested');
  const open = (await fleet.handlers['approvals:list']({ open: true }, t)).requests;
  expect(open.map((r) => [r.action, r.summary.name, r.summary.role])).toEqual([['operator.admin', CUSTODIAN, 'admin']]);
  await expect(requested).toContainText(open[0]!.id);
  expect(await axeSerious(page, '[role="dialog"]')).toEqual([]);
  await roleDialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(row(page, CUSTODIAN)).toContainText('Security officer');

  // Remove: the dialog names the operator. Cora approves things (a security officer) and Bob could approve her removal,
  // so the main process makes an operator.remove request and the dialog shows it; Cora stays.
  await select(page, CUSTODIAN);
  await page.getByRole('button', { name: 'Remove…' }).click();
  const removeDialog = page.getByRole('dialog', { name: `Remove operator “${CUSTODIAN}”` });
  await expect(removeDialog).toContainText(`${CUSTODIAN} (Security officer) will no longer be able to sign in`);
  expect(await axeSerious(page, '[role="dialog"]')).toEqual([]);
  await removeDialog.getByRole('button', { name: `Remove ${CUSTODIAN}` }).click();
  const removal = removeDialog.getByTestId('approval-requested');
  await expect(removal).toContainText('Approval requested');
  const removals = (await fleet.handlers['approvals:list']({ open: true }, t)).requests.filter((r) => r.action === 'operator.remove');
  expect(removals.map((r) => r.summary.name)).toEqual([CUSTODIAN]);
  await expect(removal).toContainText(removals[0]!.id);
  await removeDialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(row(page, CUSTODIAN)).toContainText('Security officer');
  expect((await fleet.handlers['operators:list']({}, t)).operators.map((o) => o.name)).toContain(CUSTODIAN);

  // Idle lock: out of bounds refused beside the field; 25 saved and read back.
  const idle = page.getByRole('form', { name: 'Idle lock' });
  await expect(idle.getByLabel('Lock after (minutes)')).toHaveValue('10');
  await idle.getByLabel('Lock after (minutes)').fill('0');
  await idle.getByRole('button', { name: 'Save idle lock' }).click();
  await expect(idle.getByText('A whole number of minutes from 1 to 240.').first()).toBeVisible();
  await expect(idle.getByLabel('Lock after (minutes)')).toHaveAttribute('aria-invalid', 'true');
  await idle.getByLabel('Lock after (minutes)').fill('25');
  await idle.getByRole('button', { name: 'Save idle lock' }).click();
  await expect(idle.getByText('The session now locks after 25 minutes without activity.')).toBeVisible();
  expect(await fleet.handlers['session:idleLock']({}, t)).toEqual({ minutes: 25 });

  // A policy raised (2 approvals to destroy a key) applies at once and reads back.
  const policies = page.getByRole('table', { name: 'Approval policies' });
  const destroyRow = policies.getByRole('row').filter({ hasText: 'Destroy a key' });
  await expect(destroyRow).toContainText('Key custodian, Admin');
  await policies.getByRole('radio', { name: 'Destroy a key' }).check();
  await page.getByRole('button', { name: 'Edit policy…' }).click();
  const policyDialog = page.getByRole('dialog', { name: 'Approval policy: Destroy a key' });
  await policyDialog.getByLabel('Approvals needed').fill('2');
  expect(await axeSerious(page, '[role="dialog"]')).toEqual([]);
  await policyDialog.getByRole('button', { name: 'Save policy' }).click();
  await expect(policyDialog).toHaveCount(0);
  await expect(destroyRow.getByRole('cell').nth(2)).toHaveText('2');
  await expect(destroyRow).toContainText('by Ada Officer');
  const stored = (await fleet.handlers['approvals:policies']({}, t)).policies.find((p) => p.action === 'key.destroy');
  expect(stored).toMatchObject({ approvals: 2, roles: ['key_custodian', 'admin'], updatedBy: 'Ada Officer' });

  // Lowering it back is itself guarded: a request, and the policy unchanged.
  await page.getByRole('button', { name: 'Edit policy…' }).click();
  await policyDialog.getByLabel('Approvals needed').fill('1');
  await policyDialog.getByRole('button', { name: 'Save policy' }).click();
  await expect(policyDialog.getByTestId('approval-requested')).toContainText('Lowering this approval policy');
  await policyDialog.getByRole('button', { name: 'Close', exact: true }).click();
  expect((await fleet.handlers['approvals:policies']({}, t)).policies.find((p) => p.action === 'key.destroy')?.approvals).toBe(2);
  await expect(destroyRow.getByRole('cell').nth(2)).toHaveText('2');

  // After navigating away and back, the screen reads the saved values.
  await clickNav(page, 'Dashboard');
  await clickNav(page, 'Operators');
  await expect(page.getByRole('form', { name: 'Idle lock' }).getByLabel('Lock after (minutes)')).toHaveValue('25');
});

test('a viewer has no Operators entry, a typed #/operators says why, and the router refuses their calls', async ({ page, harness }) => {
  const fleet = harness.current().fleet;
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await fleet.handlers['operators:add']({ name: VIEWER, role: 'viewer', passphrase: pass(VIEWER) }, t);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, pass(VIEWER), VIEWER);
  await expectDashboardAfterUnlock(page);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators', exact: true })).toHaveCount(0);

  await page.evaluate("location.hash = '#/operators'");
  await expect(page.getByRole('heading', { name: 'Operators', level: 1 })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('Only an admin manages operators');
  await expect(page.getByRole('button', { name: 'Add operator…' })).toHaveCount(0);
  expect(await axeSerious(page)).toEqual([]);

  // Over the window's own WebSocket, through the browser host's router: forbidden, and audited under the viewer.
  const input = { name: 'Sneaky Admin', role: 'admin', passphrase: 'a passphrase long enough' };
  const envelope: unknown = await page.evaluate(`new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://' + location.host + '/ws');
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, channel: 'operators:add', input: ${JSON.stringify(input)} }));
    ws.onmessage = (e) => {
      const m = typeof e.data === 'string' ? JSON.parse(e.data) : {};
      if (m.id === 1) { ws.close(); resolve(m.envelope); }
    };
    ws.onerror = () => reject(new Error('socket failed'));
  })`);
  expect(envelope).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect((await fleet.handlers['operators:list']({}, t)).operators.map((o) => o.name)).not.toContain('Sneaky Admin');
  expect(fleet.audit.query({ action: 'access.denied', limit: 5 }).records[0]).toMatchObject({ actor: VIEWER, targetId: 'operators:add' });
});
