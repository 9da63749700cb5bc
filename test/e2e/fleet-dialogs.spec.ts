// The Fleet screen's dialogs and panel as an officer using a keyboard or a screen reader meets them (issue 12):
//  - axe (WCAG 2.x A/AA) finds no serious or critical violation on the fleet screen full of robots, the robot's split
//    panel, and every fleet dialog (Register a robot, Import CSV, Change robot status, Site keys, Issue key bundle);
//  - each dialog traps focus (Tab and Shift+Tab stay inside), closes on Escape and gives focus back to its opener;
//  - Register a robot shows every field error at once, beside its field, in words (no schema path, no channel name);
//  - the Import CSV dialog is usable at 1440 px: labels never overlap their inputs, the CSV box is wide and tall;
//  - filters refuse bad values visibly: a search over 64 characters beside the field, a deep link's unknown status.
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { fleetFilter, goToFleet, openRobotFromGrid, robotRows } from './support/fleetUi.ts';
import { checkDialogKeyboard, focusInside } from './support/keyboard.ts';
import { completeFirstRun, openConsole } from './support/ui.ts';

const SERIOUS = new Set(['serious', 'critical']);

async function axeSerious(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(' ')})`);
}

/**
 * Opens a dialog from `opener` by keyboard (focus on the opener, Enter), then checks: axe on the page with the dialog
 * open; 12 Tabs and 12 Shift+Tabs never leave it (more than any dialog has stops); Escape closes it; focus is back on
 * the opener (support/keyboard.ts checkDialogKeyboard, shared with the Operators screen's dialogs).
 */
async function checkDialog(page: Page, opener: Locator, name: string): Promise<void> {
  await checkDialogKeyboard(page, opener, name, async () => {
    expect(await axeSerious(page), `axe on the "${name}" dialog`).toEqual([]);
  });
}

test('axe, focus trap, Escape and focus return on the fleet screen, its split panel and every fleet dialog', async ({ page, harness }) => {
  test.setTimeout(360_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const { fleet } = harness.current();
  await fleet.keys.create({ type: 'communication', label: 'ward comm' });
  await fleet.keys.create({ type: 'storage', label: 'ward disk' });
  for (let i = 1; i <= 30; i++) {
    fleet.fleet.create({ deviceId: `uv-${String(i).padStart(3, '0')}`, name: `Ward robot ${i}`, model: 'UV-7', site: i % 2 ? 'Plant North' : 'Depot', firmware: '2.0.1', tags: ['ward'], status: i % 3 ? 'deployed' : 'manufactured' });
  }

  await goToFleet(page);
  await expect(page.getByTestId('fleet-count')).toHaveText('30 robots');
  expect(await axeSerious(page), 'axe on the fleet screen with 30 robots').toEqual([]);

  // Bulk selection is counted.
  for (const id of ['uv-001', 'uv-002', 'uv-003']) await page.getByRole('checkbox', { name: `Tick ${id}` }).check();
  await expect(page.getByTestId('fleet-ticked')).toContainText('3 selected');
  await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toContainText('(3/30)');
  await page.getByRole('button', { name: 'Clear selection' }).click();
  await expect(page.getByTestId('fleet-ticked')).toHaveCount(0);

  await checkDialog(page, page.getByRole('button', { name: 'Register robot…' }), 'Register a robot');
  await checkDialog(page, page.getByRole('button', { name: 'Import CSV…' }), 'Import robots from CSV');

  const panel = await openRobotFromGrid(page, 'uv-001');
  // Opening a robot moves focus into its panel.
  await expect.poll(() => focusInside(panel)).toBe(true);
  await expect(panel).toContainText('Ward robot 1');
  expect(await axeSerious(page), 'axe with the robot split panel open').toEqual([]);
  await checkDialog(page, page.getByRole('button', { name: 'Change status…' }), 'Change robot status');
  await checkDialog(page, panel.getByRole('button', { name: 'Site keys for Plant North…' }), 'Site keys: Plant North');
  await checkDialog(page, panel.getByRole('button', { name: 'Issue key bundle…' }), 'Issue key bundle');
});

test('Register a robot: every field error at once, beside its field, in words; then a refusal by the main process beside its field', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await goToFleet(page);
  await page.getByRole('button', { name: 'Register robot…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Register a robot' });
  // Four problems at once: a device id with a space, no name, a model with '!', a bad tag (the rules of
  // shared/fleetContract.ts: device ids are 3-64 of letters, digits . _ -; names are not empty; tags 1-32 of
  // letters, digits . _ : / -).
  await dialog.getByLabel('Device id').fill('uv 1');
  await dialog.getByLabel('Model').fill('UV-7!');
  await dialog.getByLabel('Site').fill('Plant North');
  await dialog.getByLabel('Tags (separated by ;)').fill('ward;night shift');
  await dialog.getByRole('button', { name: 'Register robot' }).click();
  // (Cloudscape reads an error as "Error <text>", then the field's description.)
  const expected: Array<[string, RegExp]> = [
    ['Device id', /^Error Device id must be a device id \(3-64 letters, digits, \. _ -; starting with a letter or digit\)/],
    ['Name', /^Error Name must not be empty$/],
    ['Model', /^Error Model must be 1-64 letters, digits, space \. _ \/ -$/],
    ['Tags (separated by ;)', /^Error Tags tag 2: tags are 1-32 letters, digits, \. _ : \/ -/],
  ];
  for (const [label, text] of expected) {
    const input = dialog.getByLabel(label, { exact: true });
    await expect(input, label).toHaveAttribute('aria-invalid', 'true');
    // The error is the input's accessible description: next to it, read with it.
    await expect(input, label).toHaveAccessibleDescription(text);
  }
  await expect(dialog.getByLabel('Site', { exact: true })).not.toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toContainText('4 fields need a change before the robot can be registered.');
  await expect(dialog).not.toContainText('fleet:create');
  await expect(dialog).not.toContainText('Invalid input');
  expect((await harness.current().fleet.handlers['fleet:list']({ query: '', sort: 'deviceId', dir: 'asc', offset: 0, limit: 10 }, { transport: 'test' })).total).toBe(0);

  // Fixed, it registers; the same device id again is refused by the main process, beside the device id.
  await dialog.getByLabel('Device id').fill('uv-1');
  await dialog.getByLabel('Name').fill('Ward one');
  await dialog.getByLabel('Model').fill('UV-7');
  await dialog.getByLabel('Tags (separated by ;)').fill('ward;night');
  await dialog.getByRole('button', { name: 'Register robot' }).click();
  await expect(dialog).toBeHidden();
  await expect(robotRows(page)).toHaveCount(1);
  await page.getByRole('button', { name: 'Register robot…' }).click();
  await dialog.getByLabel('Device id').fill('uv-1');
  await dialog.getByLabel('Name').fill('Ward one again');
  await dialog.getByLabel('Model').fill('UV-7');
  await dialog.getByLabel('Site').fill('Depot');
  await dialog.getByRole('button', { name: 'Register robot' }).click();
  await expect(dialog.getByLabel('Device id', { exact: true })).toHaveAccessibleDescription(/A robot with device id uv-1 is already registered\./);
});

test('Import CSV at 1440 px: labels clear of their inputs, a wide CSV box and a file picker', async ({ page, harness }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await goToFleet(page);
  await page.getByRole('button', { name: 'Import CSV…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import robots from CSV' });
  const box = (await dialog.getByLabel('Or paste CSV text').boundingBox())!;
  const label = (await dialog.getByText('Or paste CSV text', { exact: true }).boundingBox())!;
  // The label sits above its box, never over it.
  expect(label.y + label.height).toBeLessThanOrEqual(box.y);
  // "A usable CSV box": at least 600 px wide and 200 px tall (about 80 characters by 10 lines).
  expect(box.width).toBeGreaterThanOrEqual(600);
  expect(box.height).toBeGreaterThanOrEqual(200);
  await expect(dialog.getByRole('button', { name: 'Choose a CSV file' })).toBeVisible();
  // A file picked is read into the import (and a header-only one refused).
  await dialog.locator('input[type=file]').setInputFiles({ name: 'robots.csv', mimeType: 'text/csv', buffer: Buffer.from('device_id,name,model,site,firmware,tags,status\nuv-9,Nine,UV-7,Depot,,,manufactured\n') });
  await expect(dialog.getByLabel('Or paste CSV text')).toHaveValue(/uv-9,Nine/);
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  // The confirmation names the count and the one site before anything is imported; axe on it too.
  await expect(dialog.getByText('Import 1 robot into site Depot?', { exact: true })).toBeVisible();
  expect(await axeSerious(page), 'axe on the import confirmation').toEqual([]);
  await dialog.getByRole('button', { name: 'Import 1 robot', exact: true }).click();
  await expect(dialog.getByRole('status')).toHaveText('Imported 1 robot.');
});

test('filters refuse bad values visibly: a search over 64 characters, and a deep link with an unknown status', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const { fleet } = harness.current();
  fleet.fleet.create({ deviceId: 'uv-1', name: 'One', model: 'UV-7', site: 'Depot', firmware: '', tags: [], status: 'deployed' });
  fleet.fleet.create({ deviceId: 'uv-2', name: 'Two', model: 'UV-7', site: 'Depot', firmware: '', tags: [], status: 'quarantined' });
  await goToFleet(page);
  const search = page.getByRole('searchbox', { name: 'Search' });
  await search.fill('x'.repeat(65));
  await expect(search).toHaveAttribute('aria-invalid', 'true');
  await expect(search).toHaveAccessibleDescription('Error The search is 65 characters long; a search is at most 64.');
  // The refused search is not applied (nor silently cut to 64 characters): the list is the whole fleet.
  await expect(page.getByTestId('fleet-count')).toHaveText('2 robots');
  await search.fill('');
  await expect(search).not.toHaveAttribute('aria-invalid', 'true');

  await page.goto(`${harness.current().host.url}#/fleet?status=flying&site=Depot`);
  const refused = page.getByRole('list', { name: 'Filters not applied' });
  await expect(refused).toContainText('The link asks for status "flying", which is not a robot status');
  // The valid part of the link is applied; the status filter is Any.
  await expect(fleetFilter(page, 'Site')).toHaveText('Depot');
  await expect(fleetFilter(page, 'Status')).toHaveText('Any');
  await expect(page.getByTestId('fleet-count')).toHaveText('2 matching robots');
});
