// The browser host's window after a dropped socket (docs/ui.md "Connection lost", renderer/src/transport/reconnect.ts):
// the host cuts the socket from its side while the console locks; the window comes back at once when the officer
// presses a key or "Reconnect now", and then shows what the console says (locked), not what it showed before.
// The page's timers are paused (Playwright's clock) while the socket is down, so the scheduled attempt cannot be what
// brings the window back: only the triggers can. Nothing waits a fixed time; each step waits for what the page shows.
import type { CallContext } from '../../shared/contract.ts';
import { expect, test } from './support/consoleFixture.ts';
import { chooseOption, completeFirstRun, goToKeys, openConsole } from './support/ui.ts';

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

test('a console that stops answering shows "not answering" with the time since, and the window recovers by itself when answers come back', async ({ page, harness }) => {
  // The console's answers to the window's pings are held back by the test (Playwright's WebSocket route between the
  // page and the real host): to the window, an open socket that answers nothing, as a blocked event loop looks. The
  // host's own side (a really blocked loop) is test/integration/host-liveness.test.ts.
  let holdPongs = false;
  const held: Array<string | Buffer> = [];
  let forward: ((message: string | Buffer) => void) | null = null;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    forward = (message) => ws.send(message);
    server.onMessage((message) => {
      if (holdPongs && typeof message === 'string' && message.startsWith('{"pong"')) held.push(message);
      else ws.send(message);
    });
  });
  await page.clock.install();
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  const banner = page.getByRole('alert').filter({ hasText: 'The console is not answering' });
  await expect(banner).toBeHidden();

  // The documented limits: a ping 5 s after the last answer, 10 s to answer it. Time moves only as the test says.
  holdPongs = true;
  await page.clock.runFor(5_000 + 10_000);
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  await expect(banner.getByRole('button', { name: 'Reconnect now' })).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'Connection lost to the console' })).toBeHidden();

  // The answers come back: the window carries on by itself, no click needed.
  holdPongs = false;
  for (const message of held.splice(0)) forward!(message);
  await expect(banner).toBeHidden();
});

test('a key created while the socket drops is created once and the window shows it, with no second click', async ({ page, harness }) => {
  await openConsole(page, harness.current().host.url);
  await completeFirstRun(page);
  await goToKeys(page);
  const { host, fleet } = harness.current();
  // The console holds the call inside (the real handler runs once released) so the drop lands mid-call.
  const handlers = fleet.handlers as unknown as Record<string, (input: unknown, ctx: CallContext) => Promise<unknown>>;
  const real = handlers['keys:create']!;
  let entered!: () => void;
  const started = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let runs = 0;
  handlers['keys:create'] = async (input, ctx) => {
    entered();
    await released;
    runs += 1;
    return real(input, ctx);
  };

  await page.getByRole('button', { name: 'New key…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a key' });
  await dialog.getByLabel('Label').fill('Across the drop');
  await chooseOption(dialog, 'Key type', 'Storage');
  await dialog.getByRole('button', { name: 'Create key' }).click();
  await started;
  await page.clock.install();
  await page.clock.pauseAt(Date.now() + 2_000);
  expect(host.dropSockets()).toBe(1);
  const lost = page.getByRole('alert').filter({ hasText: 'Connection lost to the console' });
  await expect(lost).toBeVisible();
  // The console finishes the call while the window is away.
  release();
  await host.idle();
  // Back (a key press): the window asks what became of its call and gets the answer the host kept.
  await page.keyboard.press('Shift');
  await expect(lost).toBeHidden();
  await expect(dialog).toBeHidden();
  await page.clock.resume();
  await expect(page.getByRole('button', { name: 'Across the drop', exact: true })).toBeVisible();
  expect(runs).toBe(1);
  const keys = await fleet.handlers['keys:list']({}, CTX);
  expect(keys.keys.filter((k) => k.label === 'Across the drop')).toHaveLength(1);
});
