// The byte formats of the audit chain: record lines, checkpoint and seal messages, the export header. Everything
// that is hashed or signed is built here and nowhere else, so the log, the export and the verifiers cannot drift.
// The same formats are described in docs/audit-log.md and checked by test/fixtures/verify-audit-export.sh.
import { hash } from 'node:crypto';
import type { AuditRecordInsert } from '../../store/auditRepo.ts';

export const EXPORT_FORMAT = 'ecps-uv-audit-export';
export const EXPORT_VERSION = 1;
/** The first record's prev is SHA-256 of this ASCII text. */
export const GENESIS_TEXT = 'ECPS-UV-AUDIT-GENESIS-V1';
export const GENESIS_HASH = sha256Hex(GENESIS_TEXT);

export function sha256Hex(data: string | Buffer): string {
  // One-shot hashing: about 3x faster than createHash().update().digest() on a record line (docs/audit-log.md).
  return hash('sha256', data, 'hex');
}

/** A stored record as columns (details is its canonical JSON text, keys sorted): the row without its hash. */
export type RecordColumns = Omit<AuditRecordInsert, 'hash'>;

/**
 * The record line and the checkpoint message, built by one self-contained function (it refers to nothing outside its
 * body), so the verification workers compile this same function from its source text (parallelWalk.ts): the lines
 * they hash cannot drift from the ones written here.
 */
export function canonicalFormats() {
  // Printable ASCII without `"` and `\`: JSON.stringify only adds the quotes, so they are added directly (faster).
  const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
  const str = (s: string | null): string => (s === null ? 'null' : PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
  return {
    str,
    /** The canonical line of a record: fixed key order, no spaces; hash = SHA-256 of its UTF-8 bytes. */
    recordLine(seq: number, ts: string, actor: string, action: string, targetType: string | null, targetId: string | null,
      outcome: string, details: string, prev: string): string {
      return `{"seq":${seq},"ts":${str(ts)},"actor":${str(actor)},"action":${str(action)},"targetType":${str(targetType)},"targetId":${str(targetId)},"outcome":${str(outcome)},"details":${details},"prev":"${prev}"}`;
    },
    /** The signed message of a checkpoint; its export line is this object plus a final "signature" member. */
    checkpointMessage(seq: number, head: string, ts: string): string {
      return `{"type":"checkpoint","seq":${seq},"head":"${head}","ts":${str(ts)}}`;
    },
    /** The signature bytes when the text is canonical base64 of 64 bytes (so no two texts carry the same signature). */
    canonicalSignature(text: string): Buffer | null {
      const sig = Buffer.from(text, 'base64');
      return sig.length === 64 && sig.toString('base64') === text ? sig : null;
    },
  };
}

const formats = canonicalFormats();
const str = formats.str;
export const recordLine = formats.recordLine;
export const checkpointMessage = formats.checkpointMessage;
export const canonicalSignature = formats.canonicalSignature;

/** Canonical JSON of a details object: keys sorted, values already validated as string | finite number | boolean | null. */
export function canonicalDetails(details: Record<string, string | number | boolean | null>): string {
  const keys = Object.keys(details).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out += (i ? ',' : '') + JSON.stringify(k) + ':' + JSON.stringify(details[k]);
  }
  return out + '}';
}

/** The signed message of an export's last line: SHA-256 (hex) of every byte of the file before that line. */
export function sealMessage(prefixSha256: string): string {
  return `{"type":"seal","sha256":"${prefixSha256}"}`;
}

/** Appends the signature member to a signed message (an object literal ending in '}'). */
export function withSignature(message: string, signature: Buffer): string {
  return `${message.slice(0, -1)},"signature":"${signature.toString('base64')}"}`;
}

export function headerLine(exportedAt: string, publicKeySpki: Buffer, records: number, checkpoints: number): string {
  return `{"format":"${EXPORT_FORMAT}","version":${EXPORT_VERSION},"exportedAt":${str(exportedAt)},"publicKey":"${publicKeySpki.toString('base64')}","records":${records},"checkpoints":${checkpoints}}`;
}

/** SHA-256 fingerprint (hex) of a DER SPKI public key, as shown to users for comparison. */
export function keyFingerprint(spki: Buffer): string {
  return sha256Hex(spki);
}
