// Every Content-Security-Policy violation a page reports: the document's securitypolicyviolation events (recorded
// by an init script, which the browser runs outside the page's CSP) plus Chromium's console errors about the policy.
// Used by the design-system probe and the screen tour (docs/ui-design-system.md, "CSP evidence").
import type { Page } from '@playwright/test';

export interface CspViolation {
  directive: string;
  blockedURI: string;
  sourceFile: string;
  sample: string;
}

export interface CspWatch {
  /** Violations seen so far (events and console errors), in order. */
  violations(): Promise<string[]>;
}

export async function watchCsp(page: Page): Promise<CspWatch> {
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) consoleErrors.push(`console: ${msg.text()}`);
  });
  // A string, not a function: the e2e tsconfig has no DOM types, and this runs in the page.
  await page.addInitScript(`
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push({
        directive: e.effectiveDirective, blockedURI: e.blockedURI, sourceFile: e.sourceFile, sample: e.sample,
      });
    });
  `);
  return {
    async violations() {
      const events = ((await page.evaluate('window.__cspViolations ?? []').catch(() => [])) ?? []) as CspViolation[];
      return [
        ...events.map((v) => `event: ${v.directive} blocked ${v.blockedURI || '(inline)'} in ${v.sourceFile} ${v.sample}`),
        ...consoleErrors,
      ];
    },
  };
}
