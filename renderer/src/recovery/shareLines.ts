// The shares an officer types or pastes at the recovery ceremony or a restore, one per line (docs/recovery-and-backup.md
// "Share format": ecps-share1:<store>:<set>:<k>of<n>:<index>:<custodian>:<hex>:<checksum>). The window reads only the
// fields that are not secret (whose share it is, of which set) to list what was entered; the main process checks
// everything (checksum, store, set, duplicates, count) and names the share it refuses (details.share, its position).

/** The non-empty lines of a textarea, trimmed: one share each. */
export function shareLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export interface ShareLabel {
  custodian: string;
  index: number;
  threshold: number;
  count: number;
  setId: string;
}

/** Whose share a line is, from its visible fields; null when the line is not shaped like a share. */
export function describeShare(line: string): ShareLabel | null {
  const parts = line.trim().split(':');
  if (parts.length !== 8 || parts[0] !== 'ecps-share1') return null;
  const kn = /^(\d{1,3})of(\d{1,3})$/.exec(parts[3]!);
  if (!kn || !/^\d{1,3}$/.test(parts[4]!)) return null;
  let custodian: string;
  try {
    custodian = decodeURIComponent(parts[5]!);
  } catch {
    return null;
  }
  return { custodian, index: Number(parts[4]), threshold: Number(kn[1]), count: Number(kn[2]), setId: parts[2]! };
}

export interface ShareRefusal {
  /** The refused share's place in the list (1-based), or null when the refusal is about the whole list. */
  share: number | null;
  message: string;
}

type Details = Readonly<Record<string, unknown>>;
const num = (d: Details, k: string) => (typeof d[k] === 'number' ? (d[k] as number) : Number.NaN);

/** What each refusal of a share (details.reason) means for the officer holding the list. */
const REASON_WORDS: Readonly<Record<string, (d: Details) => string>> = {
  share_malformed: () => 'This line is not a recovery share: check that it was copied whole, from “ecps-share1:” to its end.',
  share_checksum: () => 'This share does not match its checksum: it was mistyped or damaged. Check it character by character.',
  share_foreign_store: () => 'This share belongs to another key store, not this one.',
  share_mixed_sets: () => 'This share is from another share set than the first one: use shares of one set.',
  share_duplicate: () => 'This share was already entered above: each custodian’s share counts once.',
  share_altered: () => 'This share is not the one this console handed out: it was altered.',
  share_other_backup: () => 'This share belongs to another backup.',
  too_few_shares: (d) => `Too few shares: ${num(d, 'given')} entered, this set needs ${num(d, 'needed')}. Add the shares of more custodians.`,
  backup_without_shares: () => 'This backup was not split into shares: restore it with its passphrase.',
};

/** A share refusal of the main process in words, with the share it names; null for any other error. */
export function shareRefusal(error: unknown): ShareRefusal | null {
  // The error as the window holds it (api.ts ApiError): an Error with the envelope's code and details.
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'invalid_input') return null;
  const details: Details = (error as { details?: Details }).details ?? {};
  const words = typeof details.reason === 'string' ? REASON_WORDS[details.reason] : undefined;
  if (!words) return null;
  const at = num(details, 'share');
  return { share: Number.isInteger(at) && at > 0 ? at : null, message: words(details) };
}
