// Two things the Operators screen shows an admin, through the browser host (docs/operators.md, docs/ui.md):
//  - each operator's approval key (operators:list `approvalKey`): its short fingerprint and enrolment time; without
//    one, "Revoked" and the revocation's time when their last key was revoked (`approvalKeyRevoked`: the key, who
//    revoked it and the reason in its popover), else None; following an enrolment (approvals:enrolKey, the Approvals
//    screen's channel) and an admin's revocation (approvals:revokeKey, made by the main process while the screen is
//    open, or from the Approvals screen's dialog) by the approvals:changed push, with the table still fitting 1280
//    and 1440 px (issue 12);
//  - the remove and change-role dialogs naming the incident kits the operator still holds (operators:list `openKits`,
//    docs/incident-kit.md "Roles in the offline console") before the admin confirms, none for an operator without a
//    kit, each dialog trapping focus, closing on Escape and giving focus back to its opener.
// Expected values come from the tables and the keys made here, never from the screen's own code.
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import type { FleetConsole } from '../../electron/app.ts';
import { addOperators } from '../integration/support/consoleCalls.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { codeAt } from '../integration/support/totpCodes.ts';
import { expect, test } from './support/consoleFixture.ts';
import { checkDialogKeyboard } from './support/keyboard.ts';
import { sidewaysOverflow } from './support/overflow.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE } from './support/ui.ts';

const t = { transport: 'test' as const };
const ADMIN = { name: OPERATOR, passphrase: PASSPHRASE };
const CORA = { name: 'Cora Custodian', role: 'key_custodian' as const, passphrase: 'Cora has a long passphrase' };
const VIC = { name: 'Vic Viewer', role: 'viewer' as const, passphrase: 'Vic has a long passphrase' };
const SAM = { name: 'Sam Responder', role: 'security_officer' as const, passphrase: 'Sam has a long passphrase' };

const operatorsTable = (page: Page) => page.getByRole('table', { name: 'Operators' });
/** An operator's row, found by its selection radio (a name also appears in other rows' "added by"). */
const row = (page: Page, name: string) => operatorsTable(page).getByRole('row').filter({ has: page.getByRole('radio', { name: `Select ${name}`, exact: true }) });
const fingerprintOf = (publicPem: string) => crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');

/** Signs `who` in through the main process (the window follows the pushed session change). */
async function signIn(fleet: FleetConsole, who: { name: string; passphrase: string }): Promise<void> {
  await fleet.handlers['session:lock']({}, t);
  await fleet.handlers['session:unlock']({ operator: who.name, passphrase: who.passphrase }, t);
}

type Enrolled = { fingerprint: string; from: number; to: number };
type Revoked = { revoked: { fingerprint: string; from: number; to: number; by: string; reason: string } };
const TIME = '(\\d{4}-\\d\\d-\\d\\d) (\\d\\d:\\d\\d:\\d\\d)';
/** A time the window printed (local 'YYYY-MM-DD HH:MM:SS': the browser and this process share the zone) lies within a call. */
function expectShownWithin(shown: RegExpMatchArray, call: { from: number; to: number }, what: string): void {
  const at = new Date(`${shown[1]}T${shown[2]}`).getTime();
  expect(at, what).toBeGreaterThanOrEqual(Math.floor(call.from / 1000) * 1000);
  expect(at, what).toBeLessThanOrEqual(call.to);
}

/**
 * What the approval-key cell shows (docs/ui.md, Operators): "None"; or the fingerprint's first 16 hex digits with an
 * ellipsis, then "enrolled" and the local time of the enrolment; or "Revoked" and the local time of the revocation,
 * its popover naming the key's short fingerprint, the time and who revoked it, and the reason. Each time is checked to
 * fall within the call that made it.
 */
async function expectKeyCell(page: Page, name: string, key: Enrolled | Revoked | null): Promise<void> {
  const cell = row(page, name).getByTestId('approval-key');
  if (key === null) {
    await expect(cell, `${name}: no approval key`).toHaveText('None');
    await expect(cell).toHaveAttribute('data-state', 'none');
    return;
  }
  if ('revoked' in key) {
    const r = key.revoked;
    await expect(cell, `${name}: revoked, and when`).toHaveText(new RegExp(`^\\s*Revoked\\s*${TIME}$`));
    await expect(cell).toHaveAttribute('data-state', 'revoked');
    expectShownWithin((await cell.textContent())!.match(new RegExp(`${TIME}$`))!, r, `${name}: revoked within the revocation`);
    await cell.getByText('Revoked', { exact: true }).click();
    const popover = page.getByRole('dialog').filter({ hasText: `${name}'s approval key was revoked` });
    await expect(popover).toBeVisible();
    await expect(popover).toContainText(`Key ${r.fingerprint.slice(0, 16)}…`);
    await expect(popover).toContainText(new RegExp(`Revoked ${TIME} by ${r.by}`));
    expectShownWithin((await popover.textContent())!.match(new RegExp(`Revoked ${TIME}`))!, r, `${name}: the popover's time`);
    await expect(popover.getByTestId('approval-key-revoked-reason')).toHaveText(`Reason: ${r.reason}`);
    await page.keyboard.press('Escape');
    await expect(popover).toHaveCount(0);
    return;
  }
  await expect(cell, `${name}: the key's short fingerprint`).toHaveText(new RegExp(`^${key.fingerprint.slice(0, 16)}…\\s*enrolled \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
  await expect(cell).toHaveAttribute('data-state', 'enrolled');
  expectShownWithin((await cell.textContent())!.match(new RegExp(`enrolled ${TIME}$`))!, key, `${name}: enrolled within the enrolment call`);
}

async function expectNoOverflow(page: Page): Promise<void> {
  // No sideways scrolling at 1280 and 1440 px with the navigation open, every column (the approval key's included)
  // inside the window (issue 12).
  for (const width of [1280, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators', exact: true })).toBeVisible();
    expect(await sidewaysOverflow(page, operatorsTable(page)), `at ${width} px`).toEqual({ page: 0, table: 0 });
    const headers = operatorsTable(page).getByRole('columnheader');
    for (const header of await headers.all()) {
      const box = (await header.boundingBox())!;
      expect(box.x + box.width, `column "${await header.textContent()}" inside the window at ${width} px`).toBeLessThanOrEqual(width);
    }
  }
}

test('each operator\'s approval key on the Operators screen follows enrolment and revocation, and the table fits 1280 px', async ({ page, harness }) => {
  const fleet = harness.current().fleet;
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await addOperators(fleet, ADMIN, [CORA, VIC]);
  const coraKey = generateApprovalKey('approval key passphrase');
  const adaKey = generateApprovalKey('approval key passphrase');
  const enrolled: Record<string, { fingerprint: string; from: number; to: number }> = {};
  const enrol = async (name: string, publicPem: string) => {
    const from = Date.now();
    await fleet.handlers['approvals:enrolKey']({ publicKeyPem: publicPem }, t);
    enrolled[name] = { fingerprint: fingerprintOf(publicPem), from, to: Date.now() };
  };

  // Cora enrols her own key (the channel enrols the signed-in operator's); Vic an authenticator app (the widest second
  // factor cell: the factor and its ten recovery codes), then the admin is back.
  await signIn(fleet, CORA);
  await enrol(CORA.name, coraKey.publicPem);
  await signIn(fleet, VIC);
  const { secret } = await fleet.handlers['operators:enrollTotp']({}, t);
  await fleet.handlers['operators:confirmTotp']({ code: codeAt(secret, Date.now()) }, t);
  await signIn(fleet, ADMIN);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Operators');
  await expect(row(page, VIC.name).getByRole('cell').nth(3)).toHaveText(/^Authenticator app\s*10 recovery codes left$/);

  const REASON = 'laptop left on a train';
  let coraRevoked: Revoked | null = null;
  // Each stage: what was done, then each operator's key as the screen must show it (an owner's key enrolled, 'revoked':
  // Cora's revoked key, null: "None").
  const STAGES: Array<[string, () => Promise<void>, Record<string, string | null>]> = [
    ['Cora enrolled', async () => undefined, { [OPERATOR]: null, [CORA.name]: CORA.name, [VIC.name]: null }],
    // Pushed while the screen is open: no navigation, no reload.
    ['the admin enrols her own key', () => enrol(OPERATOR, adaKey.publicPem), { [OPERATOR]: OPERATOR, [CORA.name]: CORA.name, [VIC.name]: null }],
    ['the admin revokes Cora\'s key', async () => {
      const from = Date.now();
      await fleet.handlers['approvals:revokeKey']({ operator: CORA.name, reason: REASON }, t);
      coraRevoked = { revoked: { fingerprint: enrolled[CORA.name]!.fingerprint, from, to: Date.now(), by: OPERATOR, reason: REASON } };
    }, { [OPERATOR]: OPERATOR, [CORA.name]: 'revoked', [VIC.name]: null }],
  ];
  for (const [what, act, expected] of STAGES) {
    await test.step(what, async () => {
      await act();
      for (const [name, owner] of Object.entries(expected)) await expectKeyCell(page, name, owner === null ? null : owner === 'revoked' ? coraRevoked : enrolled[owner]!);
      // The widest the column gets: two keys enrolled, then a revoked one beside an enrolled one.
      if (what !== 'Cora enrolled') await expectNoOverflow(page);
    });
  }
  // The main process agrees (what operators list in the CLI prints): the admin's key, Cora's revoked, Vic none.
  const listed = (await fleet.handlers['operators:list']({}, t)).operators;
  expect(Object.fromEntries(listed.map((o) => [o.name, o.approvalKey?.fingerprint ?? null]))).toEqual({ [OPERATOR]: enrolled[OPERATOR]!.fingerprint, [CORA.name]: null, [VIC.name]: null });
  expect(Object.fromEntries(listed.map((o) => [o.name, o.approvalKeyRevoked?.fingerprint ?? null]))).toEqual({ [OPERATOR]: null, [CORA.name]: enrolled[CORA.name]!.fingerprint, [VIC.name]: null });
});

test('a key revoked from the Approvals screen shows as revoked on the Operators screen, with the reason; a new key replaces it there', async ({ page, harness }) => {
  const fleet = harness.current().fleet;
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await addOperators(fleet, ADMIN, [CORA, VIC]);
  await signIn(fleet, CORA);
  let from = Date.now();
  const coraKey = generateApprovalKey('approval key passphrase');
  await fleet.handlers['approvals:enrolKey']({ publicKeyPem: coraKey.publicPem }, t);
  const coraEnrolled = { fingerprint: fingerprintOf(coraKey.publicPem), from, to: Date.now() };
  await signIn(fleet, ADMIN);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Operators');
  // The list is read (and cached) before the revocation: the screen must read it again afterwards.
  await expectKeyCell(page, CORA.name, coraEnrolled);
  await expectKeyCell(page, VIC.name, null);

  const REASON = 'token reported lost; revoked pending an inquiry';
  await clickNav(page, 'Approvals');
  const enrolledRows = page.getByRole('table', { name: 'Enrolled approval keys' }).getByRole('row').filter({ has: page.getByRole('cell') });
  await enrolledRows.filter({ hasText: CORA.name }).getByRole('radio').check();
  await page.getByRole('button', { name: 'Revoke key…' }).click();
  const dialog = page.getByRole('dialog', { name: `Revoke the approval key of ${CORA.name}` });
  await dialog.getByLabel('Reason (recorded in the audit log)').fill(REASON);
  from = Date.now();
  await dialog.getByRole('button', { name: 'Revoke key' }).click();
  await expect(dialog).toHaveCount(0);
  const to = Date.now();
  await expect(enrolledRows.filter({ hasText: CORA.name })).toHaveCount(0);

  await clickNav(page, 'Operators');
  await expectKeyCell(page, CORA.name, { revoked: { fingerprint: coraEnrolled.fingerprint, from, to, by: OPERATOR, reason: REASON } });
  await expectKeyCell(page, VIC.name, null);
  await expectNoOverflow(page);

  // Cora enrols a new key (signed in herself; the window locks and the admin unlocks it again): the new key, no
  // longer "Revoked".
  await signIn(fleet, CORA);
  from = Date.now();
  const second = generateApprovalKey('approval key passphrase');
  await fleet.handlers['approvals:enrolKey']({ publicKeyPem: second.publicPem }, t);
  const secondEnrolled = { fingerprint: fingerprintOf(second.publicPem), from, to: Date.now() };
  await signIn(fleet, ADMIN);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Operators');
  await expectKeyCell(page, CORA.name, secondEnrolled);
});

test('the remove and change-role dialogs name the incident kit an operator holds, none for one without, and trap focus', async ({ page, harness }) => {
  test.setTimeout(180_000);
  const fleet = harness.current().fleet;
  const kitParent = mkdtempSync(join(tmpdir(), 'ecps-e2e-opkit-'));
  try {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    await addOperators(fleet, ADMIN, [SAM, VIC]);
    await fleet.handlers['keys:create']({ type: 'emergency', label: 'fleet emergency', algorithm: 'RSA_2048' }, t);
    await fleet.handlers['fleet:create']({ deviceId: 'uv-001', name: 'uv-001', model: 'UV-7', site: 'Plant 1', firmware: '2.1.0', tags: [], status: 'deployed' }, t);

    // Sam exports a kit for himself (the kit's responder is the signed-in operator): one order valid two hours.
    const VALID_FOR_S = 7200;
    await signIn(fleet, SAM);
    const before = Date.now();
    const kit = await fleet.handlers['kit:export']({
      dir: join(kitParent, 'kit'), passphrase: SAM.passphrase, reason: 'drill',
      orders: [{ name: 'ward one', scope: { deviceIds: ['uv-001'] }, maxUses: 1, validForSeconds: VALID_FOR_S }],
    }, t);
    const after = Date.now();
    await signIn(fleet, ADMIN);
    await expectDashboardAfterUnlock(page);
    await clickNav(page, 'Operators');
    await expect(row(page, SAM.name)).toContainText('Security officer');

    /** The dialog's kit warning: its header names the operator, its one line the kit, its export and its expiry. */
    const expectKitWarning = async (dialog: Locator) => {
      await expect(dialog.getByText(`${SAM.name} holds an incident kit`)).toBeVisible();
      const line = dialog.getByRole('listitem');
      await expect(line).toHaveCount(1);
      // Times as the rest of the screen shows them: local 'YYYY-MM-DD HH:MM:SS' (the browser and this process share
      // the machine's time zone), read back as local time.
      const TIME = '(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)';
      const m = (await line.textContent())!.match(new RegExp(`^Kit (\\S+), exported ${TIME}, orders valid until ${TIME}$`));
      expect(m, `the kit line reads "Kit <id>, exported <time>, orders valid until <time>": ${await line.textContent()}`).not.toBeNull();
      const [, kitId, exportedAt, expiresAt] = m!;
      const localMs = (shown: string) => new Date(shown.replace(' ', 'T')).getTime();
      expect(kitId).toBe(kit.kitId);
      expect(localMs(exportedAt!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(localMs(exportedAt!)).toBeLessThanOrEqual(after);
      // The order's two hours, counted from within the export call (the console reads its clock for the order and
      // for the export time separately).
      expect(localMs(expiresAt!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + VALID_FOR_S * 1000);
      expect(localMs(expiresAt!)).toBeLessThanOrEqual(after + VALID_FOR_S * 1000);
      expect(localMs(expiresAt!)).toBe(Math.floor(Date.parse(kit.expiresAt) / 1000) * 1000);
    };
    const noKitWarning = async (dialog: Locator) => expect(dialog.getByText(/incident kit/)).toHaveCount(0);

    // Sam: removing him names the kit before the admin confirms.
    await operatorsTable(page).getByRole('radio', { name: `Select ${SAM.name}`, exact: true }).check();
    await checkDialogKeyboard(page, page.getByRole('button', { name: 'Remove…' }), `Remove operator “${SAM.name}”`, expectKitWarning);
    // Changing his role: nothing while the role is unchanged or keeps security (Admin); named for one without it (Viewer).
    await checkDialogKeyboard(page, page.getByRole('button', { name: 'Change role…' }), `Change the role of “${SAM.name}”`, async (dialog) => {
      await noKitWarning(dialog);
      await dialog.getByRole('radio', { name: 'Admin' }).check();
      await expect(dialog.getByRole('button', { name: `Make ${SAM.name} Admin` })).toBeVisible();
      await noKitWarning(dialog);
      await dialog.getByRole('radio', { name: 'Viewer' }).check();
      await expectKitWarning(dialog);
    });
    // Nothing was changed: the dialogs were closed with Escape.
    expect((await fleet.handlers['operators:list']({}, t)).operators.find((o) => o.name === SAM.name)).toMatchObject({ role: 'security_officer', openKits: [{ kitId: kit.kitId }] });

    // Vic holds no kit: neither dialog warns.
    await operatorsTable(page).getByRole('radio', { name: `Select ${VIC.name}`, exact: true }).check();
    await checkDialogKeyboard(page, page.getByRole('button', { name: 'Remove…' }), `Remove operator “${VIC.name}”`, async (dialog) => {
      await expect(dialog).toContainText(`${VIC.name} (Viewer) will no longer be able to sign in`);
      await noKitWarning(dialog);
    });
    await checkDialogKeyboard(page, page.getByRole('button', { name: 'Change role…' }), `Change the role of “${VIC.name}”`, async (dialog) => {
      await dialog.getByRole('radio', { name: 'Station operator' }).check();
      await expect(dialog.getByRole('button', { name: `Make ${VIC.name} Station operator` })).toBeVisible();
      await noKitWarning(dialog);
    });
  } finally {
    rmSync(kitParent, { recursive: true, force: true });
  }
});
