// Checks an entry before it is hashed into the chain: shapes and sizes, and a guard that refuses anything that looks
// like a secret (a future caller's mistake must fail loudly instead of writing key material into the audit log).
import { ConsoleError } from '../../../shared/errors.ts';
import type { AuditEntry } from './auditLog.ts';
import { canonicalDetails } from './canonical.ts';

const ACTION = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$/;
const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
const TARGET_TYPES = new Set(['key', 'robot', 'store', 'audit', 'operator', 'channel', 'approval']);
/** Detail names that would carry secrets. Matched case-insensitively, also inside camelCase names (e.g. newPassphrase). */
const SECRET_KEY = /pass(word|phrase)?|secret|private|plaintext|material|mnemonic|seed|token|credential|^pin$|pin_?code|^(dek|kek)$|^key$|master/i;
const PEM_PRIVATE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** Lone UTF-16 surrogates and NUL cannot round-trip through the database unchanged. */
const UNSTORABLE = /[\uD800-\uDFFF\u0000]/u;
const MAX_TEXT = 256;
const MAX_DETAIL_VALUE = 2000;
/**
 * A detail whose name ends in `List` is a space-separated list (a batch record naming every item it covers, e.g. the
 * serials of ca.revoke.batch: 1,000 device ids of 64 characters and their separators fit).
 */
const LIST_DETAIL = /List$/;
const MAX_LIST_VALUE = 65_536;
const MAX_DETAILS = 32;

export interface ValidEntry {
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  details: string;
}

function bad(message: string): never {
  throw new ConsoleError('invalid_input', `Audit entry refused: ${message}`);
}

function text(name: string, value: unknown, max: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0) bad(`${name} must be a non-empty string`);
  if (value.length > max) bad(`${name} is longer than ${max} characters`);
  if (UNSTORABLE.test(value) || /[\u0000-\u001f\u007f]/.test(value)) bad(`${name} contains control or invalid characters`);
  if (pattern && !pattern.test(value)) bad(`${name} has an invalid format`);
  if (PEM_PRIVATE.test(value)) bad(`${name} looks like private key material`);
  return value;
}

export function validateEntry(entry: AuditEntry): ValidEntry {
  if (typeof entry !== 'object' || entry === null) bad('not an object');
  const actor = text('actor', entry.actor, 128);
  const action = text('action', entry.action, 64, ACTION);
  const targetType = entry.targetType ?? null;
  if (targetType !== null && !TARGET_TYPES.has(targetType)) bad('targetType must be key, robot, store, audit, operator, channel, approval or null');
  const targetId = entry.targetId === null || entry.targetId === undefined ? null : text('targetId', entry.targetId, MAX_TEXT);
  if (entry.outcome !== 'success' && entry.outcome !== 'failure') bad('outcome must be success or failure');
  return { actor, action, targetType, targetId, outcome: entry.outcome, details: validDetails(entry.details) };
}

function validDetails(details: AuditEntry['details']): string {
  if (details === undefined) return '{}';
  if (typeof details !== 'object' || details === null || Array.isArray(details) || Object.getPrototypeOf(details) !== Object.prototype) {
    bad('details must be a plain object');
  }
  const keys = Object.keys(details);
  if (keys.length > MAX_DETAILS) bad(`details has more than ${MAX_DETAILS} fields`);
  for (const k of keys) {
    if (!DETAIL_KEY.test(k) || k.length > 64) bad(`detail name "${k.slice(0, 64)}" is not a simple identifier`);
    if (SECRET_KEY.test(k)) bad(`detail "${k}" looks like a secret; the audit log never records secrets`);
    const v = details[k];
    if (typeof v === 'string') {
      const max = LIST_DETAIL.test(k) ? MAX_LIST_VALUE : MAX_DETAIL_VALUE;
      if (v.length > max) bad(`detail "${k}" is longer than ${max} characters`);
      if (UNSTORABLE.test(v)) bad(`detail "${k}" contains NUL or an unpaired surrogate`);
      if (PEM_PRIVATE.test(v)) bad(`detail "${k}" looks like private key material`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) bad(`detail "${k}" must be a finite number`);
    } else if (typeof v !== 'boolean' && v !== null) {
      bad(`detail "${k}" must be a string, number, boolean or null`);
    }
  }
  return canonicalDetails(details);
}
