// How far the page and a table's own horizontal scroller are wider than the window gives them (0 and 0: nothing
// scrolls sideways). Used by the layout checks of the Keys and Operators screens.
import type { Locator, Page } from '@playwright/test';

export async function sidewaysOverflow(page: Page, table: Locator): Promise<{ page: number; table: number }> {
  await table.evaluate((el) => el.setAttribute('data-width-probe', ''));
  return page.evaluate(`(() => {
    const probe = document.querySelector('[data-width-probe]');
    probe.removeAttribute('data-width-probe');
    let scroller = probe.parentElement;
    while (scroller && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement;
    return {
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      table: scroller ? scroller.scrollWidth - scroller.clientWidth : 0,
    };
  })()`);
}
