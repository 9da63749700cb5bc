// The Fleet screen in end-to-end tests, by role and accessible name: the robots grid (Cloudscape table with keyboard
// navigation, so its role is grid), its rows (each names its robot in a row header), the filter selects, and the
// robot's detail in the split panel.
import { expect, type Locator, type Page } from '@playwright/test';
import { clickNav, pickSelectOption } from './ui.ts';

export function robotsGrid(page: Page): Locator {
  return page.getByRole('grid', { name: 'Robots' });
}

/** The robot rows in view (the header row has no row header). */
export function robotRows(page: Page): Locator {
  return robotsGrid(page).getByRole('row').filter({ has: page.getByRole('rowheader') });
}

export function robotRow(page: Page, deviceId: string): Locator {
  return robotsGrid(page).getByRole('row').filter({ has: page.getByRole('rowheader', { name: deviceId, exact: true }) });
}

/** The device id of the first robot row in view. */
export function firstRobotId(page: Page): Locator {
  return robotRows(page).first().getByRole('rowheader');
}

/** A filter select of the Fleet screen (Status, Site, Model, Certificate): its trigger, named "<label> <value>". */
export function fleetFilter(page: Page, label: 'Status' | 'Site' | 'Model' | 'Certificate'): Locator {
  return page.getByRole('search', { name: 'Fleet filters' }).getByRole('button', { name: new RegExp(`^${label} `) });
}

/** Picks an option of a Cloudscape Select (its name may go on with a description, e.g. "Depot 20,000 robots") until the
 * trigger shows it (pickSelectOption in ui.ts says why a single click is not enough). */
export async function pickOption(_page: Page, trigger: Locator, option: string): Promise<void> {
  await pickSelectOption(trigger, option);
}

export async function goToFleet(page: Page): Promise<void> {
  await clickNav(page, 'Fleet');
  await expect(page.getByRole('heading', { name: 'Fleet', level: 1 })).toBeVisible();
}

/** Opens a robot from the grid (the page of the grid in view) and returns its detail region in the split panel. */
export async function openRobotFromGrid(page: Page, deviceId: string): Promise<Locator> {
  await robotRow(page, deviceId).getByRole('link', { name: deviceId, exact: true }).click();
  const panel = page.getByRole('region', { name: `Robot ${deviceId}` });
  await expect(panel).toBeVisible();
  return panel;
}

/** A row of the robot's "Key bundles" table by sequence (every bundle row without one). */
export function bundleRow(panel: Locator, sequence?: string): Locator {
  const rows = panel.getByRole('table', { name: 'Key bundles of the robot' }).getByRole('row');
  return rows.filter({ has: panel.page().getByRole('rowheader', sequence === undefined ? {} : { name: sequence, exact: true }) });
}

const BUNDLE_CELLS = ['issued', 'delivery', 'state', 'keys', 'error'] as const;

/** A cell of a bundle row by column (the sequence is the row header). */
export function bundleCell(row: Locator, column: (typeof BUNDLE_CELLS)[number]): Locator {
  return row.getByRole('cell').nth(BUNDLE_CELLS.indexOf(column));
}
