// Every fleet CA on the Certificates screen (docs/fleet-ca.md, "On the Certificates screen"), on a console with one
// operator (guarded actions run at once, waived): after a replacement the list shows the current and the retired CA
// with their dates and counts; picking the retired one shows its certificates; the Fleet table's Certificate column
// flags the robot still holding only the retired CA's certificate and not the one re-issued; the Emergency screen's
// revoke_ca offers the retired CA and its preview names it; the retired CA is revoked from the list and shows as
// compromised with every certificate of it revoked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallContext } from '../../shared/contract.ts';
import { robotCsr } from '../integration/fleetca-kit.ts';
import { expect, test } from './support/consoleFixture.ts';
import { fleetFilter, pickOption } from './support/fleetUi.ts';
import { clickNav, completeFirstRun, openConsole } from './support/ui.ts';

const CTX: CallContext = { transport: 'test' };
/** uv-ca1 gets a certificate from both CAs; uv-ca2 only from the first: only uv-ca2 needs a new certificate. */
const ROBOTS = ['uv-ca1', 'uv-ca2'];

test('the fleet CAs listed, a retired CA picked, its robots flagged on the Fleet screen, then revoked', async ({ page, harness }) => {
  test.setTimeout(120_000);
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-ca-list-'));
  try {
    await openConsole(page, harness.current().host.url);
    await completeFirstRun(page);
    const c = harness.current().fleet;
    const h = c.handlers;
    await h['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Old E2E CA' }, CTX);
    const certify = async (deviceId: string) => {
      const ca = await c.ca.require();
      const cert = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', `${deviceId}-${ca.id.slice(0, 8)}`), { deviceId });
      c.fleet.attachCertificate(deviceId, { serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
      return cert.serial;
    };
    const old: string[] = [];
    for (const deviceId of ROBOTS) {
      c.fleet.create({ deviceId, name: `Robot ${deviceId}`, site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [], status: 'deployed' });
      old.push(await certify(deviceId));
    }
    const replaced = await h['ca:replace']({ algorithm: 'EC_P256', commonName: 'New E2E CA', reason: 'planned replacement' }, CTX);
    const retiredId = replaced.previous.id;
    await certify('uv-ca1');

    await clickNav(page, 'Certificates');
    const list = page.getByRole('table', { name: 'Fleet CAs' });
    await expect(list.getByRole('row')).toHaveCount(3); // the header and two CAs
    await expect(list.getByRole('row', { name: /New E2E CA/ })).toContainText('current');
    const retiredRow = list.getByRole('row', { name: /Old E2E CA/ });
    await expect(retiredRow).toContainText('retired');
    await expect(retiredRow).toContainText('planned replacement');
    await expect(page.getByTestId(`ca-counts-${retiredId}`)).toHaveText('2 (2 valid, 0 revoked, 0 expired)');
    await expect(page.getByTestId(`ca-counts-${replaced.current.id}`)).toHaveText('1 (1 valid, 0 revoked, 0 expired)');

    // Picking the retired CA shows what it issued.
    await retiredRow.getByRole('radio').check();
    const inventory = page.getByRole('table', { name: 'Certificate inventory' });
    for (const serial of old) await expect(inventory.locator(`[data-serial="${serial}"]`)).toBeVisible();
    await expect(inventory.getByRole('row')).toHaveCount(3);
    // Find narrows the inventory (issue 12: search on every list): one serial typed, its row alone; cleared, both.
    const find = page.getByLabel('Find certificates');
    await find.fill(old[1]!);
    await expect(inventory.getByRole('row')).toHaveCount(2);
    await expect(inventory.locator(`[data-serial="${old[1]}"]`)).toBeVisible();
    await find.fill('');
    await expect(inventory.getByRole('row')).toHaveCount(3);
    // Sort: by serial, ascending after a click on its header, descending after a second.
    const serials = () => inventory.locator('[data-serial]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-serial')));
    const ascending = [...old].sort();
    await inventory.getByRole('columnheader', { name: /^Serial/ }).click();
    await expect.poll(serials).toEqual(ascending);
    await inventory.getByRole('columnheader', { name: /^Serial/ }).click();
    await expect.poll(serials).toEqual([...ascending].reverse());

    // The Fleet table: uv-ca2 needs a certificate from the current CA; uv-ca1 got one.
    await clickNav(page, 'Fleet');
    await expect(page.getByRole('row', { name: /Tick uv-ca2/ })).toContainText('Needs a new certificate (CA replaced)');
    await expect(page.getByRole('row', { name: /Tick uv-ca1/ })).not.toContainText('Needs a new certificate');
    // Its Certificate filter keeps only the flagged robot (fleet:list {renewal}); none is flagged for a compromise yet.
    await pickOption(page, fleetFilter(page, 'Certificate'), 'Needs a new certificate (CA replaced)');
    await expect(page.getByRole('row', { name: /Tick uv-ca2/ })).toBeVisible();
    await expect(page.getByRole('row', { name: /Tick uv-ca1/ })).toHaveCount(0);
    await pickOption(page, fleetFilter(page, 'Certificate'), 'Needs a new certificate (CA compromised)');
    await expect(page.getByRole('row', { name: /Tick uv-ca/ })).toHaveCount(0);
    await pickOption(page, fleetFilter(page, 'Certificate'), 'Any');
    await expect(page.getByRole('row', { name: /Tick uv-ca1/ })).toBeVisible();

    // The Emergency screen's revoke_ca may pick the retired CA; the preview names it.
    await page.getByRole('link', { name: 'Emergency', exact: true }).click();
    await page.getByRole('checkbox', { name: /Revoke the fleet CA/ }).check();
    await page.getByRole('button', { name: 'Fleet CA to revoke' }).click();
    await page.getByRole('option', { name: /Old E2E CA.*\(retired\)/ }).click();
    await page.getByRole('radio', { name: 'One robot' }).check();
    await page.getByLabel('Device id').fill('uv-ca2');
    await page.getByRole('button', { name: 'Preview blast radius' }).click();
    await expect(page.getByTestId('blast-ca')).toHaveText(/^CN=Old E2E CA, O=ECPS-UV Fleet \(retired, local-kms\): 2 certificate\(s\) not revoked yet, held by 2 robot/);

    // Revoked from the list (one operator: it runs at once).
    await clickNav(page, 'Certificates');
    await list.getByRole('row', { name: /Old E2E CA/ }).getByRole('radio').check();
    await page.getByRole('button', { name: 'Revoke this retired CA…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke a retired fleet CA (compromised)' });
    await dialog.getByLabel('Reason').fill('old CA key leaked');
    await dialog.getByRole('button', { name: 'Request the revocation' }).click();
    await expect(dialog.getByRole('status')).toHaveText('The fleet CA was revoked; 2 robot(s) need a new certificate.');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(list.getByRole('row', { name: /Old E2E CA/ })).toContainText('compromised');
    await expect(page.getByTestId(`ca-counts-${retiredId}`)).toHaveText('2 (0 valid, 2 revoked, 0 expired)');
    // The current CA is untouched.
    await expect(page.getByTestId('ca-subject')).toHaveText('CN=New E2E CA, O=ECPS-UV Fleet');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
