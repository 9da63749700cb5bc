// Checklist: new windows denied (window.open, target=_blank, middle click): the window-open handler says deny.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isWebviewAllowed, windowOpenDecision } from '../../electron/security/webContentsPolicy.ts';

describe('new windows denied', () => {
  it('denies opening any URL in a new window', () => {
    for (const url of ['https://example.com/', 'app://console/index.html', 'about:blank', 'javascript:void 0', '']) {
      expect(windowOpenDecision({ url })).toEqual({ action: 'deny' });
    }
  });

  it('refuses webviews', () => {
    expect(isWebviewAllowed()).toBe(false);
  });

  it('is installed on every web contents, together with the webview refusal', () => {
    const main = readFileSync(new URL('../../electron/main.ts', import.meta.url), 'utf8');
    expect(main).toContain('contents.setWindowOpenHandler((details) => windowOpenDecision(details))');
    expect(main).toMatch(/'will-attach-webview', \(event\) => \{\s*if \(!isWebviewAllowed\(\)\) event\.preventDefault\(\);/);
  });
});
