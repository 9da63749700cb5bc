// The browser host's audit export download: GET /exports/audit/<id>, where <id> is the single-use ticket that
// audit:export handed to the window over the (token-guarded) socket. The request has already passed the host guard
// (token, Host, Origin); the export is streamed into the response with backpressure, in constant memory. A failure
// after the headers went out destroys the connection, so the browser marks the download failed (the file also lacks
// its seal line, which every verifier requires).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import type { Logger } from '../logger.ts';
import { AUDIT_DOWNLOAD_PREFIX, type AuditExports } from '../services/audit/auditExports.ts';

const TICKET = /^[A-Za-z0-9_-]{16,64}$/;

export function isAuditDownload(pathname: string): boolean {
  return pathname.startsWith(AUDIT_DOWNLOAD_PREFIX);
}

export interface AuditDownloadRequest {
  req: IncomingMessage;
  res: ServerResponse;
  pathname: string;
  exports: AuditExports;
  /** The host's security headers (CSP, nosniff, no-store, ...). */
  headers: Record<string, string>;
  logger: Logger;
}

function refuse(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export async function serveAuditDownload(r: AuditDownloadRequest): Promise<void> {
  const { req, res, headers } = r;
  // GET only: a HEAD (or anything else) must not use up the single-use ticket.
  if (req.method !== 'GET') {
    refuse(res, 405, 'ECPS console: method not allowed', { ...headers, Allow: 'GET' });
    return;
  }
  const id = r.pathname.slice(AUDIT_DOWNLOAD_PREFIX.length);
  const ticket = TICKET.test(id) ? r.exports.claim(id) : null;
  if (!ticket) {
    refuse(res, 404, 'ECPS console: unknown or expired audit export (start the export again)', headers);
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'application/x-ndjson; charset=utf-8',
    'Content-Disposition': `attachment; filename="${ticket.plan.fileName}"`,
  });
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const gone = () => new ConsoleError('cancelled', 'The audit export download was closed before it finished.');
  try {
    await r.exports.deliver(ticket, {
      async write(chunk) {
        if (closed || res.destroyed) throw gone();
        if (res.write(chunk)) return;
        await new Promise<void>((resolve, reject) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            if (closed || res.destroyed) reject(gone());
            else resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      },
    });
    res.end();
  } catch (e) {
    r.logger.warn('audit export download failed', { error: isConsoleError(e) ? e.code : 'internal' });
    res.destroy();
  }
}
