// The simulator's side of lockdown orders (docs/lockdown-orders.md): a robot checks an order file with the emergency
// public key it trusts (electron/services/emergency/lockdownOrder.ts verifyOrder, the reference robot checks) and
// its own facts, then records the new state in lockdown-state.json (one atomic write; nothing written on refusal).
// Used by `robot.ts --apply-order FILE` (USB stick) and `robot.ts --operate` (does the robot still work?).
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyOrder, mayOperate, UNLOCKED, verifyOrder, type OrderBody, type RobotFacts, type RobotLockdownState } from '../../electron/services/emergency/lockdownOrder.ts';

const stateFile = (keystore: string) => path.join(keystore, 'lockdown-state.json');

export function lockdownState(keystore: string): RobotLockdownState {
  const f = stateFile(keystore);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RobotLockdownState) : UNLOCKED;
}

export function applyLockdownOrder(o: { keystore: string; facts: RobotFacts; emergencyKeyPem: string; file: Buffer; now: Date }): { order: OrderBody; state: RobotLockdownState } {
  const before = lockdownState(o.keystore);
  const order = verifyOrder(o.file, { emergencyPublicKey: createPublicKey(o.emergencyKeyPem), robot: o.facts, lastSequence: before.lastSequence, now: o.now });
  const state = applyOrder(before, order);
  const f = stateFile(o.keystore);
  writeFileSync(`${f}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${f}.tmp`, f);
  return { order, state };
}

/** What `--operate` answers: the robot works unless a standing lockdown says stop_operating. */
export function operate(keystore: string, now: Date): { ok: true; safeMode: boolean } | { ok: false; code: 'locked_down'; message: string } {
  const state = lockdownState(keystore);
  if (mayOperate(state, now)) return { ok: true, safeMode: state.locked !== null && Date.parse(state.locked.expiresAt) > now.getTime() && state.locked.actions.includes('safe_mode') };
  return { ok: false, code: 'locked_down', message: state.locked?.message ?? '' };
}
