/** Focuses the heading that holds an element (made focusable by script only, tabindex -1), as the shell does for h1. */
export function focusHeading(inside: HTMLElement | null): void {
  const heading = inside?.closest<HTMLElement>('h1, h2, h3') ?? inside;
  if (!heading) return;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}
