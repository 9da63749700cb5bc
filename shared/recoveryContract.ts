// Recovery and backup (issue 14, docs/recovery-and-backup.md). recovery:* splits the master key into k-of-n shares for
// named custodians (each share returned once, never stored) and runs the recovery ceremony (k shares give an admin
// slot back when no operator can sign in); backup:* writes the whole store, encrypted under a backup key wrapped by a
// passphrase the custodians hold, and restores such a file into a fresh data folder. Spread into `contract` in
// contract.ts. Only recovery:createShares carries secrets back (the shares, once).
import { z } from 'zod';
import { channel } from './channel.ts';
import { OperatorName, OperatorRoleSchema } from './operatorsContract.ts';

const IsoTime = z.string().datetime({ offset: true });
const Passphrase = z.string().min(1).max(1024);
/** A custodian is a person, named like an operator (the name is printed on their share). */
export const CustodianName = OperatorName;
/** At most 16 custodians: the shares are typed by hand at the ceremony, and the library allows 255. */
export const MAX_CUSTODIANS = 16;
/** A share as typed or pasted: one text line (docs/recovery-and-backup.md, "Share format"). */
const ShareText = z.string().trim().min(1).max(512);
/** An absolute file or folder path on the console's computer. */
const LocalPath = z.string().min(1).max(4096);

export const ShareSetInfo = z.object({
  setId: z.string(),
  threshold: z.number().int(),
  count: z.number().int(),
  custodians: z.array(z.object({ index: z.number().int().positive(), custodian: z.string() })),
  createdAt: IsoTime,
  createdBy: z.string(),
});
export type ShareSetInfo = z.infer<typeof ShareSetInfo>;

const ShareSplit = z.object({
  threshold: z.number().int().min(2).max(MAX_CUSTODIANS),
  custodians: z.array(CustodianName).min(2).max(MAX_CUSTODIANS),
}).strict();
const HandedShare = z.object({ index: z.number().int().positive(), custodian: z.string(), share: z.string() });

export const recoveryChannels = {
  /** The share sets made so far (custodians, k, n, when, by whom): metadata only, no share. */
  'recovery:status': channel(z.object({}).strict(), z.object({ sets: z.array(ShareSetInfo) })),
  /**
   * Splits the master key into `custodians.length` shares, `threshold` of which recover it. The answer is the only
   * place the shares ever appear: the console stores a hash commitment per share, never the share. Admin; audited.
   */
  'recovery:createShares': channel(ShareSplit, ShareSetInfo.extend({ shares: z.array(HandedShare) })),
  /**
   * The recovery ceremony (open before sign-in, like session:unlock): k shares rebuild the master key, which is checked
   * against the store; then `operator` gets a new admin slot under `passphrase` (a new operator, or an existing one
   * whose slot is replaced) and is signed in. Audited.
   */
  'recovery:recover': channel(
    z.object({ shares: z.array(ShareText).min(1).max(MAX_CUSTODIANS), operator: OperatorName, passphrase: Passphrase }).strict(),
    z.object({ operator: z.string(), role: OperatorRoleSchema, storeId: z.string(), created: z.boolean(), setId: z.string() }),
  ),
  /**
   * Writes an encrypted copy of the whole store to `path` (a new file): SQLite's online backup, then AES-256-GCM in
   * chunks under a fresh backup key wrapped by `passphrase` (scrypt) and, with `shares`, also split into k-of-n shares
   * for custodians (returned once, like recovery shares). Admin; audited.
   */
  'backup:create': channel(
    z.object({ path: LocalPath, passphrase: Passphrase, shares: ShareSplit.optional() }).strict(),
    z.object({
      path: z.string(),
      bytes: z.number().int(),
      storeBytes: z.number().int(),
      storeId: z.string(),
      createdAt: IsoTime,
      sha256: z.string(),
      shares: z.array(HandedShare).optional(),
    }),
  ),
  /**
   * Restores a backup file into `dataDir`, which must be absent or empty; the running store is not touched. The backup
   * key comes from `passphrase` or from k of its `shares` (exactly one of the two). Admin.
   */
  'backup:restore': channel(
    z.object({ from: LocalPath, dataDir: LocalPath, passphrase: Passphrase.optional(), shares: z.array(ShareText).min(1).max(MAX_CUSTODIANS).optional() }).strict(),
    z.object({ dataDir: z.string(), storeId: z.string(), storeBytes: z.number().int(), createdAt: IsoTime }),
  ),
} as const;
