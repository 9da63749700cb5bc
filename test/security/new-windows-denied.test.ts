// Checklist: new windows denied (window.open, target=_blank, middle click) and webviews refused, on every web
// contents the shell sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWebviewAllowed, windowOpenDecision } from '../../electron/security/webContentsPolicy.ts';
import { startShellKit, type ShellKit } from './shellKit.ts';

const URLS = ['https://example.com/', 'app://console/index.html', 'about:blank', 'javascript:void 0', ''];

describe('new windows denied', () => {
  let kit: ShellKit;
  beforeAll(async () => {
    kit = await startShellKit();
  });
  afterAll(() => kit.close());

  it('the policy denies opening any URL in a new window and refuses webviews', () => {
    for (const url of URLS) expect(windowOpenDecision({ url })).toEqual({ action: 'deny' });
    expect(isWebviewAllowed()).toBe(false);
  });

  it("installs a window-open handler on the console window's contents that denies every URL", () => {
    const handler = kit.windows[0]!.webContents.windowOpenHandler;
    expect(handler).not.toBeNull();
    for (const url of URLS) expect(handler!({ url }), url).toEqual({ action: 'deny' });
  });

  it('does the same for web contents created later', () => {
    const later = kit.newWebContents();
    expect(later.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('cancels will-attach-webview on every web contents', () => {
    expect(kit.windows[0]!.webContents.cancels('will-attach-webview')).toBe(true);
    expect(kit.newWebContents().cancels('will-attach-webview')).toBe(true);
  });

  it('the window itself is built with webviewTag off (second lock)', () => {
    expect(kit.windows[0]!.options.webPreferences.webviewTag).toBe(false);
  });
});
