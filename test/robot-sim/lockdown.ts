// The simulator's side of lockdown orders and the CRL (docs/lockdown-orders.md, "Delivery"): a robot checks an order
// with the emergency public key it trusts (emergency-key.pem in its key store, received at provisioning or in a key
// bundle; electron/services/emergency/lockdownOrder.ts verifyOrder is the reference of the checks) and its own facts,
// then records the new state in lockdown-state.json (one atomic write; nothing written on refusal). A CRL is checked
// against the CA that issued it, one the robot trusts, and kept when newer than the one held of that CA (caTrust.ts);
// peers whose certificate its issuer's CRL lists are refused. An accepted v2 order's distrust_ca adds CA key ids to
// the state's distrustedCas (applyOrder), which distrust.ts reads for every later check of a peer, CRL, endorsement or bundle. Used by `robot.ts --apply-order FILE` (USB stick), `--operate`, `--check-peer SERIAL`, by
// robotSession.ts for ORDER frames (serial link) and by installBundle.ts for the orders and CRL of a bundle.
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  applyOrder, LockdownOrderError, mayOperate, verifyOrder, type OrderBody, type RobotFacts, type RobotLockdownState,
} from '../../electron/services/emergency/lockdownOrder.ts';
import type { OrderItemKind } from '../../electron/station/protocol.ts';
import { applyCrl, CrlError } from './caTrust.ts';
import { lockdownState, lockdownStateFile as stateFile } from './distrust.ts';

export { lockdownState };
export const emergencyKeyFile = (keystore: string) => path.join(keystore, 'emergency-key.pem');

function writeAtomic(file: string, content: string | Buffer): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Stores the emergency public key (SPKI DER from CERT or a bundle) as the one the robot trusts from now on. */
export function storeEmergencyKey(keystore: string, spkiDer: Buffer): void {
  writeAtomic(emergencyKeyFile(keystore), createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }));
}

/** The emergency key the robot trusts: `--emergency-key` when given, else the one stored; none: orders are refused. */
function trustedEmergencyKey(keystore: string, pem: string | undefined): string {
  if (pem !== undefined) return pem;
  if (!existsSync(emergencyKeyFile(keystore))) throw new LockdownOrderError('foreign', 'lockdown order: this robot holds no emergency key (no_emergency_key): it trusts no order');
  return readFileSync(emergencyKeyFile(keystore), 'utf8');
}

export function applyLockdownOrder(o: { keystore: string; facts: RobotFacts; emergencyKeyPem?: string; file: Buffer; now: Date }): { order: OrderBody; state: RobotLockdownState } {
  const before = lockdownState(o.keystore);
  const order = verifyOrder(o.file, { emergencyPublicKey: createPublicKey(trustedEmergencyKey(o.keystore, o.emergencyKeyPem)), robot: o.facts, lastSequence: before.lastSequence, now: o.now });
  const state = applyOrder(before, order);
  writeAtomic(stateFile(o.keystore), JSON.stringify(state));
  return { order, state };
}

/**
 * What `--operate` answers: the robot works unless a standing lockdown says stop_operating. `distrustedCas` (only when
 * an accepted distrust_ca order named some): the CA key ids the robot no longer trusts, whatever else it says.
 */
export function operate(keystore: string, now: Date): ({ ok: true; safeMode: boolean } | { ok: false; code: 'locked_down'; message: string }) & { distrustedCas?: string[] } {
  const state = lockdownState(keystore);
  const distrusted = state.distrustedCas !== undefined && state.distrustedCas.length > 0 ? { distrustedCas: [...state.distrustedCas] } : {};
  if (mayOperate(state, now)) return { ok: true, safeMode: state.locked !== null && Date.parse(state.locked.expiresAt) > now.getTime() && state.locked.actions.includes('safe_mode'), ...distrusted };
  return { ok: false, code: 'locked_down', message: state.locked?.message ?? '', ...distrusted };
}

/**
 * One item of an ORDER frame (or of a bundle): `accepted`, or the refusal code; the robot changes nothing on refusal.
 * `caCertPem`: the factory CA (a CRL may be of it or of a CA the robot learnt by endorsement).
 */
export function receiveItem(o: { keystore: string; facts: RobotFacts; caCertPem: string; kind: OrderItemKind; content: Buffer; now: Date }): { result: string; message: string } {
  try {
    if (o.kind === 'crl') {
      const r = applyCrl({ keystore: o.keystore, caCertPem: o.caCertPem, der: o.content });
      return { result: 'accepted', message: `CRL ${r.crlNumber} held (${r.revoked} revoked)` };
    }
    if (!existsSync(emergencyKeyFile(o.keystore))) return { result: 'no_emergency_key', message: 'this robot holds no emergency key: it trusts no order' };
    const { order, state } = applyLockdownOrder({ keystore: o.keystore, facts: o.facts, file: o.content, now: o.now });
    return { result: 'accepted', message: `${order.kind} ${order.sequence} applied${state.locked ? ' (locked)' : ''}` };
  } catch (e) {
    if (e instanceof LockdownOrderError || e instanceof CrlError) return { result: e.code, message: e.message };
    throw e;
  }
}
