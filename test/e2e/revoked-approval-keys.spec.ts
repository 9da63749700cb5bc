// The revoked approval keys on the Approvals screen (docs/two-person-control.md "Revoking an approval key"), through
// the browser host, seen by a viewer: the admin enrols a key, replaces it (the first is revoked, `replaced`), then
// removes the second with a reason. The table lists both, newest revocation first: operator, fingerprint, by whom,
// reason (the admin's words, or "Replaced by a new key"). Expected values come from the steps, not the service.
import crypto from 'node:crypto';
import { addOperators } from '../integration/support/consoleCalls.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE, unlock } from './support/ui.ts';

const VIEWER = { name: 'Vera', role: 'viewer' as const, passphrase: 'Vera has a long passphrase' };
const fingerprintOf = (publicPem: string) => crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');

test('a viewer sees the revoked approval keys on the Approvals screen, newest first, with who and why', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  const t = { transport: 'test' as const };
  await addOperators(fleet, { name: OPERATOR, passphrase: PASSPHRASE }, [VIEWER]);
  const first = generateApprovalKey('approval key passphrase');
  const second = generateApprovalKey('approval key passphrase');
  await fleet.handlers['approvals:enrolKey']({ publicKeyPem: first.publicPem }, t);
  await fleet.handlers['approvals:enrolKey']({ publicKeyPem: second.publicPem }, t);
  await fleet.handlers['approvals:revokeKey']({ operator: OPERATOR, reason: 'laptop stolen' }, t);

  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, VIEWER.passphrase, VIEWER.name);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Approvals');
  await expect(page.getByRole('heading', { name: 'Revoked approval keys', level: 2 })).toBeVisible();
  const table = page.getByRole('table', { name: 'Revoked approval keys' });
  const rows = table.getByRole('row').filter({ has: page.getByRole('cell') });
  const expected = [
    { fingerprint: fingerprintOf(second.publicPem), by: OPERATOR, reason: 'laptop stolen' },
    { fingerprint: fingerprintOf(first.publicPem), by: OPERATOR, reason: 'Replaced by a new key' },
  ];
  await expect(rows).toHaveCount(expected.length);
  for (const [i, row] of expected.entries()) {
    const cells = rows.nth(i).getByRole('cell');
    await expect(cells.nth(0)).toHaveText(OPERATOR);
    await expect(cells.nth(1)).toHaveText(row.fingerprint);
    await expect(cells.nth(3)).toHaveText(row.by);
    await expect(cells.nth(4)).toHaveText(row.reason);
  }
});
