// Can the design system live under the console's CSP (style-src 'self', script-src 'self', no eval)? The probe
// (renderer/probe/) renders AppLayout, SideNavigation, BreadcrumbGroup, Table with PropertyFilter and collection
// hooks, Modal, Flashbar, PieChart, BarChart and StatusIndicator; it is built here with Vite into a temp folder and
// served by the real browser host, which sends the console's own CSP header. Any violation fails the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { createConsole, type FleetConsole } from '../../electron/app.ts';
import { startBrowserHost, type BrowserHost } from '../../electron/host/browserHost.ts';
import { browserHostCsp } from '../../electron/security/csp.ts';
import { watchCsp } from './support/cspWatch.ts';
import { cspFontsPlugin } from '../../build/cspFontsPlugin.ts';

const PROBE_ROOT = resolve(import.meta.dirname, '..', '..', 'renderer', 'probe');

let outDir = '';
let dataDir = '';
let fleet: FleetConsole | undefined;
let host: BrowserHost | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  outDir = mkdtempSync(join(tmpdir(), 'ecps-probe-build-'));
  dataDir = mkdtempSync(join(tmpdir(), 'ecps-probe-data-'));
  await build({
    configFile: false,
    root: PROBE_ROOT,
    base: './',
    logLevel: 'warn',
    // The console's own build settings (vite.config.ts): fonts out of data: URIs, no asset inlined.
    plugins: [react(), ...(process.env.PROBE_RAW_FONTS ? [] : [cspFontsPlugin()])],
    build: { outDir, emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 4096, assetsInlineLimit: process.env.PROBE_RAW_FONTS ? 4096 : 0 },
  });
  fleet = await createConsole({ dataDir, kdf: { N: 1024, r: 8, p: 1 } });
  host = await startBrowserHost({ console: fleet, port: 0, rendererDir: outDir });
});

test.afterAll(async () => {
  await host?.close();
  fleet?.close();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

test('Cloudscape renders its shell, table, filter, modal, flashbar and charts with no CSP violation', async ({ page }) => {
  const csp = await watchCsp(page);
  const failed: string[] = [];
  const fonts: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    else if (r.url().endsWith('.woff2')) fonts.push(r.headers()['content-type'] ?? '');
  });
  const response = await page.goto(host!.url);
  // The page really is under the console's policy (the one the host sends for every page).
  expect(response?.headers()['content-security-policy']).toBe(browserHostCsp(host!.port));

  await expect(page.getByText('ready', { exact: true })).toBeVisible();
  const dialog = page.getByRole('dialog', { name: 'Probe dialog' });
  await expect(dialog).toBeVisible();
  await expect(page.getByText('Flashbar rendered')).toBeVisible();
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Robots' })).toBeVisible();
  // The charts draw SVG with their own positioning (React style props, i.e. CSSOM, which the CSP allows).
  await expect(page.locator('svg[aria-label="Robots by status"], [aria-label="Robots by status"] svg').first()).toBeVisible();
  await expect(page.locator('[aria-label="Keys by state"] svg, svg[aria-label="Keys by state"]').first()).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(dialog).toBeHidden();

  // Exercise the property filter (its dropdown is a portal with its own positioning) and table sorting.
  const filter = page.getByPlaceholder('Find robots');
  await filter.click();
  await filter.fill('Site = Lyon');
  await filter.press('Enter');
  await expect(page.getByRole('table', { name: 'Robots' }).getByRole('row')).toHaveCount(21); // header + 20 Lyon robots
  await page.getByRole('table', { name: 'Robots' }).getByRole('columnheader', { name: /Robot/ }).click();

  // Hovering a chart segment opens its popover (positioned at run time).
  await page.locator('[aria-label="Robots by status"]').first().hover();

  expect(await csp.violations()).toEqual([]);
  // The extracted fonts (and everything else) were served, not 404.
  expect(failed).toEqual([]);
  // Open Sans loads from 'self' as files with the font content type.
  expect(fonts.length).toBeGreaterThan(0);
  expect(new Set(fonts)).toEqual(new Set(['font/woff2']));
});

test('the CSP watch does see a violation (the check can fail)', async ({ page }) => {
  const csp = await watchCsp(page);
  await page.goto(host!.url);
  await expect(page.getByText('ready', { exact: true })).toBeVisible();
  // An inline <style> element is exactly what style-src 'self' refuses.
  await page.evaluate(`{
    const style = document.createElement('style');
    style.textContent = 'body { outline: 1px solid red; }';
    document.head.append(style);
  }`);
  await expect.poll(async () => (await csp.violations()).length).toBeGreaterThan(0);
  expect((await csp.violations()).join('\n')).toContain('style-src');
});
