// The report:* channels of the IPC contract (spread into `contract` in contract.ts): the compliance report of issue 14
// (docs/compliance-report.md). A report covers a period [from, to] and is a PDF or a CSV, signed with the console's
// audit key (a detached Ed25519 signature over the file's bytes, verifiable with openssl). The file crosses IPC as
// base64: it carries no secret (counts, key ids, operator names, audit heads).
import { z } from 'zod';
import { channel } from './channel.ts';

export const REPORT_FORMATS = ['pdf', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * A period bound: a date (`2026-03-01`; `from` is that day's start, `to` its end, in UTC) or an ISO date-time with an
 * offset. The schema only bounds the text; the report service parses it and names the bad field (`invalid_input`).
 */
const PeriodBound = z.string().trim().min(1).max(40);

export const ReportGenerated = z.object({
  fileName: z.string(),
  format: z.enum(REPORT_FORMATS),
  /** The report's bytes, base64. */
  content: z.string(),
  /** The detached Ed25519 signature over exactly those bytes, base64 (saved as `<fileName>.sig`, raw bytes). */
  signature: z.string(),
  signatureFileName: z.string(),
  /** The audit public key that verifies it (PEM, SPKI), and its fingerprint: SHA-256 (hex) of the DER key. */
  publicKeyPem: z.string(),
  keyFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /** SHA-256 (hex) of the report's bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The period as the report states it (ISO date-times, UTC, both ends included). */
  from: z.string(),
  to: z.string(),
});
export type ReportGenerated = z.infer<typeof ReportGenerated>;

export const reportChannels = {
  /** Builds, signs and audits (report.generate) the compliance report of a period. */
  'report:generate': channel(z.object({ from: PeriodBound, to: PeriodBound, format: z.enum(REPORT_FORMATS) }).strict(), ReportGenerated),
} as const;
