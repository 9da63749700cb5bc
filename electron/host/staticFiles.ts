// Serving the built renderer from one folder: no directory listing, no path traversal (lexical check and a
// realpath check against symlinks), a small fixed set of content types. Used by the browser host and by the
// app:// protocol handler of the Electron shell (electron/shell/appProtocol.ts).
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup =
  | { kind: 'file'; path: string; size: number; contentType: string }
  | { kind: 'not_found' }
  | { kind: 'bad_request' }
  | { kind: 'not_built' };

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Maps a URL pathname ("/", "/assets/x.js") to a file inside rootDir, or says why not. */
export async function lookupStatic(rootDir: string, pathname: string): Promise<StaticLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'bad_request' };
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return { kind: 'bad_request' };
  if (decoded.split('/').some((part) => part === '..' || part.startsWith('.'))) return { kind: 'not_found' };

  let root: string;
  try {
    root = await realpath(resolve(rootDir));
    await stat(resolve(root, 'index.html'));
  } catch {
    return { kind: 'not_built' };
  }
  const relative = decoded === '/' ? 'index.html' : decoded.slice(1);
  const candidate = resolve(root, relative);
  if (!inside(root, candidate)) return { kind: 'not_found' };
  try {
    const real = await realpath(candidate);
    if (!inside(root, real)) return { kind: 'not_found' };
    const info = await stat(real);
    if (!info.isFile()) return { kind: 'not_found' };
    return { kind: 'file', path: real, size: info.size, contentType: contentTypeFor(real) };
  } catch {
    return { kind: 'not_found' };
  }
}
