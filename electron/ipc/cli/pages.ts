// Keyset paging in the CLI (`rotation batch status ID --all`, `approvals keys --all`, `approvals revoked-keys --all`):
// every page from the first, each handed over as soon as it is read, so memory holds one page whatever the total.

/** Calls onPage with `first`, then with each following page read through `next` until a page has no next cursor. */
export async function eachPage<P extends { nextCursor: string | null }>(first: P, next: (cursor: string) => Promise<P>, onPage: (page: P) => void): Promise<void> {
  let page = first;
  for (;;) {
    onPage(page);
    if (page.nextCursor === null) return;
    page = await next(page.nextCursor);
  }
}
