// The field link from the Station screen (docs/field-link.md): a port out of range is refused on its field; the link
// starts on 127.0.0.1 with a server certificate from the fleet CA (its serial shown is the one the channel reports),
// a client without a certificate is refused and audited, the panel passes axe, and the link stops. The "start at unlock"
// setting: off at first, a port out of range refused beside its field, turned on with an address (stored and audited),
// still on after a reload, turned off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { expect, test } from './support/consoleFixture.ts';
import { axeSerious } from './support/axe.ts';
import { CTX, goToStation, prepareStation } from './support/stationUi.ts';

/** One connection without a client certificate: the console's status line. */
function pollWithoutCertificate(port: number, caPem: string): Promise<{ result: string; code?: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: caPem, minVersion: 'TLSv1.3' });
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        s.end();
        resolve(JSON.parse(text.slice(0, nl)) as { result: string; code?: string });
      }
    });
    s.on('error', reject);
  });
}

test('the field link starts and stops from the Station screen, refusing a client without a certificate', async ({ page, harness }) => {
  const work = mkdtempSync(join(tmpdir(), 'ecps-e2e-field-'));
  try {
    const h = harness.current().fleet.handlers;
    await prepareStation(page, harness.current().host.url, h, work, []);
    await goToStation(page);
    const form = page.getByRole('form', { name: 'Start the field link' });
    await form.getByLabel('Listen address').fill('127.0.0.1');
    await form.getByLabel('Port').fill('70000');
    await form.getByRole('button', { name: 'Start field link' }).click();
    // The refusal sits under its field as the contract's rule in words (docs/ui-design-system.md, errors).
    await expect(form.getByText('Must be at most 65535.')).toBeVisible();

    await form.getByLabel('Port').fill('0');
    await form.getByRole('button', { name: 'Start field link' }).click();
    const listening = page.getByTestId('field-listening');
    await expect(listening).toHaveText(/^Listening on 127\.0\.0\.1:\d+$/);
    const status = await h['field:status']({}, CTX);
    expect(status).toMatchObject({ running: true, host: '127.0.0.1' });
    await expect(page.getByText(`Server certificate ${status.certificate!.serial}`)).toBeVisible();
    expect(await axeSerious(page), 'station screen with the field link running').toEqual([]);

    const caPem = (await h['ca:status']({}, CTX)).certificatePem!;
    expect(await pollWithoutCertificate(status.port!, caPem)).toMatchObject({ result: 'refused', code: 'no_certificate' });
    const refused = await h['audit:query']({ action: 'field.refuse', offset: 0, limit: 10 }, CTX);
    expect(refused.records.map((r) => r.details.code)).toEqual(['no_certificate']);

    await page.getByRole('button', { name: 'Stop field link' }).click();
    await expect(page.getByRole('form', { name: 'Start the field link' })).toBeVisible();
    expect((await h['field:status']({}, CTX)).running).toBe(false);

    // Start at unlock: off on 0.0.0.0:8443 until an officer sets it (docs/field-link.md "Starting at unlock").
    const autostart = page.getByTestId('field-autostart');
    await expect(autostart).toHaveText('Does not start when the console unlocks');
    const atUnlock = page.getByRole('form', { name: 'Start at unlock' });
    await expect(atUnlock.getByLabel('Address at unlock')).toHaveValue('0.0.0.0');
    await atUnlock.getByLabel('Address at unlock').fill('127.0.0.1');
    await atUnlock.getByLabel('Port at unlock').fill('0');
    await atUnlock.getByRole('button', { name: 'Turn on start at unlock' }).click();
    await expect(atUnlock.getByLabel('Port at unlock')).toHaveAccessibleDescription(/Must be at least 1\./);
    expect((await h['field:autostart']({}, CTX)).enabled).toBe(false);

    await atUnlock.getByLabel('Port at unlock').fill('9443');
    await atUnlock.getByRole('button', { name: 'Turn on start at unlock' }).click();
    await expect(autostart).toHaveText('Starts when the console unlocks, on 127.0.0.1:9443');
    expect(await h['field:autostart']({}, CTX)).toEqual({ enabled: true, host: '127.0.0.1', port: 9443 });
    const stored = await h['audit:query']({ action: 'settings.field_link', offset: 0, limit: 10 }, CTX);
    expect(stored.records.map((r) => r.details)).toMatchObject([{ enabled: true, host: '127.0.0.1', port: 9443, wasEnabled: false }]);

    // Read back after a reload: the setting lives in the store, not in the window.
    await page.reload();
    await goToStation(page);
    await expect(autostart).toHaveText('Starts when the console unlocks, on 127.0.0.1:9443');
    await expect(atUnlock.getByLabel('Port at unlock')).toHaveValue('9443');
    await atUnlock.getByRole('button', { name: 'Turn off start at unlock' }).click();
    await expect(autostart).toHaveText('Does not start when the console unlocks');
    expect(await h['field:autostart']({}, CTX)).toEqual({ enabled: false, host: '127.0.0.1', port: 9443 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
