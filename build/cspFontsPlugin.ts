// Our CSP has no font-src, so fonts fall back to default-src 'self': a font given as a data: URI is refused.
// @cloudscape-design/global-styles embeds its Open Sans faces as data: URIs in index.css. This Vite plugin writes
// each embedded font to a file (named by its content hash) and points the CSS at it, so Vite emits it as an asset
// served from 'self'. The CSP stays as it is (docs/ui-design-system.md, "CSP evidence").
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Plugin } from 'vite';

const DATA_FONT = /url\((['"]?)data:font\/(woff2?|ttf|otf);base64,([A-Za-z0-9+/=]+)\1\)/g;

export function cspFontsPlugin(cacheDir = resolve(import.meta.dirname, '..', 'node_modules', '.cache', 'csp-fonts')): Plugin {
  return {
    name: 'ecps-csp-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!id.split('?')[0]!.endsWith('.css') || !code.includes('data:font/')) return null;
      mkdirSync(cacheDir, { recursive: true });
      const fromDir = dirname(id.split('?')[0]!);
      const out = code.replace(DATA_FONT, (_match, _quote: string, ext: string, base64: string) => {
        const bytes = Buffer.from(base64, 'base64');
        const file = resolve(cacheDir, `font-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${ext}`);
        writeFileSync(file, bytes);
        return `url('${relative(fromDir, file).split('\\').join('/')}')`;
      });
      return { code: out, map: null };
    },
  };
}
