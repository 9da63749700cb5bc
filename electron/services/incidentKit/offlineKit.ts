// The console offline on an incident kit (issue 15, docs/incident-kit.md): no store, no provider, no network. The
// registry copy is read-only; what the responder does is recorded in the kit's own audit chain (audit.jsonl, signed
// with the kit key), and the offline state (which robots are quarantined, how many uses each order has left) is that
// chain replayed over the copy, so a record removed to win back a use breaks the chain instead.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { canRobotTransition, type RobotStatus } from '../../../shared/domain.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { CertificateRow, RobotRow } from '../../store/fleetRepo.ts';
import type { AuditDetails } from '../audit/auditLog.ts';
import { scopeIncludes } from '../emergency/lockdownOrder.ts';
import {
  chainAppend, KIT_FILES, kitError, kitPrivateKeyOf, kitPublicKeyOf, openKit, readManifest, usesByOrder, verifyKitChain,
  type KitChain, type KitOrder, type KitPayload, type ManifestBody,
} from './kitFormat.ts';
import { kitThrottle } from './kitThrottle.ts';
import { waitInWords } from '../session/sessionThrottle.ts';
import type { KitDistrustedCa } from '../../../shared/kitOfflineContract.ts';

/** Whether the order tells robots to stop trusting fleet CAs (distrust_ca): it quarantines no robot. */
export const isDistrustOrder = (o: Pick<KitOrder, 'actions'>): boolean => o.actions.includes('distrust_ca');

export interface OfflineOrderView {
  name: string;
  orderId: string;
  sequence: number;
  scope: KitOrder['scope'];
  expiresAt: string;
  maxUses: number;
  used: number;
  remaining: number;
  expired: boolean;
  actions: KitOrder['actions'];
  /** A distrust order's fleet CAs as they were at export (absent for other orders). */
  distrustCas?: KitDistrustedCa[];
}

export interface OfflineInfo {
  /** Always true: this console makes no provider call and reaches no network. */
  offline: true;
  providers: 'none';
  kitId: string;
  responder: string;
  exportedAt: string;
  exportedBy: string;
  robots: number;
  certificates: number;
  crlNumber: number | null;
  auditRecords: number;
  orders: OfflineOrderView[];
}

export interface OfflineUse {
  order: OfflineOrderView;
  /** The signed order file to carry to the robots (lockdownOrder.ts format). */
  file: Buffer;
  fileName: string;
  quarantined: string[];
  skipped: Array<{ deviceId: string; status: RobotStatus }>;
}

/** The kit's chain as the folder holds it now: verified from its genesis to its signed head, or why not. */
export interface OfflineAudit {
  verified: boolean;
  problem: { code: string; message: string; kitError: string | null } | null;
  head: { seq: number; hash: string } | null;
  records: KitChain['records'];
}

export interface OfflineKit {
  info(): OfflineInfo;
  /** The registry copy's certificates and the serials of the CRL published at export. */
  // Asynchronous: the CRL's ASN.1 reader (crlSerials.ts, @peculiar/asn1-*) is loaded at the first call, not when the
  // console starts (main.ts imports this module for kit mode; every major GC marks what is loaded).
  certificates(): Promise<{ certificates: Array<Omit<CertificateRow, 'pem'>>; crl: { crlNumber: number; serials: string[] } | null }>;
  /** Reads audit.jsonl and its head again and verifies them (a change made beside this console shows here). */
  audit(): Promise<OfflineAudit>;
  /** The registry copy with the offline actions applied (quarantines). */
  robots(): RobotRow[];
  /** Uses a pre-authorised order: expiry and uses checked; the robots of its scope quarantined (offline). */
  useOrder(name: string, reason: string): Promise<OfflineUse>;
  /** Records that the console locked the kit (idle, hidden, the OS suspending): kit.lock with the reason. */
  lock(reason: string): Promise<void>;
}

/** A refusal as the window shows it: code, message and the kit check that failed. */
export const problemOf = (e: unknown) =>
  isConsoleError(e) ? { code: e.code, message: e.message, kitError: typeof e.details?.kitError === 'string' ? e.details.kitError : null } : { code: 'internal', message: 'The kit could not be read.', kitError: null };

async function readKitFile(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch {
    throw kitError('not_found', 'malformed', `Incident kit ${dir} has no readable ${name}.`);
  }
}

/**
 * Opens the kit in `dir` for `operator` with their passphrase: the manifest's signature, the sealed data's hash and
 * authentication, and the kit's chain are checked first; then a kit.open record is appended.
 */
export async function openOfflineKit(dir: string, operator: string, passphrase: string, now: () => Date = () => new Date()): Promise<OfflineKit> {
  const manifest = readManifest((await readKitFile(dir, KIT_FILES.manifest)).toString('utf8'));
  const body: ManifestBody = manifest.body;
  const sealed = await readKitFile(dir, KIT_FILES.payload);
  if (createHash('sha256').update(sealed).digest('hex') !== body.payloadSha256) throw kitError('integrity_failure', 'payload_tampered', 'The incident kit\'s sealed data does not match its signed manifest.');
  if (operator.normalize('NFC') !== body.responder.normalize('NFC')) throw kitError('forbidden', 'wrong_responder', `Incident kit ${body.kitId} was made for ${body.responder}, not ${operator}.`);
  // Wrong passphrases are throttled per kit (kitThrottle.ts): the wait is checked before the key derivation.
  const throttle = kitThrottle(dir, body.kitId, () => now().getTime());
  const attempts = await throttle.gate();
  let payload: KitPayload;
  try {
    payload = await openKit(body, sealed, passphrase);
  } catch (e) {
    if (!isConsoleError(e) || e.code !== 'wrong_passphrase') throw e;
    const wait = await throttle.failed(attempts);
    throw new ConsoleError('wrong_passphrase', wait > 0 ? `${e.message} Too many wrong passphrases: try again in ${waitInWords(wait)}.` : e.message, wait > 0 ? { retryAfterMs: wait } : undefined);
  }
  await throttle.succeeded(attempts);
  const key = kitPrivateKeyOf(payload);
  let chain: KitChain = verifyKitChain(body.kitId, kitPublicKeyOf(body), (await readKitFile(dir, KIT_FILES.audit)).toString('utf8'), (await readKitFile(dir, KIT_FILES.head)).toString('utf8'));
  const robots = new Map(payload.robots.map((r) => [r.deviceId, { ...r }]));

  const replay = (r: KitChain['records'][number]) => {
    if (r.action === 'kit.robot.quarantine' && r.outcome === 'success' && r.targetId !== null) {
      const robot = robots.get(r.targetId);
      if (robot) Object.assign(robot, { status: 'quarantined', statusReason: String(r.details.reason ?? ''), updatedAt: r.ts });
    }
  };
  chain.records.forEach(replay);

  const append = async (entry: { action: string; targetType: string | null; targetId: string | null; outcome: 'success' | 'failure'; details: AuditDetails }) => {
    const next = chainAppend(body.kitId, key, chain.head, { ...entry, ts: now().toISOString(), actor: body.responder });
    await appendFile(join(dir, KIT_FILES.audit), `${next.line}\n`);
    await writeFile(join(dir, KIT_FILES.head), next.headFile);
    chain = { records: [...chain.records, next.record], head: { seq: next.record.seq, hash: next.record.hash } };
    replay(next.record);
    return next.record;
  };

  const view = (o: KitOrder): OfflineOrderView => {
    const used = usesByOrder(chain.records).get(o.orderId) ?? 0;
    return {
      name: o.name, orderId: o.orderId, sequence: o.sequence, scope: o.scope, expiresAt: o.expiresAt, maxUses: o.maxUses, used, remaining: Math.max(0, o.maxUses - used), expired: Date.parse(o.expiresAt) <= now().getTime(),
      actions: o.actions, ...(o.distrustCas && o.distrustCas.length > 0 ? { distrustCas: o.distrustCas } : {}),
    };
  };

  // The wrong passphrases before this one are recorded here: a guesser has no kit key to record them with.
  await append({ action: 'kit.open', targetType: 'store', targetId: body.kitId, outcome: 'success', details: { offline: true, ...(attempts.failedAttempts > 0 ? { failedAttemptsBefore: attempts.failedAttempts } : {}) } });

  return {
    info: () => ({
      offline: true, providers: 'none', kitId: body.kitId, responder: body.responder, exportedAt: body.exportedAt, exportedBy: body.exportedBy,
      robots: payload.robots.length, certificates: payload.certificates.length, crlNumber: payload.crl?.crlNumber ?? null, auditRecords: chain.head.seq,
      orders: payload.orders.map(view),
    }),
    robots: () => [...robots.values()],
    certificates: async () => ({
      certificates: payload.certificates.map(({ pem: _pem, ...c }) => c),
      crl: payload.crl ? { crlNumber: payload.crl.crlNumber, serials: (await import('./crlSerials.ts')).crlSerials(payload.crl.pem) } : null,
    }),
    async audit() {
      try {
        const now = verifyKitChain(body.kitId, kitPublicKeyOf(body), (await readKitFile(dir, KIT_FILES.audit)).toString('utf8'), (await readKitFile(dir, KIT_FILES.head)).toString('utf8'));
        return { verified: true, problem: null, head: now.head, records: now.records };
      } catch (e) {
        return { verified: false, problem: problemOf(e), head: null, records: chain.records };
      }
    },
    async lock(reason) {
      await append({ action: 'kit.lock', targetType: 'store', targetId: body.kitId, outcome: 'success', details: { reason } });
    },
    async useOrder(name, reason) {
      if (reason.trim() === '' || reason.length > 500) throw new ConsoleError('invalid_input', 'A reason of 1-500 characters is required.', { field: 'reason' });
      const order = payload.orders.find((o) => o.name === name || o.orderId === name);
      if (!order) throw kitError('not_found', 'unknown_order', `The kit holds no order named "${name}" (it holds: ${payload.orders.map((o) => o.name).join(', ') || 'none'}).`);
      const before = view(order);
      const refuse = async (kind: 'order_expired' | 'order_exhausted', message: string) => {
        await append({ action: 'kit.order.use', targetType: 'store', targetId: body.kitId, outcome: 'failure', details: { orderId: order.orderId, name: order.name, kitError: kind, reason } });
        return kitError(kind === 'order_expired' ? 'illegal_transition' : 'usage_limit_reached', kind, message, { orderId: order.orderId });
      };
      if (before.expired) throw await refuse('order_expired', `Order "${order.name}" expired at ${order.expiresAt}; it can no longer be used.`);
      if (before.remaining === 0) throw await refuse('order_exhausted', `Order "${order.name}" was used ${before.used} time(s), its maximum.`);
      const distrust = isDistrustOrder(order);
      const cas = order.distrustCas ?? [];
      await append({
        action: 'kit.order.use', targetType: 'store', targetId: body.kitId, outcome: 'success',
        details: {
          orderId: order.orderId, name: order.name, sequence: order.sequence, scope: JSON.stringify(order.scope), use: before.used + 1, maxUses: order.maxUses, reason,
          ...(distrust ? { distrustCaIds: cas.map((ca) => ca.caId).join(','), distrustCas: cas.map((ca) => ca.keyId).join(',') } : {}),
        },
      });
      const quarantined: string[] = [];
      const skipped: Array<{ deviceId: string; status: RobotStatus }> = [];
      // A distrust order contains a compromised CA, not compromised robots: it quarantines none (the robots keep
      // working and stop trusting the CA when they take the order).
      for (const robot of distrust ? [] : [...robots.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1))) {
        if (scopeIncludes(order.scope, { deviceId: robot.deviceId, site: robot.site, model: robot.model, firmware: robot.firmware, tags: robot.tags }) !== true) continue;
        if (!canRobotTransition(robot.status, 'quarantined')) {
          skipped.push({ deviceId: robot.deviceId, status: robot.status });
          continue;
        }
        const exported = payload.robots.find((r) => r.deviceId === robot.deviceId)!;
        await append({ action: 'kit.robot.quarantine', targetType: 'robot', targetId: robot.deviceId, outcome: 'success', details: { orderId: order.orderId, reason, statusAtExport: exported.status, updatedAtExport: exported.updatedAt } });
        quarantined.push(robot.deviceId);
      }
      return { order: view(order), file: Buffer.from(order.file, 'base64'), fileName: `ecps-lockdown-${order.sequence}-${order.orderId.slice(0, 8)}.json`, quarantined, skipped };
    },
  };
}
