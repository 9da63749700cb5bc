// Serves the built renderer on app://console/ (a real, secure origin for sender checks and CSP headers, without
// file://'s reach into the whole disk). Same file lookup as the browser host: no listing, no traversal.
import { readFile } from 'node:fs/promises';
import { lookupStatic } from '../host/staticFiles.ts';
import { buildCsp, securityHeaders } from '../security/csp.ts';
import { APP_HOST, APP_SCHEME, APP_SCHEME_PRIVILEGES } from '../security/windowOptions.ts';
import type { AppRequest, ShellProtocol } from './shellTypes.ts';

/** Must run before app 'ready'. */
export function registerAppScheme(protocol: ShellProtocol): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

/** The app:// responses: every one, errors included, carries the CSP and the other security headers. */
export function appProtocolHandler(rendererDir: string): (request: AppRequest) => Promise<Response> {
  const headers = securityHeaders(buildCsp());
  const text = (status: number, body: string) =>
    new Response(body, { status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
  return async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return text(404, 'not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed');
    const found = await lookupStatic(rendererDir, url.pathname);
    if (found.kind === 'not_built') return text(503, 'renderer not built: run npm run build');
    if (found.kind === 'bad_request') return text(400, 'bad path');
    if (found.kind === 'not_found') return text(404, 'not found');
    const body = request.method === 'HEAD' ? null : await readFile(found.path);
    return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': found.contentType } });
  };
}

/** Must run after app 'ready'. */
export function handleAppProtocol(protocol: ShellProtocol, rendererDir: string): void {
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir));
}
