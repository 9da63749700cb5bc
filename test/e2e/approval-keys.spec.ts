// Approval keys and provider health in the window (docs/two-person-control.md "Who has an approval key", docs/providers.md
// "Health check"), through the browser host. Custodian Kate enrols her own approval public key on the Approvals screen
// (a pasted private key is refused before it is sent and cleared; an RSA key is refused by the main process next to
// the field), sees it listed, and has no "Revoke key…" (the admin's); the admin sees a key enrolled outside the window
// appear by the approvals:changed push, revokes Kate's with a reason in the dialog, and sees it move to the revoked
// table. Then "Check health" on the Providers screen, and its audit record. A second test: operators:list's approval
// key per operator, and an admin revoking a removed operator's leftover key (a store made before removal revoked keys)
// from the Approvals screen, audited with her reason. Expected values come from the tables here.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { createApprovalsRepo } from '../../electron/store/approvalsRepo.ts';
import { join } from 'node:path';
import { STORE_FILE_NAME } from '../../electron/store/database.ts';
import { createServer } from 'node:net';
import { addOperators } from '../integration/support/consoleCalls.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { expect, test } from './support/consoleFixture.ts';
import { clickNav, completeFirstRun, expectDashboardAfterUnlock, openConsole, OPERATOR, PASSPHRASE, unlock } from './support/ui.ts';

const KATE = { name: 'Kate', role: 'key_custodian' as const, passphrase: 'Kate has a long passphrase' };
const REASON = 'laptop left on a train';
const fingerprintOf = (publicPem: string) => crypto.createHash('sha256').update(crypto.createPublicKey(publicPem).export({ format: 'der', type: 'spki' })).digest('hex');
const rsaPublic = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }) as string;
const privatePem = crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

/** What the enrol dialog says under the key field for each refused text (the window's own, then the main process's). */
const REFUSED: Array<{ what: string; pem: string; says: string; cleared: boolean }> = [
  { what: 'a private key', pem: privatePem, says: 'This is a private key: never give it to the console.', cleared: true },
  { what: 'an RSA public key', pem: rsaPublic, says: 'The approval key must be an Ed25519 public key.', cleared: false },
];
/** The health check's rows: id, kind, reachable, latency (a pattern: the closed port's is measured), code. */
const HEALTH_ROWS: Array<[string, string, string, RegExp, string]> = [
  ['local', 'Local encrypted store', 'Reachable', /^0 ms$/, '—'],
  ['vault-down', 'HashiCorp Vault (transit)', 'Unreachable', /^\d+ ms$/, 'unavailable'],
];

/** A port on 127.0.0.1 that nothing listens on (bound, then closed): a provider there is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

test('an operator enrols an approval key, an admin revokes it, and anyone checks provider health', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const fleet = harness.current().fleet;
  const t = { transport: 'test' as const };
  await addOperators(fleet, { name: OPERATOR, passphrase: PASSPHRASE }, [KATE]);
  const kateKey = generateApprovalKey('approval key passphrase');
  const adaKey = generateApprovalKey('approval key passphrase');

  // Kate enrols her own key in the window.
  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page, KATE.passphrase, KATE.name);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Approvals');
  const enrolled = page.getByRole('table', { name: 'Enrolled approval keys' });
  await expect(enrolled.getByText('No approval key is enrolled.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Revoke key…' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Enrol my approval key…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Enrol my approval key' });
  const field = dialog.getByLabel('Public key (PEM)');
  for (const r of REFUSED) {
    await field.fill(r.pem);
    await dialog.getByRole('button', { name: 'Enrol key' }).click();
    await expect(dialog.getByText(r.says), r.what).toBeVisible();
    await expect(field).toHaveValue(r.cleared ? '' : r.pem);
  }
  expect((await fleet.handlers['approvals:listKeys']({}, t)).keys).toEqual([]);
  await field.fill(kateKey.publicPem);
  await dialog.getByRole('button', { name: 'Enrol key' }).click();
  await expect(dialog).toHaveCount(0);
  const rows = enrolled.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(rows).toHaveCount(1);
  await expect(rows.nth(0).getByRole('cell').nth(0)).toHaveText(KATE.name);
  await expect(rows.nth(0).getByRole('cell').nth(1)).toHaveText(fingerprintOf(kateKey.publicPem));
  await expect(page.getByRole('button', { name: 'Replace my approval key…' })).toBeVisible();

  // The admin: a key enrolled outside the window (through the main process, in her session) shows by the push.
  await page.getByRole('button', { name: 'Lock' }).click();
  await unlock(page);
  await expectDashboardAfterUnlock(page);
  await clickNav(page, 'Approvals');
  const adminRows = enrolled.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(adminRows).toHaveCount(1);
  await fleet.handlers['approvals:enrolKey']({ publicKeyPem: adaKey.publicPem }, t);
  await expect(adminRows).toHaveCount(2);
  await expect(adminRows.filter({ hasText: fingerprintOf(adaKey.publicPem) }).getByRole('cell').nth(1)).toHaveText(OPERATOR);

  // She revokes Kate's key with a reason: it leaves the enrolled keys for the revoked ones.
  await adminRows.filter({ hasText: KATE.name }).getByRole('radio').check();
  await page.getByRole('button', { name: 'Revoke key…' }).click();
  const revokeDialog = page.getByRole('dialog', { name: `Revoke the approval key of ${KATE.name}` });
  await expect(revokeDialog.getByRole('button', { name: 'Revoke key' })).toBeDisabled();
  await revokeDialog.getByLabel('Reason (recorded in the audit log)').fill(REASON);
  await revokeDialog.getByRole('button', { name: 'Revoke key' }).click();
  await expect(revokeDialog).toHaveCount(0);
  await expect(adminRows).toHaveCount(1);
  await expect(adminRows.nth(0).getByRole('cell').nth(1)).toHaveText(OPERATOR);
  const revokedRows = page.getByRole('table', { name: 'Revoked approval keys' }).getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(revokedRows).toHaveCount(1);
  const revokedCells = revokedRows.nth(0).getByRole('cell');
  for (const [i, text] of [[0, KATE.name], [1, fingerprintOf(kateKey.publicPem)], [3, OPERATOR], [4, REASON]] as const) await expect(revokedCells.nth(i)).toHaveText(text);

  // Provider health, checked from the Providers screen, and audited once: the built-in store and a Vault nobody runs.
  const port = await closedPort();
  await fleet.handlers['providers:save']({ config: { provider: 'hashicorp_vault', id: 'vault-down', vault_url: `http://127.0.0.1:${port}`, vault_token: 'hvs.not-a-real-token', use_kms_for_storage: false, timeout_ms: 2000, retries: 1 } }, t);
  await clickNav(page, 'Providers');
  await page.getByRole('button', { name: 'Check health' }).click();
  const health = page.getByRole('table', { name: 'Health check' });
  const healthRows = health.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(healthRows).toHaveCount(HEALTH_ROWS.length);
  for (const [i, row] of HEALTH_ROWS.entries()) {
    for (const [j, text] of row.entries()) await expect(healthRows.nth(i).getByRole('cell').nth(j)).toHaveText(text);
  }
  await expect(page.getByText('1 of 2 provider(s) unreachable.', { exact: false })).toBeVisible();
  const checks = fleet.audit.query({ action: 'provider.health', limit: 10 }).records;
  expect(checks.map((r) => [r.actor, r.outcome, r.details])).toEqual([[OPERATOR, 'success', { providers: 'local,vault-down', codes: 'ok,unavailable', unreachable: 1 }]]);
  expect(JSON.stringify(checks)).not.toContain('hvs.not-a-real-token');
});

test('operators:list shows who has an approval key; an admin revokes a removed operator\'s leftover key in the window', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const t = { transport: 'test' as const };
  await addOperators(harness.current().fleet, { name: OPERATOR, passphrase: PASSPHRASE }, [KATE, { name: 'Vic', role: 'viewer', passphrase: 'Vic has a long passphrase' }]);
  // The admin enrols her key (her session); Kate's is written while the console is stopped, with Gus's: a key left by
  // an operator removed before removing one revoked the key (no operator Gus now).
  const adaKey = generateApprovalKey('approval key passphrase');
  await harness.current().fleet.handlers['approvals:enrolKey']({ publicKeyPem: adaKey.publicPem }, t);
  const kateKey = generateApprovalKey('approval key passphrase');
  const gusKey = generateApprovalKey('approval key passphrase');
  await harness.stop();
  const db = new Database(join(harness.dataDir, STORE_FILE_NAME));
  try {
    const repo = createApprovalsRepo(db);
    for (const [operator, key] of [['Kate', kateKey], ['Gus', gusKey]] as const) {
      const spki = crypto.createPublicKey(key.publicPem).export({ format: 'der', type: 'spki' });
      repo.saveApprovalKey({ operator, publicSpki: spki, fingerprint: fingerprintOf(key.publicPem), enrolledAt: new Date().toISOString() });
    }
  } finally {
    db.close();
  }
  const { host, fleet } = await harness.start();
  await openConsole(page, host.url);
  await unlock(page);
  await expectDashboardAfterUnlock(page);

  // Operators (operators:list, what the Operators screen reads): each operator's enrolled key or null; Gus is none.
  const listed = await fleet.handlers['operators:list']({}, t);
  const EXPECTED_KEYS: Record<string, string | null> = { [OPERATOR]: fingerprintOf(adaKey.publicPem), [KATE.name]: fingerprintOf(kateKey.publicPem), Vic: null };
  expect(Object.fromEntries(listed.operators.map((o) => [o.name, o.approvalKey?.fingerprint ?? null]))).toEqual(EXPECTED_KEYS);

  // Approvals: Gus's key is listed as a removed operator's; the admin revokes it with a reason.
  await clickNav(page, 'Approvals');
  const enrolled = page.getByRole('table', { name: 'Enrolled approval keys' });
  const gusRow = enrolled.getByRole('row').filter({ hasText: fingerprintOf(gusKey.publicPem) });
  await expect(gusRow.getByText('Operator removed: counts for no one')).toBeVisible();
  await expect(enrolled.getByRole('row').filter({ hasText: 'Operator removed' })).toHaveCount(1);
  await gusRow.getByRole('radio').check();
  await page.getByRole('button', { name: 'Revoke key…' }).click();
  const revokeDialog = page.getByRole('dialog', { name: 'Revoke the approval key of Gus' });
  await expect(revokeDialog.getByText('Gus was removed: the key counts for no one')).toBeVisible();
  const reason = 'left behind by a removed operator';
  await revokeDialog.getByLabel('Reason (recorded in the audit log)').fill(reason);
  await revokeDialog.getByRole('button', { name: 'Revoke key' }).click();
  await expect(revokeDialog).toHaveCount(0);
  await expect(gusRow).toHaveCount(0);
  const revokedRow = page.getByRole('table', { name: 'Revoked approval keys' }).getByRole('row').filter({ hasText: fingerprintOf(gusKey.publicPem) });
  const cells = revokedRow.getByRole('cell');
  for (const [i, text] of [[0, 'Gus'], [3, OPERATOR], [4, reason]] as const) await expect(cells.nth(i)).toHaveText(text);
  const records = fleet.audit.query({ action: 'approval.revoke_key', limit: 10 }).records;
  expect(records.map((r) => [r.actor, r.targetId, r.outcome, r.details])).toEqual([[OPERATOR, 'Gus', 'success', { fingerprint: fingerprintOf(gusKey.publicPem), reason }]]);
});
