// The browser host's window after a dropped socket (docs/ui.md "Connection lost", renderer/src/transport/reconnect.ts):
// the host cuts the socket from its side while the console locks; the window comes back at once when the officer
// presses a key or "Reconnect now", and then shows what the console says (locked), not what it showed before.
// The page's timers are paused (Playwright's clock) while the socket is down, so the scheduled attempt cannot be what
// brings the window back: only the triggers can. Nothing waits a fixed time; each step waits for what the page shows.
import type { CallContext } from '../../shared/contract.ts';
import { expect, test } from './support/consoleFixture.ts';
import { completeFirstRun, openConsole } from './support/ui.ts';

const CTX: CallContext = { transport: 'test' };

test('a socket dropped by the host comes back at a key press or "Reconnect now", and the window shows the lock it missed', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const banner = page.getByRole('alert').filter({ hasText: 'Connection lost to the console' });
  const { host, fleet } = harness.current();

  // From here the page's timers only run when the test lets them (a little ahead, so "now" is never in the past).
  await page.clock.install();
  await page.clock.pauseAt(Date.now() + 2_000);

  // 1. The host cuts the socket and the console locks meanwhile: the lock's event reaches no window.
  expect(host.dropSockets()).toBe(1);
  await fleet.handlers['session:lock']({}, CTX);
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/Reconnecting in [1-5] s…/);
  await expect(banner.getByRole('button', { name: 'Reconnect now' })).toBeVisible();
  // The officer presses a key: the window reconnects at once (its 1 s timer is paused).
  await page.keyboard.press('Shift');
  await expect(banner).toBeHidden();

  // 2. Dropped again: "Reconnect now" brings it back. Its click event alone (a real click's pointerdown is already a
  // use of the page, which reconnects before the click lands and takes the button away).
  expect(host.dropSockets()).toBe(1);
  await expect(banner).toBeVisible();
  await banner.getByRole('button', { name: 'Reconnect now' }).dispatchEvent('click');
  await expect(banner).toBeHidden();

  // With time running again, the window refetched what it shows: the console is locked.
  await page.clock.resume();
  await expect(page.getByRole('heading', { name: 'Unlock the key store' })).toBeVisible();
});
