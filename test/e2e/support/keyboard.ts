// Keyboard-only steps for e2e tests: move focus with Tab (never a click or locator.focus()) until an element has it,
// and read where focus is. Each helper fails with what was focused instead when the element is never reached.
import { expect, type Locator, type Page } from '@playwright/test';

/** What has focus now, in words (for failure messages). */
export async function focusedText(page: Page): Promise<string> {
  // Page-side JavaScript as text: the Node tsconfig has no DOM library.
  return (await page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el) return 'nothing';
    const role = el.getAttribute('role');
    return '<' + el.tagName.toLowerCase() + (role ? ' role=' + role : '') + '> ' + (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 60);
  })()`)) as string;
}

export async function isFocused(target: Locator): Promise<boolean> {
  return target.evaluate((el) => el === el.ownerDocument.activeElement).catch(() => false);
}

/** True when focus is inside `container` (or on it). */
export async function focusInside(container: Locator): Promise<boolean> {
  return container.evaluate((el) => el.contains(el.ownerDocument.activeElement)).catch(() => false);
}

/** Presses `key` (Tab by default) until `target` has focus; at most `max` presses. */
export async function pressUntilFocused(page: Page, target: Locator, key = 'Tab', max = 80): Promise<void> {
  await expect(target).toBeVisible();
  for (let i = 0; i < max; i++) {
    if (await isFocused(target)) return;
    await page.keyboard.press(key);
  }
  expect(await isFocused(target), `${key} × ${max} never reached the element; focus is on ${await focusedText(page)}`).toBe(true);
}

/**
 * A dialog as the design system requires it of every Modal (docs/ui-design-system.md, issue 12): opened from `opener`
 * by keyboard (focus on the opener, Enter), focus moves into it; `whileOpen` runs (the caller's checks of its content,
 * axe); 12 Tabs and 12 Shift+Tabs never leave it (more than any dialog has stops); Escape closes it; focus is back
 * on the opener. `whileOpen` may change the dialog (pick a radio) but must leave focus inside it.
 */
export async function checkDialogKeyboard(page: Page, opener: Locator, name: string, whileOpen: (dialog: Locator) => Promise<void> = async () => undefined): Promise<void> {
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name });
  await expect(dialog).toBeVisible();
  await expect.poll(() => focusInside(dialog), { message: `focus moves into "${name}"` }).toBe(true);
  await whileOpen(dialog);
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press(key);
      expect(await focusInside(dialog), `${key} × ${i + 1} stays inside "${name}"; focus is on ${await focusedText(page)}`).toBe(true);
    }
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect.poll(() => isFocused(opener), { message: `focus returns to the opener of "${name}"` }).toBe(true);
}
