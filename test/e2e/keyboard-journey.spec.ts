// Keyboard only (issue 12): unlock, create a key, find a robot among 1,000 and open its detail, close a dialog with
// Escape and land back on the element that opened it. After the setup (first run through the form, 1,000 robots
// seeded into the closed store), nothing is clicked and nothing is focused by the test: Tab, Shift+Tab, arrow keys,
// Enter, Escape and typed text only. Elements are found by role and accessible name, so the test follows the screens
// as they are ported (the Keys screen's create dialog included).
import type { Page } from '@playwright/test';
import { expect, test } from './support/consoleFixture.ts';
import { seedRobots } from './support/fleetSeed.ts';
import { robotsGrid } from './support/fleetUi.ts';
import { focusedText, focusInside, isFocused, pressUntilFocused } from './support/keyboard.ts';
import { completeFirstRun, keyRow, OPERATOR, openConsole, PASSPHRASE } from './support/ui.ts';

/** Enter on a side navigation link reached with Tab. */
async function navigate(page: Page, link: string, heading: string): Promise<void> {
  await pressUntilFocused(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }));
  await page.keyboard.press('Enter');
  const h1 = page.getByRole('heading', { name: heading, level: 1 });
  await expect(h1).toBeVisible();
  // Each screen opens with focus on its heading.
  await expect.poll(() => isFocused(h1)).toBe(true);
}

test('keyboard only: unlock, create a key, find robot-000777 among 1,000 and open it, Escape a dialog back to its opener', async ({ page, harness }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const storePath = harness.current().fleet.storePath;
  await harness.stop();
  seedRobots(storePath, 1_000);
  await harness.start();
  await openConsole(page, harness.current().host.url);

  // Unlock: the form opens with focus in its first empty field.
  await expect(page.getByRole('heading', { name: 'Unlock the key store' })).toBeVisible();
  const operator = page.getByLabel('Operator name');
  if ((await operator.inputValue()) === '') {
    await expect.poll(() => isFocused(operator)).toBe(true);
    await page.keyboard.type(OPERATOR);
    await pressUntilFocused(page, page.getByLabel('Passphrase', { exact: true }));
  }
  await expect.poll(() => isFocused(page.getByLabel('Passphrase', { exact: true }))).toBe(true);
  await page.keyboard.type(PASSPHRASE);
  await page.keyboard.press('Enter');
  const dashboard = page.getByRole('heading', { name: 'Fleet dashboard', level: 1 });
  await expect(dashboard).toBeVisible();
  await expect.poll(() => isFocused(dashboard)).toBe(true);

  // Create a key with the Keys screen's create dialog.
  await navigate(page, 'Keys', 'Keys');
  await pressUntilFocused(page, page.getByRole('button', { name: 'New key…' }));
  await page.keyboard.press('Enter');
  const create = page.getByRole('dialog', { name: 'Create a key' });
  await expect(create).toBeVisible();
  await pressUntilFocused(page, create.getByLabel('Label', { exact: true }));
  await page.keyboard.type('journey link');
  await pressUntilFocused(page, create.getByRole('button', { name: 'Create key' }));
  await page.keyboard.press('Enter');
  await expect(create).toBeHidden();
  await expect(keyRow(page, 'journey link')).toBeVisible();

  // Find robot-000777 among 1,000: search narrows the list, arrow keys move through the grid, Enter opens it.
  await navigate(page, 'Fleet', 'Fleet');
  await expect(page.getByTestId('fleet-count')).toHaveText('1,000 robots');
  await pressUntilFocused(page, page.getByRole('searchbox', { name: 'Search' }));
  await page.keyboard.type('Unit 77');
  // Unit 77 and Unit 770 ... Unit 779, by device id: robot-000077, robot-000770, ..., robot-000779.
  await expect(page.getByTestId('fleet-count')).toHaveText('11 matching robots');
  const grid = robotsGrid(page);
  // Tab into the grid (one tab stop), then arrows only: right to the device id column, down to the robot.
  for (let i = 0; i < 40 && !(await focusInside(grid)); i++) await page.keyboard.press('Tab');
  expect(await focusInside(grid), `Tab reaches the grid; focus is on ${await focusedText(page)}`).toBe(true);
  const firstLink = grid.getByRole('link', { name: 'robot-000077', exact: true });
  for (let i = 0; i < 6 && !(await isFocused(firstLink)); i++) {
    // Down from the header row to the first robot row, right from the tick box to the device id.
    await page.keyboard.press((await focusedText(page)).includes('Tick') ? 'ArrowRight' : 'ArrowDown');
  }
  const target = grid.getByRole('link', { name: 'robot-000777', exact: true });
  await pressUntilFocused(page, target, 'ArrowDown', 12);
  await page.keyboard.press('Enter');
  const panel = page.getByRole('region', { name: 'Robot robot-000777' });
  await expect(panel).toContainText('Unit 777');
  await expect(page).toHaveURL(/robot=robot-000777/);
  // Focus is in the detail now, not 50 rows away from it.
  await expect.poll(() => focusInside(panel)).toBe(true);

  // A dialog opened from the panel closes with Escape and gives focus back to its opener.
  const opener = page.getByRole('button', { name: 'Change status…' });
  await pressUntilFocused(page, opener);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Change robot status' });
  await expect(dialog).toBeVisible();
  await expect.poll(() => focusInside(dialog)).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect.poll(() => isFocused(opener), { message: 'focus returns to "Change status…"' }).toBe(true);
});
