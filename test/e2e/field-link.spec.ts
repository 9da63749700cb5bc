// The field link from the Station screen (docs/field-link.md): a port out of range is refused on its field; the link
// starts on 127.0.0.1 with a server certificate from the fleet CA (its serial shown is the one the channel reports),
// a client without a certificate is refused and audited, the panel passes axe, and the link stops.
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
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
