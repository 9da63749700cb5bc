// The Rotation schedules screen (issue 13) through the real renderer against a real console whose clock the test moves
// by hand: a communication key (the specification's 24 hours) made now is overdue three days later; the officer pauses
// the scheduler (so its own passes cannot rotate the key first), sees the key overdue, runs it now after confirming,
// and sees the new version and the job in the history; a policy with a period under an hour is refused with the
// error next to the field, in words, and saved once fixed. axe finds nothing serious or critical on the screen and
// its dialogs, and the policy dialog's error is announced with its field.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { manualClock } from '../../electron/clock.ts';
import { expect, test } from './support/consoleFixture.ts';
import { watchCsp } from './support/cspWatch.ts';
import { clickNav, completeFirstRun, createKey, expectDashboardAfterUnlock, openConsole, pickSelectOption, unlock } from './support/ui.ts';

const DAY = 24 * 3_600_000;
const SERIOUS = new Set(['serious', 'critical']);

async function axeSerious(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(' ')})`);
}

test('rotation screen: an overdue key run now, the job in the history, a policy refused in words then saved', async ({ page, harness }) => {
  test.setTimeout(180_000);
  const clock = manualClock(Date.now());
  await harness.start({ clock });
  const csp = await watchCsp(page);
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await createKey(page, { label: 'uplink', type: 'communication' });

  await clickNav(page, 'Rotation schedules');
  await expect(page.getByRole('heading', { name: 'Rotation schedules', level: 1 })).toBeFocused();
  await expect(page).toHaveURL(/#\/rotation$/);
  // Made now: nothing due; the 30-day list shows it daily (the first rotation a day from now).
  const due = page.getByRole('table', { name: 'Due and overdue rotations' });
  await expect(due.getByText('Nothing is due.')).toBeVisible();
  const next30 = page.getByRole('table', { name: 'Rotations in the next 30 days' });
  await expect(next30.getByRole('row').filter({ hasText: 'uplink' }).first()).toContainText('v1 → v2');
  // The calendar: one row per week, Monday first; nothing today (the key was just made), then one rotation a day.
  const calendar = page.getByRole('table', { name: 'Rotation calendar' });
  await expect(calendar.getByRole('columnheader')).toHaveText(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
  await expect(calendar.getByText('(today)')).toBeVisible();
  const firstDay = calendar.getByRole('button', { name: /^Show the 1 rotation of / }).first();
  const firstDayName = ((await firstDay.getAttribute('aria-label')) ?? '').replace('Show the 1 rotation of ', '');
  await firstDay.click();
  // The list narrows to that day: the key's first rotation only.
  await expect(page.getByText(`Showing the rotations of ${firstDayName.replace(' (today)', '')} only.`)).toBeVisible();
  await expect(next30.getByRole('row')).toHaveCount(2); // the header and one rotation
  await expect(next30.getByRole('row').nth(1)).toContainText('v1 → v2');
  await page.getByRole('button', { name: 'Show every day' }).click();
  await expect(next30.getByRole('row').filter({ hasText: 'v2 → v3' })).toHaveCount(1);

  // The scheduler's own passes would rotate the key once it is due: pause it first (persisted and audited).
  await page.getByRole('button', { name: 'Pause scheduler' }).click();
  await expect(page.getByRole('button', { name: 'Resume scheduler' })).toBeVisible();

  // Three days later the key is overdue by about two days (24 h + up to 864 s of jitter after its creation).
  clock.advance(3 * DAY);
  await page.getByRole('button', { name: 'Refresh' }).click();
  const row = due.getByRole('row').filter({ hasText: 'uplink' });
  await expect(row).toContainText(/Overdue by (2 days|1 day 23 h)/);
  await expect(row).toContainText('waits: the scheduler is paused');
  // No robot holds the key: no rollout, no holdings (docs/rotation.md "Rollout to robots").
  await expect(page.getByRole('table', { name: 'Rollout waves' }).getByText('No rollouts yet', { exact: false })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Key versions held per site' }).getByText('No robot holds a key yet.')).toBeVisible();
  expect(await axeSerious(page), 'rotation screen').toEqual([]);

  // Run now asks first; cancelling changes nothing.
  await row.getByRole('button', { name: 'Run now: uplink' }).click();
  const confirm = page.getByRole('dialog', { name: 'Rotate uplink now?' });
  await expect(confirm).toBeVisible();
  expect(await axeSerious(page), 'run now dialog').toEqual([]);
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toBeHidden();
  await expect(row).toBeVisible();

  await row.getByRole('button', { name: 'Run now: uplink' }).click();
  await confirm.getByRole('button', { name: 'Rotate now' }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByText('uplink rotated: version 1 → 2.')).toBeVisible();
  await expect(due.getByText('Nothing is due.')).toBeVisible();
  // The new version is the one counted now, and the job is in the history.
  await expect(page.getByRole('table', { name: 'Usage per key version' }).getByRole('row').filter({ hasText: 'uplink v2' })).toContainText('0 of 3,865,470,566 encryptions');
  const history = page.getByRole('table', { name: 'Scheduler job history' }).getByRole('row').filter({ hasText: 'uplink' });
  await expect(history).toContainText('v1 → v2');
  await expect(history).toContainText('Done');
  await expect(history).toContainText(/2 days|1 day 23 h/);

  // A period under an hour: refused next to the field, in words, with no schema path or channel name.
  await page.getByRole('button', { name: 'Edit the communication policy' }).click();
  const editor = page.getByRole('dialog', { name: 'Rotation policy of Communication keys' });
  await expect(editor).toBeVisible();
  const period = editor.getByLabel('Rotation period (hours)');
  await expect(period).toHaveValue('24');
  await period.fill('0.5');
  await editor.getByRole('button', { name: 'Save policy' }).click();
  const words = 'The rotation period must be a whole number of seconds, at least 3600 (1 hour).';
  await expect(editor.getByText(words)).toBeVisible();
  // The error belongs to the period field (Cloudscape links it with aria-describedby).
  await expect(period).toHaveAccessibleDescription(new RegExp(words.replace(/[().]/g, '\\$&')));
  await expect(editor).not.toContainText('rotation:');
  await expect(editor).not.toContainText('periodSeconds');
  expect(await axeSerious(page), 'policy dialog with its error').toEqual([]);

  // A blackout window (production hours in Berlin) and a 12-hour period: saved.
  await period.fill('12');
  await editor.getByLabel('Time zone of the windows').fill('Europe/Berlin');
  await editor.getByRole('button', { name: 'Add a blackout window' }).click();
  await editor.getByRole('button', { name: 'Save policy' }).click();
  await expect(editor).toBeHidden();
  await expect(page.getByText('The policy of Communication keys was saved.')).toBeVisible();
  const policyRow = page.getByRole('table', { name: 'Policies per key type' }).getByRole('row').filter({ hasText: 'Communication' });
  await expect(policyRow).toContainText('every 12 hours');
  await expect(policyRow).toContainText('blackout 0 6 * * 1-5 for 600 min (Europe/Berlin)');
  await expect(policyRow).toContainText('officer');

  // A key's own policy with a usage limit of 5: at 4 encryptions (80 %) its meter warns.
  await pickSelectOption(page.getByRole('button', { name: 'Key for its own policy' }), 'uplink');
  await page.getByRole('button', { name: "Set this key's own policy" }).click();
  const own = page.getByRole('dialog', { name: 'Rotation policy of key uplink' });
  await own.getByLabel('Usage limit (encryptions per version)').fill('5');
  await own.getByRole('button', { name: 'Save policy' }).click();
  await expect(own).toBeHidden();
  await expect(page.getByRole('table', { name: 'Policies of single keys' }).getByRole('row').filter({ hasText: 'uplink' })).toContainText('5');
  const fleet = harness.current().fleet;
  const uplink = fleet.keys.list({}).find((k) => k.label === 'uplink')!;
  for (let i = 0; i < 4; i++) await fleet.keys.encrypt(uplink.id, Buffer.from(`reading ${i}`), Buffer.alloc(0));
  await page.getByRole('button', { name: 'Refresh' }).click();
  const meter = page.getByRole('table', { name: 'Usage per key version' }).getByRole('row').filter({ hasText: 'uplink v2' });
  await expect(meter).toContainText('4 of 5 encryptions');
  await expect(meter).toContainText('Over 80 % of its limit');

  // Locked while the new version's rotation comes due (12 h + jitter after the run): the dashboard says it waited.
  await page.getByRole('button', { name: 'Lock' }).click();
  clock.advance(DAY);
  await unlock(page);
  await expectDashboardAfterUnlock(page);
  await expect(page.getByText('Rotations waited while the console was locked')).toBeVisible();
  await expect(page.getByText(/^1 rotation was due when the console was unlocked/)).toBeVisible();
  await page.getByRole('link', { name: 'See the rotation schedules' }).click();
  await expect(page.getByRole('heading', { name: 'Rotation schedules', level: 1 })).toBeVisible();
  await expect(page.getByText('1 rotation was due when the console was unlocked')).toBeVisible();

  await page.getByRole('button', { name: 'Resume scheduler' }).click();
  await expect(page.getByRole('button', { name: 'Pause scheduler' })).toBeVisible();
  expect(await csp.violations()).toEqual([]);
});
