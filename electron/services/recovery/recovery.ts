// Master-key recovery by secret sharing (issue 14, docs/recovery-and-backup.md). An admin splits the master key into
// n shares for named custodians, k of which rebuild it (`shamir-secret-sharing`, an audited implementation over
// GF(2^8)); each share is returned once and never stored: the store keeps the set's metadata and a hash commitment per
// share. At the ceremony, k shares are parsed (checksum, store, set, duplicates, count), checked against their
// commitments, combined, and the key is checked against the store before an admin slot is set (session.recoverAdmin).
import crypto from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import type { Handlers } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { ShareSetInfo } from '../../../shared/recoveryContract.ts';
import type { Clock } from '../../clock.ts';
import type { RecoveryRepo, ShareSetRow } from '../../store/recoveryRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import { decodeShare, type DecodedShare, encodeShare, shareError } from './shareCodec.ts';

/**
 * Two-person control hook: exporting recovery shares is one of the actions issue 14 puts under M-of-N approval. Until
 * the approvals service exists, the default lets the admin's call through; that service will supply a gate that
 * refuses (typed) unless an approved request binds exactly this operation and input hash.
 */
export interface ApprovalGate {
  require(request: { action: 'recovery.create_shares'; requester: string; inputHash: string }): Promise<void>;
}

export const NO_APPROVAL_YET: ApprovalGate = { require: async () => undefined };

export interface RecoveryDeps {
  repo: RecoveryRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  transaction<T>(fn: () => T): T;
  approvals?: ApprovalGate;
}

type RecoveryHandlers = Pick<Handlers, 'recovery:status' | 'recovery:createShares' | 'recovery:recover'>;

/** SHA-256 over the share with its store, set and index: lets a typed share be checked without storing it. */
export function shareCommitment(storeId: string, setId: string, index: number, bytes: Buffer): string {
  return crypto.createHash('sha256').update(`ecps/recovery-share/v1|${storeId}|${setId}|${index}|`, 'utf8').update(bytes).digest('hex');
}

const sameName = (a: string, b: string) => a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();

const infoOf = (s: ShareSetRow): ShareSetInfo => ({
  setId: s.setId,
  threshold: s.threshold,
  count: s.count,
  custodians: s.shares.map((x) => ({ index: x.index, custodian: x.custodian })),
  createdAt: s.createdAt,
  createdBy: s.createdBy,
});

/** Parses and cross-checks the typed shares: one store (this one), one set, distinct indexes, at least k. */
export function checkShares(texts: readonly string[], storeId: string, set: ShareSetRow | null): DecodedShare[] {
  const shares = texts.map((t, i) => decodeShare(t, i + 1));
  shares.forEach((s, i) => {
    if (s.storeId !== storeId) {
      throw shareError('share_foreign_store', `Share ${i + 1} (${s.custodian}) belongs to another key store (${s.storeId}), not this one (${storeId}).`, { share: i + 1 });
    }
  });
  const first = shares[0]!;
  shares.forEach((s, i) => {
    if (s.setId !== first.setId || s.threshold !== first.threshold || s.count !== first.count) {
      throw shareError('share_mixed_sets', `Share ${i + 1} (${s.custodian}) is from another share set (${s.setId}) than share 1 (${first.setId}); use shares of one set.`, { share: i + 1 });
    }
    const twin = shares.findIndex((o) => o.index === s.index);
    if (twin !== i) throw shareError('share_duplicate', `Shares ${twin + 1} and ${i + 1} are the same share (number ${s.index}, ${s.custodian}); each custodian's share counts once.`, { share: i + 1 });
  });
  if (shares.length < first.threshold) {
    throw shareError('too_few_shares', `${shares.length} share(s) given; this set needs ${first.threshold} of ${first.count}.`, { needed: first.threshold, given: shares.length });
  }
  if (set) {
    shares.forEach((s, i) => {
      const known = set.shares.find((x) => x.index === s.index);
      if (!known || known.commitment !== shareCommitment(storeId, s.setId, s.index, s.bytes)) {
        throw shareError('share_altered', `Share ${i + 1} (${s.custodian}) is not the share number ${s.index} this console handed out: it was altered.`, { share: i + 1 });
      }
    });
  }
  return shares;
}

/** k within 2..n, and each custodian named once (ignoring case). */
export function checkCustodians(threshold: number, custodians: readonly string[]): void {
  if (threshold < 2 || threshold > custodians.length) throw new ConsoleError('invalid_input', `k (${threshold}) must be at least 2 and at most the number of custodians (${custodians.length}).`, { field: 'threshold' });
  custodians.forEach((c, i) => {
    if (custodians.findIndex((o) => sameName(o, c)) !== i) throw new ConsoleError('invalid_input', `Custodian ${c} is named twice; each custodian holds one share.`, { field: 'custodians' });
  });
}

/** Splits `secret` into one share line per custodian (k of them rebuild it), with each share's commitment. */
export async function makeShares(secret: Buffer, storeId: string, setId: string, threshold: number, custodians: readonly string[]) {
  // The library wants exactly a Uint8Array (not a Buffer).
  const copy = new Uint8Array(secret);
  let parts: Uint8Array[];
  try {
    parts = await split(copy, custodians.length, threshold);
  } finally {
    copy.fill(0);
  }
  return parts.map((p, i) => {
    const bytes = Buffer.from(p);
    p.fill(0);
    const index = i + 1;
    const custodian = custodians[i]!;
    const share = encodeShare({ storeId, setId, threshold, count: custodians.length, index, custodian, bytes });
    const commitment = shareCommitment(storeId, setId, index, bytes);
    bytes.fill(0);
    return { index, custodian, share, commitment };
  });
}

/** The secret k checked shares rebuild; their bytes are zeroed. */
export async function combineShares(shares: readonly DecodedShare[]): Promise<Buffer> {
  const parts = shares.map((d) => new Uint8Array(d.bytes));
  for (const d of shares) d.bytes.fill(0);
  const secret = Buffer.from(await combine(parts));
  for (const p of parts) p.fill(0);
  return secret;
}

/** Why the CLI gave up handing a set out, as audited: the error's code and message and, when known, the file. */
export interface UndeliveredReason {
  code: string;
  message: string;
  file?: string;
}

/**
 * The undo of a share set that was made but could not be handed out (the CLI's `recovery shares --out-dir` when a
 * share file fails after the set was recorded, say a full disk): the set and its commitments are removed and
 * `recovery.void_shares` is audited (set id, k, n, custodians, why), so the store never lists a set whose shares nobody
 * holds. Only the signed-in operator's own set is removed; false when there is none by that id.
 */
export function voidUndeliveredShareSet(deps: Pick<RecoveryDeps, 'repo' | 'session' | 'audit' | 'transaction'>, setId: string, why: UndeliveredReason): boolean {
  const s = deps.session.require();
  const set = deps.repo.get(setId);
  if (!set || !sameName(set.createdBy, s.operator)) return false;
  deps.transaction(() => {
    deps.repo.remove(setId);
    deps.audit.append({
      actor: s.operator,
      action: 'recovery.void_shares',
      targetType: 'store',
      targetId: s.storeId,
      outcome: 'success',
      details: {
        setId,
        threshold: set.threshold,
        count: set.count,
        custodians: set.shares.map((x) => x.custodian).join(', '),
        code: why.code,
        refusal: why.message.slice(0, 500),
        ...(why.file === undefined ? {} : { file: why.file.slice(0, 1000) }),
        refusedBy: 'cli',
      },
    });
  });
  return true;
}

export function createRecoveryHandlers(deps: RecoveryDeps): RecoveryHandlers {
  const { repo, session, audit, clock } = deps;
  const approvals = deps.approvals ?? NO_APPROVAL_YET;

  return {
    'recovery:status': async () => {
      session.require();
      return { sets: repo.list().map(infoOf) };
    },

    'recovery:createShares': async ({ threshold, custodians }) => {
      const s = session.require();
      const details = { threshold, count: custodians.length, custodians: custodians.join(', ') };
      try {
        checkCustodians(threshold, custodians);
        const inputHash = crypto.createHash('sha256').update(JSON.stringify({ threshold, custodians })).digest('hex');
        await approvals.require({ action: 'recovery.create_shares', requester: s.operator, inputHash });
        const setId = crypto.randomBytes(8).toString('hex');
        const master = s.keyring.exportMaster();
        const shares = await makeShares(master, s.storeId, setId, threshold, custodians).finally(() => master.fill(0));
        const createdAt = new Date(clock.now()).toISOString();
        const row: ShareSetRow = { setId, threshold, count: custodians.length, createdAt, createdBy: s.operator, shares: shares.map(({ index, custodian, commitment }) => ({ index, custodian, commitment })) };
        deps.transaction(() => {
          repo.insert(row);
          audit.append({ actor: s.operator, action: 'recovery.create_shares', targetType: 'store', targetId: s.storeId, outcome: 'success', details: { ...details, setId } });
        });
        return { ...infoOf(row), shares: shares.map(({ index, custodian, share }) => ({ index, custodian, share })) };
      } catch (e) {
        audit.append({ actor: s.operator, action: 'recovery.create_shares', targetType: 'store', targetId: s.storeId, outcome: 'failure', details: { ...details, code: isConsoleError(e) ? e.code : 'internal' } });
        throw e;
      }
    },

    'recovery:recover': async ({ shares: texts, operator, passphrase }) => {
      const storeId = session.storeId();
      let decoded: DecodedShare[];
      try {
        const first = decodeShare(texts[0]!, 1);
        decoded = checkShares(texts, storeId, repo.get(first.setId));
      } catch (e) {
        const reason = isConsoleError(e) && typeof e.details?.reason === 'string' ? e.details.reason : 'internal';
        audit.append({ actor: operator, action: 'recovery.recover', targetType: 'operator', targetId: operator, outcome: 'failure', details: { code: isConsoleError(e) ? e.code : 'internal', reason, given: texts.length } });
        throw e;
      }
      const { setId, threshold, count } = decoded[0]!;
      const master = await combineShares(decoded);
      const custodians = decoded.map((d) => d.custodian).join(', ');
      const done = await session.recoverAdmin(master, operator, passphrase, { setId, threshold, count, custodians });
      return { operator: done.operator, role: 'admin' as const, storeId: done.storeId, created: done.created, setId };
    },
  };
}
