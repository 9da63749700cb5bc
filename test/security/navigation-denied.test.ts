// Checklist: navigation denied. main.ts cancels will-navigate / will-redirect whenever this policy says no.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNavigationAllowed } from '../../electron/security/webContentsPolicy.ts';

describe('navigation denied', () => {
  it('refuses every renderer-initiated navigation, foreign or not', () => {
    for (const url of [
      'https://evil.example/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'javascript:alert(1)',
      'data:text/html,<script>1</script>', 'app://console/index.html', 'app://other/', 'about:blank', 'chrome://settings',
    ]) {
      expect(isNavigationAllowed(url), url).toBe(false);
    }
  });

  it('is wired to will-navigate and will-redirect for every web contents', () => {
    const main = readFileSync(new URL('../../electron/main.ts', import.meta.url), 'utf8');
    expect(main).toMatch(/'web-contents-created'/);
    expect(main).toMatch(/'will-navigate', \(event, url\) => \{\s*if \(!isNavigationAllowed\(url\)\) event\.preventDefault\(\);/);
    expect(main).toMatch(/'will-redirect', \(event, url\) => \{\s*if \(!isNavigationAllowed\(url\)\) event\.preventDefault\(\);/);
  });
});
