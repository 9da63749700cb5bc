// The compliance report (issue 14, docs/compliance-report.md): for a period, the figures of reportData.ts rendered as a
// PDF or a CSV and signed with the audit key (a detached Ed25519 signature over the file's bytes). Audited as
// report.generate (period, format, SHA-256 of the file) after the report is built, so a report never counts itself.
// The chain is checkpointed and verified first: the report states the verdict and the heads it saw.
import { createHash, createPublicKey } from 'node:crypto';
import type { ReportFormat, ReportGenerated } from '../../../shared/reportContract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { ReportRepo } from '../../store/reportRepo.ts';
import { parsePeriod } from './period.ts';
import { collectReport, type ReportSources } from './reportData.ts';
import { renderCsv } from './reportCsv.ts';
import { loadReportFonts } from './reportFonts.ts';

export interface ReportDeps {
  repo: ReportRepo;
  audit: AuditLog;
  session: { require(): { storeId: string }; actor(): string };
  clock: Clock;
  policyOf: ReportSources['policyOf'];
  /** The folder of the PDF's font files (the Electron bundle's dist-electron/fonts); absent: the npm package's. */
  fontDir?: string | null;
}

export interface GeneratedReport extends Omit<ReportGenerated, 'content' | 'signature'> {
  bytes: Buffer;
  signatureBytes: Buffer;
}

export interface ReportService {
  generate(input: { from: string; to: string; format: ReportFormat }): Promise<GeneratedReport>;
}

export function createReportService(deps: ReportDeps): ReportService {
  const { audit, session } = deps;
  return {
    async generate(input) {
      const unlocked = session.require();
      const details: Record<string, string> = { format: input.format, from: input.from.slice(0, 40), to: input.to.slice(0, 40) };
      try {
        const period = parsePeriod(input.from, input.to);
        Object.assign(details, { from: period.from, to: period.to });
        // A fresh checkpoint, so the head the report states is signed; then the whole chain is verified.
        audit.checkpoint();
        const verification = audit.verify();
        const now = deps.clock.now();
        const data = collectReport(
          { repo: deps.repo, policyOf: deps.policyOf, verification },
          { period, generatedAt: new Date(now).toISOString(), generatedBy: session.actor(), storeId: unlocked.storeId, keyFingerprint: audit.keyFingerprint() },
          now,
        );
        // pdf-lib is loaded at the first PDF, not at start-up: every major GC of the main process marks what it loads.
        const bytes = input.format === 'pdf' ? await (await import('./reportPdf.ts')).renderPdf(data, loadReportFonts(deps.fontDir)) : renderCsv(data);
        const { signature, publicKeySpki } = audit.signDocument(bytes);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const fileName = `ecps-compliance-${period.from.slice(0, 10)}-to-${period.to.slice(0, 10)}.${input.format}`;
        audit.append({ actor: session.actor(), action: 'report.generate', targetType: 'audit', targetId: null, outcome: 'success', details: { ...details, sha256, bytes: bytes.length } });
        return {
          fileName,
          format: input.format,
          bytes,
          signatureBytes: signature,
          signatureFileName: `${fileName}.sig`,
          publicKeyPem: createPublicKey({ key: publicKeySpki, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString(),
          keyFingerprint: data.keyFingerprint,
          sha256,
          from: period.from,
          to: period.to,
        };
      } catch (e) {
        const code = isConsoleError(e) ? e.code : 'internal';
        audit.append({ actor: session.actor(), action: 'report.generate', targetType: 'audit', targetId: null, outcome: 'failure', details: { ...details, code } });
        throw isConsoleError(e) ? e : new ConsoleError('internal', 'Generating the compliance report failed unexpectedly.');
      }
    },
  };
}

/** The report:generate channel: the file and its signature as base64. */
export function createReportHandlers(reports: ReportService) {
  return {
    'report:generate': async (input: { from: string; to: string; format: ReportFormat }): Promise<ReportGenerated> => {
      const { bytes, signatureBytes, ...rest } = await reports.generate(input);
      return { ...rest, content: bytes.toString('base64'), signature: signatureBytes.toString('base64') };
    },
  };
}
