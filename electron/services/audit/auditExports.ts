// Audit exports as the console's transports deliver them, in constant memory at any size:
// - the browser host: `audit:export` prepares the export (fresh checkpoint, the records it covers) and hands out a
//   single-use download path; the host streams the file when the window fetches it (token-guarded like every request);
// - Electron: the officer picks a file in a save dialog (an adapter of the shell) and the main process writes it;
// - the CLI: `audit export --out FILE` writes the file directly.
// Every export sends throttled `audit:exportProgress` events and is audited when it ends (the record lands after the
// export, so an export never contains itself); a refused start is audited at once. Files are written to a temporary
// file and renamed when complete (exportFile.ts).
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { AuditExportProgress, AuditExportStarted, CallContext } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError, type ErrorCode } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { AuditExportPlan, AuditExportSink, AuditExportSummary, AuditLog } from './auditLog.ts';
import { writeExportFile, type ExportFileOptions } from './exportFile.ts';
import { exportFileName } from './exportJsonl.ts';

/** A prepared export waiting for its download. */
export interface AuditExportTicket {
  id: string;
  plan: AuditExportPlan;
  expiresAt: number;
}

export interface AuditExportsDeps {
  audit: AuditLog;
  /** The live session: require() throws locked without one; actor() is the operator the records name. */
  session: { require(): void; actor(): string };
  emitProgress(p: AuditExportProgress): void;
  clock: Clock;
  logger?: Logger;
  /** Electron only: asks where to save (a save dialog); null when the officer cancelled. */
  chooseSavePath?: (suggestedName: string) => Promise<string | null>;
  /** How long a prepared download waits to be fetched (default 60 s). */
  ticketTtlMs?: number;
}

export interface AuditExports {
  /** The `audit:export` channel. */
  start(transport: CallContext['transport']): Promise<AuditExportStarted>;
  /** Takes a prepared download (single use); null when unknown or expired. */
  claim(id: string): AuditExportTicket | null;
  /** Streams a claimed export into the sink (the host's response); audited. Rejects when the sink got an incomplete export. */
  deliver(ticket: AuditExportTicket, sink: AuditExportSink): Promise<AuditExportSummary>;
  /** Prepares and writes an export to a file (the CLI); audited. */
  toFile(path: string, o: ExportFileOptions): Promise<AuditExportSummary>;
}

export const DEFAULT_EXPORT_TICKET_TTL_MS = 60_000;
/** At most about this many progress events per export (plus the first and the last). */
const PROGRESS_STEPS = 100;
export const AUDIT_DOWNLOAD_PREFIX = '/exports/audit/';

export function createAuditExports(deps: AuditExportsDeps): AuditExports {
  const tickets = new Map<string, AuditExportTicket>();
  const ttl = deps.ticketTtlMs ?? DEFAULT_EXPORT_TICKET_TTL_MS;

  function record(outcome: 'success' | 'failure', details: Record<string, string | number>): void {
    try {
      deps.audit.append({ actor: deps.session.actor(), action: 'audit.export', targetType: 'audit', targetId: null, outcome, details });
    } catch (e) {
      deps.logger?.error('the audit export could not be recorded', { error: isConsoleError(e) ? e.code : 'internal' });
    }
  }

  const asConsoleError = (e: unknown) => (isConsoleError(e) ? e : new ConsoleError('internal', 'audit.export failed unexpectedly.'));

  /** Runs a step of starting an export; a refusal is audited at once. */
  function refusalAudited<T>(step: () => T): T {
    try {
      return step();
    } catch (e) {
      const error = asConsoleError(e);
      record('failure', { code: error.code });
      throw error;
    }
  }

  /** Session and plan; a refusal is audited at once. */
  const prepare = (): AuditExportPlan => refusalAudited(() => {
    deps.session.require();
    return deps.audit.prepareExport();
  });

  /** Runs one export with progress events; audits how it ended. */
  async function run(id: string, plan: AuditExportPlan, write: (sink: (s: AuditExportSink) => Promise<AuditExportSummary>) => Promise<AuditExportSummary>) {
    const total = plan.headSeq;
    const step = Math.max(1, Math.ceil(total / PROGRESS_STEPS));
    let shown = 0;
    const progress = (state: AuditExportProgress['state'], records: number, bytes: number, error: { code: ErrorCode; message: string } | null = null) =>
      deps.emitProgress({ exportId: id, state, records, total, bytes, error });
    progress('running', 0, 0);
    try {
      const summary = await write((sink) =>
        deps.audit.writeExport(plan, sink, {
          onProgress: ({ records, bytes }) => {
            if (records - shown < step) return;
            shown = records;
            progress('running', records, bytes);
          },
        }),
      );
      record('success', { records: summary.records });
      progress('done', summary.records, summary.bytes);
      return summary;
    } catch (e) {
      const error = asConsoleError(e);
      record('failure', { code: error.code });
      progress('failed', shown, 0, { code: error.code, message: error.message });
      throw error;
    }
  }

  function purge(): void {
    const now = deps.clock.now();
    for (const [id, t] of tickets) if (t.expiresAt <= now) tickets.delete(id);
  }

  const newId = () => randomBytes(18).toString('base64url');

  return {
    async start(transport) {
      purge();
      if (transport === 'electron' && deps.chooseSavePath) {
        // Refused before the dialog opens, and audited like any refused start.
        refusalAudited(() => deps.session.require());
        const suggested = exportFileName(new Date(deps.clock.now()).toISOString());
        const path = await deps.chooseSavePath(suggested);
        if (path === null) return { exportId: null, fileName: suggested, records: 0, delivery: { kind: 'cancelled' } };
        const plan = prepare();
        const id = newId();
        // The window follows it through audit:exportProgress; the outcome is audited and logged, never lost.
        void run(id, plan, (write) => writeExportFile(path, { overwrite: true }, write)).catch((e: unknown) =>
          deps.logger?.warn('audit export to a file failed', { error: isConsoleError(e) ? e.code : 'internal' }));
        return { exportId: id, fileName: basename(path), records: plan.headSeq, delivery: { kind: 'file', path } };
      }
      const plan = prepare();
      const id = newId();
      tickets.set(id, { id, plan, expiresAt: deps.clock.now() + ttl });
      return { exportId: id, fileName: plan.fileName, records: plan.headSeq, delivery: { kind: 'download', path: AUDIT_DOWNLOAD_PREFIX + id } };
    },
    claim(id) {
      purge();
      const ticket = tickets.get(id) ?? null;
      tickets.delete(id);
      return ticket;
    },
    deliver(ticket, sink) {
      return run(ticket.id, ticket.plan, (write) => write(sink));
    },
    async toFile(path, o) {
      const plan = prepare();
      return run(newId(), plan, (write) => writeExportFile(path, o, write));
    },
  };
}
