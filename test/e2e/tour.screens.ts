// The README's tour pictures (`npm run screenshots`): a fresh console with a few keys, a small seeded fleet, a fleet CA
// with a few certificates, three operators, the admin's approval key and an open approval request; each screen captured from the real renderer
// in Chromium. Not part of `npm test`: it writes docs/images/ and asserts only that each screen is showing before it
// is captured. Besides the six tour pictures, every screen of the side navigation (read from the renderer's own
// NAV_GROUPS, so a new screen cannot be missed) is captured as screen-<page>.png for the README's gallery.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CallContext } from '../../shared/contract.ts';
import { NAV_GROUPS, PAGE_TITLES } from '../../renderer/src/shell/routes.ts';
import { addOperators } from '../integration/support/consoleCalls.ts';
import { generateApprovalKey } from '../../electron/services/approvals/approvalFile.ts';
import { robotCsr } from '../integration/fleetca-kit.ts';
import { expect, test } from './support/consoleFixture.ts';
import { seededRobot, seedRobots } from './support/fleetSeed.ts';
import { clickNav, completeFirstRun, createKey, expectDashboardAfterUnlock, goToAudit, goToKeys, OPERATOR, openConsole, openKey, PASSPHRASE, unlock } from './support/ui.ts';
import type { Page } from '@playwright/test';

const CTX: CallContext = { transport: 'test' };

const IMAGES = resolve(import.meta.dirname, '..', '..', 'docs', 'images');

/** TOUR_ONLY=screen-settings,screen-operators: write only these pictures (the tour still walks every screen). */
const ONLY = process.env.TOUR_ONLY ? new Set(process.env.TOUR_ONLY.split(',').map((n) => n.trim())) : null;

async function snap(page: Page, name: string): Promise<void> {
  if (ONLY && !ONLY.has(name)) return;
  // The top of the screen (a screen opened after a long one keeps the window's scroll position).
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: resolve(IMAGES, `${name}.png`), fullPage: false });
}

async function nav(page: Page, name: string, heading: string): Promise<void> {
  await clickNav(page, name);
  await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
}

test.use({ viewport: { width: 1280, height: 760 } });

test('tour', async ({ page, harness }) => {
  test.setTimeout(300_000);
  await openConsole(page, harness.current().host.url);
  await expect(page.getByRole('heading', { name: 'Create the key store' })).toBeVisible();
  await snap(page, 'tour-1-first-run');
  await completeFirstRun(page);
  // Two more operators (the Operators screen; with them a destruction needs a second officer: the Approvals screen).
  const first = harness.current().fleet;
  await addOperators(first, { name: OPERATOR, passphrase: PASSPHRASE }, [
    { name: 'Kate Custodian', role: 'key_custodian', passphrase: 'Kate Custodian has a long passphrase' },
    { name: 'Ken Officer', role: 'security_officer', passphrase: 'Ken Officer has a long passphrase' },
  ]);

  const storePath = harness.current().fleet.storePath;
  await harness.stop();
  seedRobots(storePath, 240);
  await harness.start();
  await openConsole(page, harness.current().host.url);
  await unlock(page);
  await expectDashboardAfterUnlock(page);
  await goToKeys(page);

  await createKey(page, { label: 'fleet link', type: 'communication' });
  await createKey(page, { label: 'black box storage', type: 'storage' });
  await createKey(page, { label: 'robot-0042 identity', type: 'device_identity', algorithm: 'EC_P256' });
  await createKey(page, { label: 'emergency orders', type: 'emergency' });
  await nav(page, 'Dashboard', 'Fleet dashboard');
  await snap(page, 'tour-2-dashboard');

  await goToKeys(page);
  await openKey(page, 'fleet link');
  await snap(page, 'tour-3-keys');

  await nav(page, 'Fleet', 'Fleet');
  await expect(page.getByTestId('fleet-count')).toHaveText('240 robots');
  await snap(page, 'tour-4-fleet');

  await goToAudit(page);
  await snap(page, 'tour-5-audit');

  // The Emergency screen (top bar, every screen): the blast radius of one robot before anything happens.
  await page.getByRole('link', { name: 'Emergency', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Emergency response', level: 1 })).toBeVisible();
  await page.getByRole('radio', { name: 'One robot' }).check();
  await page.getByLabel('Device id', { exact: true }).fill('robot-000042');
  await page.getByRole('button', { name: 'Preview blast radius' }).click();
  await expect(page.getByTestId('blast-robots')).toHaveText('1');
  await snap(page, 'tour-6-emergency');

  // The gallery: every screen of the side navigation, with something in it.
  const c = harness.current().fleet;
  const h = c.handlers;
  // A fleet CA and certificates for a few seeded robots (Certificates).
  const work = mkdtempSync(join(tmpdir(), 'ecps-tour-'));
  try {
    await h['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Tour Fleet CA' }, CTX);
    const ca = await c.ca.require();
    for (let i = 1; i <= 6; i++) {
      const { deviceId } = seededRobot(i);
      const cert = await ca.issueDeviceCertificate(robotCsr(work, `/CN=${deviceId}`, 'ec', deviceId), { deviceId });
      c.fleet.attachCertificate(deviceId, { serial: cert.serial, notBefore: cert.notBefore, notAfter: cert.notAfter, pem: cert.pem });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // An open request (Approvals): destroying a retired key now needs a second officer.
  const retired = (await h['keys:create']({ type: 'storage', label: 'retired telemetry' }, CTX)).id;
  await h['keys:setState']({ keyId: retired, state: 'deactivated', reason: 'out of use' }, CTX);
  const refused = await h['keys:setState']({ keyId: retired, state: 'destroyed', reason: 'end of life' }, CTX).then(
    () => 'executed at once',
    (e: { code?: string }) => e.code ?? 'no code',
  );
  expect(refused).toBe('approval_required');
  // The admin's approval key (Approvals: the enrolled keys; Operators: the Approval key column).
  await h['approvals:enrolKey']({ publicKeyPem: generateApprovalKey('tour approval key passphrase').publicPem }, CTX);

  const shown = new Set<string>();
  for (const group of NAV_GROUPS) {
    for (const item of group.items) {
      await nav(page, item.text, PAGE_TITLES[item.page]);
      await SCREEN_READY[item.page]?.(page);
      await snap(page, `screen-${item.page}`);
      shown.add(item.page);
    }
  }
  expect([...shown].sort()).toEqual(NAV_GROUPS.flatMap((g) => g.items.map((i) => i.page)).sort());
});

/** What each screen shows once its data is in (waited for before the picture); screens not named need nothing. */
const SCREEN_READY: Partial<Record<string, (page: Page) => Promise<void>>> = {
  fleet: (page) => expect(page.getByTestId('fleet-count')).toHaveText('240 robots'),
  keys: (page) => expect(page.getByRole('table', { name: 'Keys' }).getByText('retired telemetry')).toBeVisible(),
  certs: (page) => expect(page.getByRole('table', { name: 'Certificate inventory' }).getByRole('row')).toHaveCount(7),
  approvals: (page) => expect(page.getByRole('row').filter({ hasText: OPERATOR }).first()).toBeVisible(),
  operators: async (page) => {
    await expect(page.getByText('Ken Officer').first()).toBeVisible();
    await expect(page.getByTestId('approval-key').filter({ hasText: 'enrolled' })).toHaveCount(1);
  },
  settings: async (page) => {
    await expect(page.getByTestId('settings-operator')).toHaveText(OPERATOR);
    await expect(page.getByTestId('settings-idle-lock')).toContainText('minutes');
  },
};
