// Verifies a JSON Lines export without the database: header, record chain, checkpoint signatures and the final seal
// (a signature over every byte before it). Pure: no I/O. test/fixtures/verify-audit-export.sh does the same with
// sha256sum and openssl.
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import type { AuditVerification } from '../../../shared/contract.ts';
import { checkpointMessage, GENESIS_HASH, headerLine, keyFingerprint, sealMessage, sha256Hex, withSignature } from './canonical.ts';
import { ed25519Key } from './walkChain.ts';

export interface ExportVerification extends AuditVerification {
  /** Where verification failed: the record (or checkpoint) seq, 1-based line number and reason in words. */
  firstBad: { seq: number; line: number; reason: string } | null;
  /** SHA-256 (hex) of the export's public key: compare it with the fingerprint the console shows. */
  publicKeyFingerprint: string | null;
  exportedAt: string | null;
}

const HEADER = /^\{"format":"ecps-uv-audit-export","version":1,"exportedAt":"([0-9T:.Z-]{1,40})","publicKey":"([A-Za-z0-9+/=]{1,200})","records":(0|[1-9][0-9]{0,14}),"checkpoints":(0|[1-9][0-9]{0,14})\}$/;
const RECORD = /^\{"seq":(0|[1-9][0-9]{0,14}),"ts":.*,"prev":"([0-9a-f]{64})"\}$/;
const CHECKPOINT = /^\{"type":"checkpoint","seq":([1-9][0-9]{0,14}),"head":"([0-9a-f]{64})","ts":"([0-9T:.Z-]{1,40})","signature":"([A-Za-z0-9+/=]{1,200})"\}$/;
const SEAL = /^\{"type":"seal","sha256":"([0-9a-f]{64})","signature":"([A-Za-z0-9+/=]{1,200})"\}$/;

/** Decodes base64 only in its one canonical spelling, so no two different texts carry the same bytes. */
function strictBase64(text: string): Buffer | null {
  const b = Buffer.from(text, 'base64');
  return b.toString('base64') === text ? b : null;
}

export function verifyExport(content: string | Uint8Array, trustedPublicKeySpki?: Buffer): ExportVerification {
  let checkedRecords = 0;
  let checkpoints = 0;
  let lastCheckpointSeq: number | null = null;
  let fingerprint: string | null = null;
  let exportedAt: string | null = null;
  function fail(seq: number, line: number, reason: string): ExportVerification {
    return { ok: false, checkedRecords, checkpoints, lastCheckpointSeq, firstBad: { seq, line, reason: `line ${line}: ${reason}` }, publicKeyFingerprint: fingerprint, exportedAt };
  }

  let text: string;
  if (typeof content === 'string') text = content;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      return fail(0, 0, 'the file is not valid UTF-8 text');
    }
  }

  if (!text.endsWith('\n')) return fail(0, 0, 'the file does not end with a line break (it was truncated or extended)');
  const lines = text.slice(0, -1).split('\n');
  const header = HEADER.exec(lines[0] ?? '');
  if (!header) return fail(0, 1, 'not an ECPS-UV audit export header');
  const [, at, keyText, recordsText, checkpointsText] = header as unknown as [string, string, string, string, string];
  const spki = strictBase64(keyText);
  const key: KeyObject | null = spki ? ed25519Key(spki) : null;
  if (!spki || !key) return fail(0, 1, 'the header public key is not an Ed25519 key in DER SPKI base64');
  fingerprint = keyFingerprint(spki);
  if (Number.isNaN(Date.parse(at)) || new Date(Date.parse(at)).toISOString() !== at) return fail(0, 1, 'the export time is not an ISO time');
  exportedAt = at;
  if (headerLine(at, spki, Number(recordsText), Number(checkpointsText)) !== lines[0]) return fail(0, 1, 'the header is not in canonical form');
  if (trustedPublicKeySpki && !trustedPublicKeySpki.equals(spki)) {
    return fail(0, 1, `the export is signed by key ${fingerprint}, not by the trusted audit key ${keyFingerprint(trustedPublicKeySpki)}`);
  }

  // Records: consecutive seq from 1, each line's prev = SHA-256 of the previous record line.
  const hashes: string[] = [];
  let prev = GENESIS_HASH;
  let i = 1;
  for (; i < lines.length && (lines[i] as string).startsWith('{"seq":'); i++) {
    const line = lines[i] as string;
    const expected = hashes.length + 1;
    const m = RECORD.exec(line);
    if (!m) return fail(expected, i + 1, `record ${expected} is malformed`);
    const seq = Number(m[1]);
    if (seq !== expected) {
      return fail(expected, i + 1, seq > expected ? `record ${expected} is missing (deleted or reordered)` : `record ${seq} appears out of order (inserted, duplicated or reordered)`);
    }
    if (m[2] !== prev) {
      return fail(seq - 1, i, seq === 1 ? 'record 1 does not start the chain' : `record ${seq - 1} was modified (record ${seq} no longer links to it), or the link in record ${seq} was`);
    }
    prev = sha256Hex(line);
    hashes.push(prev);
    checkedRecords = seq;
  }
  const lastSeq = hashes.length;
  if (lastSeq !== Number(recordsText)) {
    return fail(lastSeq + 1, i + 1, `the header announces ${recordsText} records but the file holds ${lastSeq} (records were removed or added)`);
  }

  // Checkpoints: ascending seq, head = hash of that record, Ed25519 signature over the line without its signature.
  let cpCount = 0;
  for (; i < lines.length - 1 && (lines[i] as string).startsWith('{"type":"checkpoint"'); i++) {
    const line = lines[i] as string;
    const m = CHECKPOINT.exec(line);
    if (!m) return fail(lastSeq, i + 1, 'a checkpoint line is malformed');
    const [, seqText, head, ts, sigText] = m as unknown as [string, string, string, string, string];
    const seq = Number(seqText);
    const sig = strictBase64(sigText);
    const message = checkpointMessage(seq, head, ts);
    if (!sig || withSignature(message, sig) !== line) return fail(seq, i + 1, `the checkpoint at record ${seq} is not in canonical form`);
    if (lastCheckpointSeq !== null && seq <= lastCheckpointSeq) return fail(seq, i + 1, `the checkpoint at record ${seq} is out of order or duplicated`);
    if (seq > lastSeq) return fail(lastSeq + 1, i + 1, `the checkpoint at record ${seq} refers to records that were removed (records ${lastSeq + 1} to ${seq} are missing)`);
    if (hashes[seq - 1] !== head) return fail(seq, i + 1, `the checkpoint at record ${seq} does not match the chain (records up to ${seq} were changed)`);
    if (!verifySignature(null, Buffer.from(message), key, sig)) return fail(seq, i + 1, `the checkpoint at record ${seq} has an invalid signature`);
    cpCount++;
    checkpoints = cpCount;
    lastCheckpointSeq = seq;
  }
  if (cpCount !== Number(checkpointsText)) {
    return fail(lastCheckpointSeq ?? 0, i + 1, `the header announces ${checkpointsText} checkpoints but the file holds ${cpCount}`);
  }

  // Seal: the last line signs SHA-256 of every byte before it, header included.
  if (i !== lines.length - 1) return fail(lastSeq, i + 1, 'unexpected line (the file must end with exactly one seal line)');
  const seal = SEAL.exec(lines[i] as string);
  if (!seal) return fail(lastSeq, i + 1, 'the seal line is missing or malformed (the export was truncated or edited)');
  const sealSig = strictBase64(seal[2] as string);
  const sealMsg = sealMessage(seal[1] as string);
  if (!sealSig || withSignature(sealMsg, sealSig) !== lines[i]) return fail(lastSeq, i + 1, 'the seal is not in canonical form');
  const prefix = text.slice(0, text.length - (lines[i] as string).length - 1);
  if (sha256Hex(prefix) !== seal[1]) return fail(lastSeq, i + 1, 'the seal does not match the file: a line before it was changed');
  if (!verifySignature(null, Buffer.from(sealMsg), key, sealSig)) return fail(lastSeq, i + 1, 'the seal signature is invalid');
  return { ok: true, checkedRecords, checkpoints, lastCheckpointSeq, firstBad: null, publicKeyFingerprint: fingerprint, exportedAt };
}
