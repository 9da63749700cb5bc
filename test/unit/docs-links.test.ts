// The README is a newcomer's door and docs/ holds the reference: a relative link that points at no file is a dead end
// (six pointed one folder too high before this test). Every relative Markdown link in README.md and docs/*.md must
// name a file or folder that exists, resolved from the linking file's own folder as GitHub resolves it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Relative link targets of one Markdown text (inline links and images), without their #fragment. */
function relativeTargets(markdown: string): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = (m[1] ?? '').split('#')[0] ?? '';
    if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // same-page anchor, http:, mailto:
    out.push(target);
  }
  return out;
}

describe('documentation links', () => {
  it('reads the link forms used in the docs (a table written here)', () => {
    const cases: [string, string[]][] = [
      ['see [CLI](cli.md#cli)', ['cli.md']],
      ['![Tour](docs/images/tour-1-first-run.png)', ['docs/images/tour-1-first-run.png']],
      ['[up](../README.md) and [web](https://example.org/x) and [here](#anchor)', ['../README.md']],
      ['[mail](mailto:a@b.c)', []],
    ];
    for (const [text, expected] of cases) expect(relativeTargets(text)).toEqual(expected);
  });

  it.each(pages)('%s: every relative link names a file that exists', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const dead = relativeTargets(text).filter((t) => !existsSync(resolve(root, dirname(page), decodeURIComponent(t))));
    expect(dead).toEqual([]);
  });
});
