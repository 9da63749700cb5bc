// No screen shows the router's "Invalid input for <channel>: <path>: …" text to a person (issue 12, "Forms and errors
// for people"): the main process's refusals reach the page only through the one words helper
// (renderer/src/components/errorWords.ts errorInWords, used by ErrorMessage and formErrorText), which drops the
// channel and rewords each path. This reads the renderer's source: no other file matches on or builds the router's
// text, and no file puts a caught error's raw message on the page. What the words helper makes of a real router
// refusal is tested in renderer-error-words.test.ts; every screen's text is checked in test/e2e/shell-a11y.spec.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const RENDERER = resolve(import.meta.dirname, '..', '..', 'renderer', 'src');
/** The words helper itself: the one place that knows the router's text. */
const HELPER = 'components/errorWords.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return sources(path);
    return /\.tsx?$/.test(d.name) ? [path] : [];
  });
}

const FILES = sources(RENDERER).map((path) => ({ name: relative(RENDERER, path), text: readFileSync(path, 'utf8') }));

/** A caught error's message put on the page as is ({e.message}, `${err.message}`), not through the words helper. */
const RAW_MESSAGE = /(?:\{|\$\{)\s*(?:e|err|error|caught)\.message\b/;

describe('the router text never reaches a screen', () => {
  it('reads the renderer (the scan is not empty)', () => {
    expect(FILES.length).toBeGreaterThan(50);
    expect(FILES.map((f) => f.name)).toContain(HELPER);
  });

  it('only the words helper knows the router text "Invalid input for"', () => {
    const knowing = FILES.filter((f) => f.name !== HELPER && f.text.includes('Invalid input for')).map((f) => f.name);
    expect(knowing).toEqual([]);
  });

  it("no file renders a caught error's raw message", () => {
    const raw = FILES.filter((f) => RAW_MESSAGE.test(f.text)).map((f) => f.name);
    expect(raw).toEqual([]);
  });
});
