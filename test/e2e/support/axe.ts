// axe (@axe-core/playwright, WCAG 2.x A/AA) findings that are serious or critical, in one line each.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

const SERIOUS = new Set(['serious', 'critical']);

export async function axeSerious(page: Page, include?: string): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (include) builder = builder.include(include);
  const result = await builder.analyze();
  return result.violations
    .filter((v) => SERIOUS.has(v.impact ?? ''))
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(' ')})`);
}

/** Words that must never reach an officer: channel names, the router's prefix, schema paths. */
export const INTERNAL_WORDS = /\b(?:session|keys|providers|audit|fleet|ca|certs|station|jobs):[A-Za-z]+|Invalid input for|\(input\)|Too (?:small|big): expected/;
