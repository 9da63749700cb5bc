// Field rules of the provider configuration. Each check names where the value came from: the configuration field
// (snake_case, as in the specification) or the environment variable, so the one error message says what to fix.
import path from 'node:path';
import { ConsoleError } from '../../../shared/errors.ts';

export type Source = 'config' | 'env' | 'default';

/** A raw value and its origin: field name in the dictionary, or the environment variable. */
export interface RawValue {
  field: string;
  source: Source;
  /** Where to look to fix it: `vault_url` or `VAULT_ADDR (environment)`. */
  where: string;
  value: unknown;
}

export function bad(raw: Pick<RawValue, 'field' | 'where'>, rule: string): ConsoleError {
  return new ConsoleError('invalid_input', `Provider configuration: ${raw.where} ${rule}.`, { field: raw.field });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function text(raw: RawValue, pattern: RegExp, rule: string, maxLength = 4096): string {
  if (typeof raw.value !== 'string') throw bad(raw, 'must be text');
  const v = raw.source === 'env' ? raw.value.trim() : raw.value;
  if (v.length === 0) throw bad(raw, 'must not be empty');
  if (v.length > maxLength) throw bad(raw, `must be at most ${maxLength} characters`);
  if (!pattern.test(v)) throw bad(raw, rule);
  return v;
}

/** Environment strings "true/false/1/0/yes/no"; dictionary values must be real booleans. */
export function bool(raw: RawValue): boolean {
  if (typeof raw.value === 'boolean') return raw.value;
  if (raw.source === 'env' && typeof raw.value === 'string') {
    const v = raw.value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
  }
  throw bad(raw, raw.source === 'env' ? 'must be true or false' : 'must be true or false (a boolean, not text)');
}

export function integer(raw: RawValue, min: number, max: number): number {
  const v = raw.source === 'env' && typeof raw.value === 'string' && /^\s*\d+\s*$/.test(raw.value) ? Number(raw.value) : raw.value;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(raw, `must be a whole number from ${min} to ${max}`);
  if (v < min || v > max) throw bad(raw, `must be from ${min} to ${max}`);
  return v;
}

/** https URL; plain http only for the loopback interface (emulators, a local Vault dev server). */
export function serviceUrl(raw: RawValue, options: { allowPath?: boolean } = {}): string {
  if (typeof raw.value !== 'string' || raw.value.trim() === '') throw bad(raw, 'must be a URL such as https://host:port');
  let url: URL;
  try {
    url = new URL(raw.value.trim());
  } catch {
    throw bad(raw, 'must be a URL such as https://host:port');
  }
  if (url.username || url.password) throw bad(raw, 'must not carry credentials (put secrets in their own settings)');
  if (url.search || url.hash) throw bad(raw, 'must not have a query or fragment');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw bad(raw, 'must use https (plain http is accepted only for 127.0.0.1 / localhost)');
  }
  if (!options.allowPath && url.pathname !== '/' && url.pathname !== '') throw bad(raw, 'must not have a path');
  return url.pathname === '/' ? url.origin : url.href.replace(/\/$/, '');
}

export function absolutePath(raw: RawValue): string {
  if (typeof raw.value !== 'string' || raw.value.trim() === '') throw bad(raw, 'must be a file path');
  const v = raw.value.trim();
  if (v.includes('\u0000')) throw bad(raw, 'must not contain NUL characters');
  if (!path.isAbsolute(v)) throw bad(raw, 'must be an absolute path');
  return path.normalize(v);
}

export const PATTERNS = {
  awsRegion: /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/,
  awsAccessKeyId: /^[A-Z0-9]{16,128}$/,
  opaqueSecret: /^[\x21-\x7e]+$/,
  guid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  tenant: /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$/,
  gcpProject: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
  gcpLocation: /^[a-z0-9-]{1,63}$/,
  gcpKeyRing: /^[A-Za-z0-9_-]{1,63}$/,
  // Path segments, never "." or ".." (no climbing out of the mount); the same rule the Vault adapter applies.
  vaultNamespace: /^(?!\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+)*$/,
  // ... and a mount is a secrets engine, never a system path.
  vaultMount: /^(?!(?:sys|auth|identity|cubbyhole)(?:\/|$))(?!\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+)*$/,
  tokenLabel: /^[\x20-\x7e]{1,32}$/,
} as const;
