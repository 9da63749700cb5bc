// Recovery codes for a lost authenticator or token (issue 14, docs/operators.md "Recovery codes"): at a factor's
// enrolment (and when the operator regenerates them) the console makes RECOVERY_CODE_COUNT random codes, shows them
// once and keeps only slow hashes: scrypt with the store's parameters (the passphrase KDF) over the code bound to the
// store and the operator, with one random salt per set. At unlock a code stands in for the second factor once.
import crypto from 'node:crypto';
import { deriveKek, SALT_BYTES } from '../../crypto/kdf.ts';
import type { RecoveryCodeRow } from '../../store/operatorsRepo.ts';
import type { KdfParams } from '../../store/storeMetaRepo.ts';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 alphabet (no I, L, O, U): 5 bits a character. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 16 characters: 80 random bits a code, shown as four groups of four. */
const CODE_CHARS = 16;

/** One new code, e.g. `7K2M-9QXD-4HNA-0TRB`. */
function newCode(): string {
  const bytes = crypto.randomBytes((CODE_CHARS * 5) / 8);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join('-');
}

/**
 * The code as hashed: dashes and spaces dropped, upper case, and Crockford's look-alikes read as digits (O as 0,
 * I and L as 1); null when what is left is not a code's 16 characters of the alphabet.
 */
export function normalizeRecoveryCode(code: string): string | null {
  const s = code.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== CODE_CHARS) return null;
  for (const ch of s) if (!ALPHABET.includes(ch)) return null;
  return s;
}

/** The slow hash of a normalized code for this store and operator (a code of another operator hashes otherwise). */
const hashOf = (storeId: string, operator: string, normalized: string, salt: Buffer, kdf: KdfParams) =>
  deriveKek(`ecps/recovery-code/v1|${storeId}|${operator.normalize('NFC')}|${normalized}`, salt, kdf);

/** A new set: the codes to show once, and the rows to store (hashes only). */
export async function makeRecoveryCodes(storeId: string, operator: string, kdf: KdfParams): Promise<{ codes: string[]; rows: RecoveryCodeRow[] }> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const codes: string[] = [];
  const rows: RecoveryCodeRow[] = [];
  // One at a time: each derivation takes the KDF's work area (128 MiB at the production cost).
  for (let position = 0; position < RECOVERY_CODE_COUNT; position++) {
    const code = newCode();
    codes.push(code);
    rows.push({ position, kdf, salt, hash: await hashOf(storeId, operator, normalizeRecoveryCode(code)!, salt, kdf) });
  }
  return { codes, rows };
}

/**
 * The position of the unused code that `code` is, or null. One derivation per salt (a set shares its salt), then a
 * constant-time comparison with every unused hash.
 */
export async function matchRecoveryCode(rows: readonly RecoveryCodeRow[], storeId: string, operator: string, code: string): Promise<number | null> {
  const normalized = normalizeRecoveryCode(code);
  if (normalized === null || rows.length === 0) return null;
  const bySalt = new Map<string, RecoveryCodeRow[]>();
  for (const r of rows) {
    const k = `${r.salt.toString('hex')}|${JSON.stringify(r.kdf)}`;
    bySalt.set(k, [...(bySalt.get(k) ?? []), r]);
  }
  let found: number | null = null;
  for (const group of bySalt.values()) {
    const first = group[0]!;
    const hash = await hashOf(storeId, operator, normalized, first.salt, first.kdf);
    for (const r of group) if (r.hash.length === hash.length && crypto.timingSafeEqual(r.hash, hash) && found === null) found = r.position;
    hash.fill(0);
  }
  return found;
}
