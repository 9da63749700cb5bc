// Lockdown orders (issue 15): a signed instruction to the robots in a scope (stop operating, safe mode, refuse peers
// with revoked certificates, wipe listed keys, stop trusting a compromised fleet CA), or the lift of an earlier one. Signed with the fleet's emergency key
// (RSA-2048, RSASSA-PSS SHA-256, salt 32: the key type's algorithm, docs/lockdown-orders.md), carried as a file on a
// USB stick, over the serial link (ORDER frames) and inside a key bundle (docs/lockdown-orders.md, "Delivery"). Format:
//   file      = {"format":"ECPS-LOCKDOWN-v1","body":b64(bodyBytes),"signature":b64(sig)}
//   bodyBytes = UTF-8 JSON, fixed member order, no whitespace:
//               {v,orderId,kind,sequence,issuedAt,expiresAt,scope,actions,wipeKeys,mode,reason,message,signerKeyId}
//               v2 (an order with the distrust_ca action, and only then) adds "distrustCas" after "wipeKeys"
//   sig       = emergency key over ("ECPS-LOCKDOWN-v1" | 0x00 | bodyBytes)
// This module is both sides: the console builds orders (`orderBody`, `encodeOrder`), and `verifyOrder` is the
// reference of what a robot checks before it obeys, which the robot simulator runs.
import { constants, createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { DEVICE_ID_PATTERN, FLEET_NAME_PATTERN, ROBOT_TAG_PATTERN } from '../../../shared/domain.ts';
import { UUID_PATTERN } from '../../../shared/ids.ts';

export const LOCKDOWN_FORMAT = 'ECPS-LOCKDOWN-v1';
const SIG_PREFIX = Buffer.from(`${LOCKDOWN_FORMAT}\0`);

export const LOCKDOWN_ACTIONS = ['stop_operating', 'safe_mode', 'refuse_revoked_peers', 'wipe_keys', 'distrust_ca'] as const;
export type LockdownAction = (typeof LOCKDOWN_ACTIONS)[number];
export const LOCKDOWN_MODES = ['strict', 'best_effort'] as const;
export type LockdownMode = (typeof LOCKDOWN_MODES)[number];
export type OrderKind = 'lockdown' | 'lift';

/** Exactly one selector: the whole fleet, named robots, or every robot of a site, model, firmware version or tag. */
export type OrderScope =
  | { fleet: true }
  | { deviceIds: string[] }
  | { site: string }
  | { model: string }
  | { firmware: string }
  | { tag: string };

export interface OrderBody {
  /** 1; 2 for an order that names the distrust_ca action (the only difference: the distrustCas member). */
  v: 1 | 2;
  /** 32 lowercase hex characters (16 random bytes). */
  orderId: string;
  kind: OrderKind;
  /** Monotonic across every order the console issues (lockdowns and lifts share one sequence). */
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  scope: OrderScope;
  /** What robots in scope must do (lockdown); empty for a lift. */
  actions: LockdownAction[];
  /** Key ids to wipe (with the wipe_keys action only). */
  wipeKeys: string[];
  /**
   * The fleet CAs robots must stop trusting (with the distrust_ca action only, 1-16): each the SHA-256 (hex) of the CA
   * certificate's SubjectPublicKeyInfo (DER), the id a CRL file and a bundle's signerKeyId already use. A robot that
   * accepts the order refuses from then on every peer certificate, CRL, endorsement and key bundle of those CAs, and
   * the distrust outlives the order: its expiry, a later lockdown and a lift leave it (a CA compromise is final).
   */
  distrustCas: string[];
  /** strict: a robot that cannot check an order's scope treats itself as in scope; best_effort: as out of scope. */
  mode: LockdownMode;
  /** Why (recorded in the audit log and shown to the robot's operators). */
  reason: string;
  /** What the robot shows to the people next to it. */
  message: string;
  /** SHA-256 (hex) of the emergency key's SubjectPublicKeyInfo (DER). */
  signerKeyId: string;
}

export type LockdownErrorCode = 'malformed' | 'tampered' | 'foreign' | 'expired' | 'not_yet_valid' | 'out_of_scope' | 'replayed';

export class LockdownOrderError extends Error {
  readonly code: LockdownErrorCode;
  constructor(code: LockdownErrorCode, message: string) {
    super(message);
    this.name = 'LockdownOrderError';
    this.code = code;
  }
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Clock skew tolerated between the console that issued an order and the robot that checks it. */
export const ORDER_CLOCK_SKEW_MS = 5 * 60_000;
/** The longest an order may stay valid: a lockdown meant to last longer is re-issued. */
export const MAX_ORDER_LIFETIME_MS = 90 * 24 * 3600_000;
/** The most CAs one order may distrust. */
export const MAX_DISTRUSTED_CAS = 16;

/** The emergency key's id as written in orders: SHA-256 (hex) of its SubjectPublicKeyInfo DER. */
export function emergencySignerKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
}

const malformed = (what: string) => new LockdownOrderError('malformed', `lockdown order: ${what}`);

function checkScope(scope: unknown): OrderScope {
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) throw malformed('scope must be an object');
  const keys = Object.keys(scope);
  if (keys.length !== 1) throw malformed('scope must name exactly one selector');
  const s = scope as Record<string, unknown>;
  if ('fleet' in s) {
    if (s.fleet !== true) throw malformed('scope.fleet must be true');
    return { fleet: true };
  }
  if ('deviceIds' in s) {
    const ids = s.deviceIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100_000 || !ids.every((d) => typeof d === 'string' && DEVICE_ID_PATTERN.test(d)))
      throw malformed('scope.deviceIds must list 1 to 100,000 device ids');
    if (new Set(ids).size !== ids.length) throw malformed('scope.deviceIds lists a robot twice');
    return { deviceIds: [...(ids as string[])] };
  }
  for (const k of ['site', 'model', 'firmware', 'tag'] as const) {
    if (k in s) {
      const v = s[k];
      const pattern = k === 'tag' ? ROBOT_TAG_PATTERN : FLEET_NAME_PATTERN;
      if (typeof v !== 'string' || !pattern.test(v)) throw malformed(`scope.${k} is not a valid ${k}`);
      return { [k]: v } as OrderScope;
    }
  }
  throw malformed(`unknown scope selector "${keys[0]}"`);
}

/** Validates a body's fields (every member, its type and range) and returns it with nothing else in it. */
export function checkOrderBody(b: unknown): OrderBody {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw malformed('body must be an object');
  const o = b as Record<string, unknown>;
  if (o.v !== 1 && o.v !== 2) throw malformed('unsupported version');
  if (typeof o.orderId !== 'string' || !HEX32.test(o.orderId)) throw malformed('orderId must be 32 lowercase hex characters');
  if (o.kind !== 'lockdown' && o.kind !== 'lift') throw malformed('kind must be lockdown or lift');
  if (typeof o.sequence !== 'number' || !Number.isSafeInteger(o.sequence) || o.sequence < 1) throw malformed('sequence must be a positive integer');
  for (const f of ['issuedAt', 'expiresAt'] as const)
    if (typeof o[f] !== 'string' || !ISO.test(o[f] as string) || Number.isNaN(Date.parse(o[f] as string))) throw malformed(`${f} must be an ISO-8601 UTC time`);
  const issued = Date.parse(o.issuedAt as string);
  const expires = Date.parse(o.expiresAt as string);
  if (expires <= issued) throw malformed('expiresAt must be after issuedAt');
  if (expires - issued > MAX_ORDER_LIFETIME_MS) throw malformed('an order is valid for 90 days at most');
  const scope = checkScope(o.scope);
  if (!Array.isArray(o.actions) || !o.actions.every((a) => (LOCKDOWN_ACTIONS as readonly unknown[]).includes(a))) throw malformed(`actions must be among ${LOCKDOWN_ACTIONS.join(', ')}`);
  const actions = o.actions as LockdownAction[];
  if (new Set(actions).size !== actions.length) throw malformed('an action is listed twice');
  if (o.kind === 'lockdown' && actions.length === 0) throw malformed('a lockdown order names at least one action');
  if (o.kind === 'lift' && actions.length > 0) throw malformed('a lift order names no action');
  if (!Array.isArray(o.wipeKeys) || !o.wipeKeys.every((k) => typeof k === 'string' && UUID_PATTERN.test(k))) throw malformed('wipeKeys must list key ids');
  const wipeKeys = o.wipeKeys as string[];
  if (actions.includes('wipe_keys') !== wipeKeys.length > 0) throw malformed('wipeKeys is given with the wipe_keys action, and only then');
  // v2 exists only to carry distrustCas: an order without distrust_ca stays v1, byte for byte, so every robot that
  // takes v1 orders still takes it; a v1 body cannot carry the member and a v2 body must.
  if (actions.includes('distrust_ca') !== (o.v === 2)) throw malformed('an order is v2 with the distrust_ca action, and only then');
  let distrustCas: string[] = [];
  if (o.v === 2) {
    if (!Array.isArray(o.distrustCas) || o.distrustCas.length === 0 || o.distrustCas.length > MAX_DISTRUSTED_CAS || !o.distrustCas.every((k) => typeof k === 'string' && HEX64.test(k)))
      throw malformed(`distrustCas must list 1 to ${MAX_DISTRUSTED_CAS} CA key ids (64 lowercase hex characters)`);
    distrustCas = [...(o.distrustCas as string[])];
    if (new Set(distrustCas).size !== distrustCas.length) throw malformed('distrustCas lists a CA twice');
  } else if (o.distrustCas !== undefined && !(Array.isArray(o.distrustCas) && o.distrustCas.length === 0)) throw malformed('a v1 order distrusts no CA');
  // (A v1 body object may carry an empty distrustCas, as OrderBody does; its bytes never do, see orderBodyBytes.)
  if (o.mode !== 'strict' && o.mode !== 'best_effort') throw malformed('mode must be strict or best_effort');
  for (const f of ['reason', 'message'] as const)
    if (typeof o[f] !== 'string' || (o[f] as string).trim() === '' || (o[f] as string).length > 500) throw malformed(`${f} must be 1-500 characters`);
  if (typeof o.signerKeyId !== 'string' || !HEX64.test(o.signerKeyId)) throw malformed('signerKeyId must be 64 lowercase hex characters');
  return {
    v: o.v, orderId: o.orderId, kind: o.kind, sequence: o.sequence, issuedAt: o.issuedAt as string, expiresAt: o.expiresAt as string, scope,
    actions: [...actions], wipeKeys: [...wipeKeys], distrustCas, mode: o.mode, reason: o.reason as string, message: o.message as string, signerKeyId: o.signerKeyId,
  };
}

/** The canonical body bytes: the fixed member order of the format, no whitespace. */
export function orderBodyBytes(body: OrderBody): Buffer {
  const b = checkOrderBody(body);
  const head = { v: b.v, orderId: b.orderId, kind: b.kind, sequence: b.sequence, issuedAt: b.issuedAt, expiresAt: b.expiresAt, scope: b.scope, actions: b.actions, wipeKeys: b.wipeKeys };
  const tail = { mode: b.mode, reason: b.reason, message: b.message, signerKeyId: b.signerKeyId };
  return Buffer.from(JSON.stringify(b.v === 2 ? { ...head, distrustCas: b.distrustCas, ...tail } : { ...head, ...tail }));
}

/** What the emergency key signs for a body. */
export function orderSigningInput(bodyBytes: Buffer): Buffer {
  return Buffer.concat([SIG_PREFIX, bodyBytes]);
}

/** The order file: the canonical body and its signature (made by the caller, through the key service). */
export function encodeOrder(bodyBytes: Buffer, signature: Buffer): Buffer {
  return Buffer.from(JSON.stringify({ format: LOCKDOWN_FORMAT, body: bodyBytes.toString('base64'), signature: signature.toString('base64') }));
}

/** What a robot knows of itself to decide whether an order's scope includes it. `null`: it does not know. */
export interface RobotFacts {
  deviceId: string;
  site: string | null;
  model: string | null;
  firmware: string | null;
  tags: string[] | null;
}

/** True, false, or null when the robot lacks the fact the scope selects on. */
export function scopeIncludes(scope: OrderScope, robot: RobotFacts): boolean | null {
  if ('fleet' in scope) return true;
  if ('deviceIds' in scope) return scope.deviceIds.includes(robot.deviceId);
  if ('site' in scope) return robot.site === null ? null : robot.site === scope.site;
  if ('model' in scope) return robot.model === null ? null : robot.model === scope.model;
  if ('firmware' in scope) return robot.firmware === null ? null : robot.firmware === scope.firmware;
  return robot.tags === null ? null : robot.tags.includes(scope.tag);
}

export interface VerifyOrderInput {
  /** The emergency public key the robot trusts (given at provisioning). */
  emergencyPublicKey: KeyObject;
  robot: RobotFacts;
  /** The highest order sequence this robot has accepted (0: none). */
  lastSequence: number;
  now: Date;
}

/**
 * The robot's checks, in order, each a typed LockdownOrderError: not the format → malformed; body not canonical →
 * tampered; signer not the trusted emergency key → foreign; signature invalid → tampered; issued in the future
 * (beyond the skew) → not_yet_valid; expired → expired; sequence not above the last accepted → replayed; scope
 * excludes the robot (or, best effort, cannot tell) → out_of_scope.
 */
export function verifyOrder(file: Buffer, input: VerifyOrderInput): OrderBody {
  let outer: unknown;
  try {
    outer = JSON.parse(file.toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer)) throw malformed('not an object');
  const o = outer as Record<string, unknown>;
  if (Object.keys(o).length !== 3 || o.format !== LOCKDOWN_FORMAT) throw malformed(`format must be ${LOCKDOWN_FORMAT} with body and signature only`);
  if (typeof o.body !== 'string' || !BASE64.test(o.body) || typeof o.signature !== 'string' || !BASE64.test(o.signature) || o.signature === '')
    throw malformed('body and signature must be base64');
  const bodyBytes = Buffer.from(o.body, 'base64');
  const signature = Buffer.from(o.signature, 'base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyBytes.toString('utf8'));
  } catch {
    throw new LockdownOrderError('tampered', 'lockdown order: body is not JSON');
  }
  let body: OrderBody;
  try {
    body = checkOrderBody(parsed);
  } catch (e) {
    // A body that decodes but breaks the format was not written by a console: the signature cannot cover it.
    throw new LockdownOrderError('tampered', e instanceof Error ? e.message : 'lockdown order: bad body');
  }
  if (!orderBodyBytes(body).equals(bodyBytes)) throw new LockdownOrderError('tampered', 'lockdown order: body is not in canonical form');
  if (body.signerKeyId !== emergencySignerKeyId(input.emergencyPublicKey))
    throw new LockdownOrderError('foreign', 'lockdown order: signed by another key than the fleet emergency key');
  let valid: boolean;
  try {
    valid = cryptoVerify('sha256', orderSigningInput(bodyBytes), { key: input.emergencyPublicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new LockdownOrderError('tampered', 'lockdown order: signature does not verify');
  const now = input.now.getTime();
  if (Date.parse(body.issuedAt) - ORDER_CLOCK_SKEW_MS > now) throw new LockdownOrderError('not_yet_valid', `lockdown order: issued at ${body.issuedAt}, in the future`);
  if (Date.parse(body.expiresAt) <= now) throw new LockdownOrderError('expired', `lockdown order: expired at ${body.expiresAt}`);
  if (body.sequence <= input.lastSequence)
    throw new LockdownOrderError('replayed', `lockdown order: sequence ${body.sequence} is not above the last accepted (${input.lastSequence})`);
  const inScope = scopeIncludes(body.scope, input.robot);
  if (inScope === false || (inScope === null && body.mode === 'best_effort'))
    throw new LockdownOrderError('out_of_scope', `lockdown order: robot ${input.robot.deviceId} is not in its scope`);
  return body;
}

/** A robot's lockdown state as the simulator keeps it (lockdown-state.json). */
export interface RobotLockdownState {
  lastSequence: number;
  locked: null | { orderId: string; sequence: number; actions: LockdownAction[]; wipeKeys: string[]; message: string; expiresAt: string };
  /** CA key ids distrusted by accepted distrust_ca orders, sorted; absent in a state written before v2 orders. */
  distrustedCas?: string[];
}

export const UNLOCKED: RobotLockdownState = { lastSequence: 0, locked: null };

/**
 * The state after a verified order: a lockdown locks (replacing an earlier one), a lift unlocks. The CAs a
 * distrust_ca order names join the distrusted set, which nothing but re-provisioning empties: not a lift, not a later
 * lockdown, not the order's expiry (whoever holds a compromised CA's key could otherwise win trust back).
 */
export function applyOrder(state: RobotLockdownState, order: OrderBody): RobotLockdownState {
  const distrusted = [...new Set([...(state.distrustedCas ?? []), ...order.distrustCas])].sort();
  const kept = distrusted.length > 0 ? { distrustedCas: distrusted } : {};
  if (order.kind === 'lift') return { lastSequence: order.sequence, locked: null, ...kept };
  return {
    lastSequence: order.sequence,
    locked: { orderId: order.orderId, sequence: order.sequence, actions: [...order.actions], wipeKeys: [...order.wipeKeys], message: order.message, expiresAt: order.expiresAt },
    ...kept,
  };
}

/** Whether the robot has been ordered to stop trusting the CA with this key id (SHA-256 hex of its SPKI DER). */
export function distrustsCa(state: RobotLockdownState, caKeyId: string): boolean {
  return (state.distrustedCas ?? []).includes(caKeyId);
}

/** Whether a robot may operate now: not while a lockdown that says stop_operating stands and has not expired. */
export function mayOperate(state: RobotLockdownState, now: Date): boolean {
  if (state.locked === null) return true;
  if (Date.parse(state.locked.expiresAt) <= now.getTime()) return true;
  return !state.locked.actions.includes('stop_operating');
}
