// The browser host as the renderer meets it: the token gate, and a dropped connection said plainly.
import { expect, test } from './support/consoleFixture.ts';
import { completeFirstRun, openConsole } from './support/ui.ts';

test('a wrong or missing access token is refused and no console is served', async ({ page, harness }) => {
  const { origin } = harness.current().host;
  const wrong = await page.goto(`${origin}/?token=not-the-token`);
  expect(wrong?.status()).toBe(401);
  await expect(page.locator('body')).toHaveText('ECPS console: missing or wrong access token');

  const missing = await page.goto(`${origin}/`);
  expect(missing?.status()).toBe(401);
  await expect(page.getByRole('heading', { name: 'Create the key store' })).toHaveCount(0);
});

test('the right token opens the console and the token leaves the address bar', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await expect(page.getByRole('heading', { name: 'Create the key store' })).toBeVisible();
  expect(new URL(page.url()).search).toBe('');
});

test('losing the connection to the console is shown plainly', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await harness.stop();
  await expect(page.getByRole('alert').filter({ hasText: 'Connection lost to the console' })).toBeVisible();
});
