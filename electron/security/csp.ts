// Content-Security-Policy for the console's pages. One builder serves Electron (app://console) and the browser
// host (which must also allow its own WebSocket origin). No inline script, no eval, no plugins, no framing.

export interface CspOptions {
  /** Extra connect-src sources, e.g. the browser host's ws:// origins. */
  connectSrc?: readonly string[];
}

export function buildCsp(options: CspOptions = {}): string {
  const connect = ["'self'", ...(options.connectSrc ?? [])].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The browser host's policy: 'self' plus the socket on both loopback names of the port. */
export function browserHostCsp(port: number): string {
  return buildCsp({ connectSrc: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });
}

/** Headers every console page response carries, in Electron and in the browser host. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
