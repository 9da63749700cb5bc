// Issuing lockdown orders (issue 15, docs/lockdown-orders.md): the console reserves the next order sequence, builds
// the canonical body, has the fleet's emergency key sign it through the key service (so the key never leaves its
// KMS/HSM and the signature is audited as a key operation), and audits the order itself (`lockdown.order`). The file
// is what goes on a USB stick; the robots check it with lockdownOrder.ts verifyOrder.
import { createPublicKey, randomBytes } from 'node:crypto';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { KeysRepo } from '../../store/keysRepo.ts';
import type { LockdownOrderRow, LockdownRepo } from '../../store/lockdownRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import {
  checkOrderBody, emergencySignerKeyId, encodeOrder, LockdownOrderError, MAX_ORDER_LIFETIME_MS, orderBodyBytes, orderSigningInput,
  type LockdownAction, type LockdownMode, type OrderBody, type OrderKind, type OrderScope,
} from './lockdownOrder.ts';

export interface IssueOrderInput {
  kind: OrderKind;
  scope: OrderScope;
  /** Lockdown: what robots must do (at least one). Lift: none. */
  actions: LockdownAction[];
  wipeKeys?: string[];
  /** With the distrust_ca action (and only then): the console ids of the fleet CAs robots stop trusting. */
  distrustCaIds?: string[];
  mode?: LockdownMode;
  reason: string;
  message: string;
  /** How long robots accept the order (and a lockdown lasts), 1 minute to 90 days. */
  validForSeconds: number;
  /** The emergency key to sign with; by default the only active one. */
  keyId?: string;
  /** The scope the officer named when the console resolved it to `scope`'s robots (the holders of a key, a certificate): audited. */
  resolvedFrom?: string;
}

export interface IssuedOrder {
  order: OrderBody;
  file: Buffer;
  keyId: string;
  keyVersion: number;
  row: LockdownOrderRow;
}

export interface LockdownServiceDeps {
  keys: KeysRepo;
  sign(keyId: string, data: Buffer): Promise<{ signature: Buffer; version: number }>;
  publicKey(keyId: string): Promise<{ pem: string; version: number }>;
  repo: LockdownRepo;
  audit: AuditLog;
  session: { require(): void; actor(): string };
  clock: Clock;
  /**
   * The key id robots know a fleet CA by (SHA-256 hex of its certificate's SubjectPublicKeyInfo DER), or null when
   * the console has no CA of that id. Used only for distrust_ca orders; required so that such an order can never meet a
   * service without it (an untyped TypeError instead of not_found).
   */
  caKeyIdOf(caId: string): string | null;
  /** Keeps the signed file of an issued order, for stations and key bundles to deliver (orderDelivery.ts). */
  saveFile?(sequence: number, file: Buffer): void;
}

export interface LockdownService {
  issue(input: IssueOrderInput): Promise<IssuedOrder>;
  /** The checks `issue` makes before it reserves a sequence (the order's fields, the signing key), signing nothing. */
  check(input: IssueOrderInput): Promise<void>;
  /** One order by its sequence. */
  get(sequence: number): LockdownOrderRow | null;
  list(limit: number): LockdownOrderRow[];
}

/** The file name an officer saves: kind, sequence and order id, so two orders never share a name. */
export const orderFileName = (o: { kind: string; sequence: number; orderId: string }) => `ecps-${o.kind}-${o.sequence}-${o.orderId.slice(0, 8)}.json`;

const invalid = (message: string, field: string) => new ConsoleError('invalid_input', message, { field });

export function createLockdownService(deps: LockdownServiceDeps): LockdownService {
  /** The key ids of the CAs a distrust_ca order names, in the order given; [] without the action. */
  function distrustedCaKeyIds(input: IssueOrderInput): string[] {
    const ids = input.distrustCaIds ?? [];
    if (!input.actions.includes('distrust_ca')) {
      if (ids.length > 0) throw invalid('Fleet CAs to distrust are named with the "Stop trusting a fleet CA" action (distrust_ca), and only then.', 'distrustCaIds');
      return [];
    }
    if (ids.length === 0) throw invalid('Name the fleet CA (or CAs) that robots must stop trusting.', 'distrustCaIds');
    if (new Set(ids).size !== ids.length) throw invalid('A fleet CA is named twice.', 'distrustCaIds');
    return ids.map((caId) => {
      const keyId = deps.caKeyIdOf(caId);
      if (keyId === null) throw new ConsoleError('not_found', `No fleet CA ${caId}.`, { field: 'distrustCaIds' });
      return keyId;
    });
  }

  function emergencyKey(keyId: string | undefined): string {
    if (keyId !== undefined) {
      const key = deps.keys.get(keyId);
      if (key === null) throw new ConsoleError('not_found', `No key ${keyId}.`);
      if (key.type !== 'emergency') throw new ConsoleError('unsupported_operation', `Key ${keyId} is a ${key.type} key; lockdown orders are signed with an emergency key.`);
      if (key.state !== 'active') throw new ConsoleError('illegal_transition', `Emergency key ${keyId} is ${key.state}; only an active emergency key signs orders.`);
      return key.id;
    }
    const active = deps.keys.list({ type: 'emergency', state: 'active' });
    if (active.length === 0) throw new ConsoleError('not_found', 'No active emergency key: create one (type emergency, RSA-2048) before issuing lockdown orders.');
    if (active.length > 1) throw invalid(`There are ${active.length} active emergency keys; name the one that robots trust.`, 'keyId');
    return active[0]!.id;
  }

  /**
   * The order as it will be signed (its sequence still 1) and the key that signs it, or why robots would refuse it. A
   * refusal here reserves no sequence and signs nothing; it is audited (one failed `lockdown.order` record, naming no
   * order: `signed: false`) with its code and message, which name fields, keys and limits, never key material.
   */
  async function draftOf(input: IssueOrderInput) {
    deps.session.require();
    try {
      return await buildDraft(input);
    } catch (e) {
      const err = isConsoleError(e) ? e : null;
      const field: AuditDetails = typeof err?.details?.field === 'string' ? { field: err.details.field } : {};
      deps.audit.append({
        actor: deps.session.actor(), action: 'lockdown.order', targetType: null, targetId: null, outcome: 'failure',
        details: {
          kind: input.kind, reason: input.reason, scope: JSON.stringify(input.scope).slice(0, 2000), ...(input.keyId ? { keyId: input.keyId } : {}),
          ...(input.resolvedFrom ? { resolvedFrom: input.resolvedFrom } : {}), code: err?.code ?? 'internal',
          refusal: err ? err.message.slice(0, 500) : 'the order could not be prepared (unexpected error)', ...field, signed: false,
        },
      });
      throw e;
    }
  }

  async function buildDraft(input: IssueOrderInput) {
    const at = deps.clock.now();
    if (!Number.isInteger(input.validForSeconds) || input.validForSeconds < 60 || input.validForSeconds * 1000 > MAX_ORDER_LIFETIME_MS)
      throw invalid('An order is valid for 1 minute to 90 days.', 'validForSeconds');
    const distrustCas = distrustedCaKeyIds(input);
    const keyId = emergencyKey(input.keyId);
    const { pem } = await deps.publicKey(keyId);
    const draft = {
      v: distrustCas.length > 0 ? (2 as const) : (1 as const),
      orderId: randomBytes(16).toString('hex'),
      kind: input.kind,
      sequence: 1, // replaced by the reserved one below; checked here so a bad input burns no number
      issuedAt: new Date(at).toISOString(),
      expiresAt: new Date(at + input.validForSeconds * 1000).toISOString(),
      scope: input.scope,
      actions: input.actions,
      wipeKeys: input.wipeKeys ?? [],
      distrustCas,
      mode: input.mode ?? 'strict',
      reason: input.reason,
      message: input.message,
      signerKeyId: emergencySignerKeyId(createPublicKey(pem)),
    };
    try {
      checkOrderBody(draft);
    } catch (e) {
      if (e instanceof LockdownOrderError) throw invalid(e.message.replace(/^lockdown order: /, 'The order is not valid: '), 'order');
      throw e;
    }
    return { draft, keyId };
  }

  return {
    async check(input) {
      await draftOf(input);
    },
    async issue(input) {
      const { draft, keyId } = await draftOf(input);
      const actor = deps.session.actor();
      const sequence = deps.repo.reserve({
        orderId: draft.orderId, kind: draft.kind, scope: JSON.stringify(draft.scope), actions: draft.actions.join(','), issuedAt: draft.issuedAt,
        expiresAt: draft.expiresAt, keyId, reason: draft.reason, issuedBy: actor,
      });
      const order: OrderBody = { ...draft, sequence };
      const details = {
        orderId: order.orderId, kind: order.kind, sequence, scope: JSON.stringify(order.scope), actions: order.actions.join(','), expiresAt: order.expiresAt, mode: order.mode, reason: order.reason,
        ...(input.resolvedFrom ? { resolvedFrom: input.resolvedFrom } : {}),
        ...(order.distrustCas.length > 0 ? { distrustCaIds: (input.distrustCaIds ?? []).join(','), distrustCas: order.distrustCas.join(',') } : {}),
      };
      try {
        const bytes = orderBodyBytes(order);
        const { signature, version } = await deps.sign(keyId, orderSigningInput(bytes));
        const file = encodeOrder(bytes, signature);
        deps.saveFile?.(sequence, file);
        deps.repo.markIssued(sequence, version);
        deps.audit.append({ actor, action: 'lockdown.order', targetType: 'key', targetId: keyId, outcome: 'success', details: { ...details, keyVersion: version } });
        return { order, file, keyId, keyVersion: version, row: deps.repo.get(sequence)! };
      } catch (e) {
        deps.repo.markFailed(sequence);
        const code = isConsoleError(e) ? e.code : 'internal';
        deps.audit.append({ actor, action: 'lockdown.order', targetType: 'key', targetId: keyId, outcome: 'failure', details: { ...details, code } });
        throw isConsoleError(e) ? e : new ConsoleError('internal', 'Signing the lockdown order failed unexpectedly.');
      }
    },
    get(sequence) {
      deps.session.require();
      return deps.repo.get(sequence);
    },
    list(limit) {
      deps.session.require();
      return deps.repo.list(limit);
    },
  };
}
