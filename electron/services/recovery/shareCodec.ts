// The text form of one recovery share (docs/recovery-and-backup.md, "Share format"): one line a custodian can keep on
// paper or in a file and type back at the ceremony. It names the store, the share set, k and n, the share's index and
// its custodian, so a share of another store or set is refused by name, and ends with a checksum so a mistyped share
// is refused before any arithmetic:
//   ecps-share1:<store id>:<set id>:<k>of<n>:<index>:<custodian, URI-encoded>:<share, hex>:<checksum>
// The checksum is the first 8 hex digits of SHA-256 over everything before it: it catches typing mistakes, not
// forgeries (the commitment stored per share, and finally the master key's own check, catch those).
import crypto from 'node:crypto';
import { ConsoleError } from '../../../shared/errors.ts';

export const SHARE_PREFIX = 'ecps-share1';
const CHECK_DIGITS = 8;

export interface DecodedShare {
  storeId: string;
  setId: string;
  threshold: number;
  count: number;
  index: number;
  custodian: string;
  bytes: Buffer;
}

const checksum = (body: string) => crypto.createHash('sha256').update(body, 'utf8').digest('hex').slice(0, CHECK_DIGITS);

export function encodeShare(s: DecodedShare): string {
  const body = [SHARE_PREFIX, s.storeId, s.setId, `${s.threshold}of${s.count}`, String(s.index), encodeURIComponent(s.custodian), s.bytes.toString('hex')].join(':');
  return `${body}:${checksum(body)}`;
}

/** What is wrong with a share, as details.reason of the invalid_input refusal. */
export type ShareProblem =
  | 'share_malformed'
  | 'share_checksum'
  | 'share_foreign_store'
  | 'share_mixed_sets'
  | 'share_duplicate'
  | 'too_few_shares'
  | 'share_altered'
  | 'share_other_backup'
  | 'backup_without_shares';

export const shareError = (reason: ShareProblem, message: string, details: Record<string, string | number> = {}) =>
  new ConsoleError('invalid_input', message, { field: 'shares', reason, ...details });

/** Parses one share line (`position` is its 1-based place in the list, for the message); throws a typed refusal. */
export function decodeShare(text: string, position: number): DecodedShare {
  const line = text.trim();
  const parts = line.split(':');
  const malformed = (what: string) => shareError('share_malformed', `Share ${position} is not a recovery share of this console (${what}).`, { share: position });
  if (parts.length !== 8 || parts[0] !== SHARE_PREFIX) throw malformed(`expected 8 fields starting with ${SHARE_PREFIX}`);
  const [, storeId, setId, kOfN, indexText, custodianText, hex, check] = parts as [string, string, string, string, string, string, string, string];
  if (check.toLowerCase() !== checksum(parts.slice(0, 7).join(':'))) {
    throw shareError('share_checksum', `Share ${position} does not match its checksum: it was mistyped or damaged. Check it character by character.`, { share: position });
  }
  const kn = /^(\d{1,3})of(\d{1,3})$/.exec(kOfN);
  if (!kn || !/^\d{1,3}$/.test(indexText) || !/^([0-9a-f]{2})+$/.test(hex)) throw malformed('a field is out of shape');
  let custodian: string;
  try {
    custodian = decodeURIComponent(custodianText);
  } catch {
    throw malformed('the custodian name is not decodable');
  }
  const threshold = Number(kn[1]);
  const count = Number(kn[2]);
  const index = Number(indexText);
  if (threshold < 2 || threshold > count || index < 1 || index > count) throw malformed('k, n or the index are out of range');
  return { storeId, setId, threshold, count, index, custodian, bytes: Buffer.from(hex, 'hex') };
}
