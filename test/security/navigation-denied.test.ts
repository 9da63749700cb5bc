// Checklist: navigation denied. The shell hardens every web contents Electron creates: will-navigate, will-redirect
// and will-frame-navigate are cancelled for every target, ours included (the SPA routes in-page).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNavigationAllowed } from '../../electron/security/webContentsPolicy.ts';
import { startShellKit, type ShellKit } from './shellKit.ts';

const TARGETS = [
  'https://evil.example/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'javascript:alert(1)',
  'data:text/html,<script>1</script>', 'app://console/index.html', 'app://other/', 'about:blank', 'chrome://settings',
];
const NAVIGATION_EVENTS = ['will-navigate', 'will-redirect', 'will-frame-navigate'];

describe('navigation denied', () => {
  let kit: ShellKit;
  beforeAll(async () => {
    kit = await startShellKit();
  });
  afterAll(() => kit.close());

  it('the policy refuses every renderer-initiated navigation, foreign or not', () => {
    for (const url of TARGETS) expect(isNavigationAllowed(url), url).toBe(false);
  });

  it("cancels every navigation of the console window's contents", () => {
    const contents = kit.windows[0]!.webContents;
    for (const event of NAVIGATION_EVENTS) {
      for (const url of TARGETS) expect(contents.cancels(event, url), `${event} ${url}`).toBe(true);
    }
  });

  it('cancels navigation in any web contents created later, not only the window it started with', () => {
    const later = kit.newWebContents();
    for (const event of NAVIGATION_EVENTS) expect(later.cancels(event, 'https://evil.example/'), event).toBe(true);
  });
});
