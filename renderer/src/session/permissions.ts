// What the signed-in operator's role allows, for hiding what they may not do (issue 14, docs/operators.md). Only a
// convenience: the main process refuses every call the role does not allow, whatever the window shows.
import { create } from 'zustand';
import { type OperatorRole, type Permission, roleHas } from '../../../shared/operatorsContract.ts';
import type { ChannelName } from '../../../shared/contract.ts';
import { accessFor } from '../../../shared/permissions.ts';

interface RoleState {
  role: OperatorRole | null;
  setRole(role: OperatorRole | null): void;
}

/** Set by App from session:status (and session:changed) whenever it arrives. */
export const useSessionRole = create<RoleState>((set) => ({
  role: null,
  setRole: (role) => set({ role }),
}));

/** Whether the signed-in operator holds any of these permissions (true for none asked, or while the role is unknown). */
export function can(role: OperatorRole | null, ...any: Permission[]): boolean {
  return role === null || any.length === 0 || any.some((p) => roleHas(role, p));
}

export function useCan(...any: Permission[]): boolean {
  const role = useSessionRole((s) => s.role);
  return can(role, ...any);
}

/**
 * Whether the signed-in operator's role may call `channel`, by the main process's own table (shared/permissions.ts):
 * a control that calls it is hidden when not. For a channel whose permission depends on its input (keys:setState,
 * fleet:setStatus) this is "any of": the dialog then offers only the choices the role may make.
 */
export function mayCall(role: OperatorRole | null, channel: ChannelName, input?: unknown): boolean {
  return role === null || accessFor(channel, role, input === undefined ? undefined : { parsed: input }).allowed;
}

/** mayCall for the signed-in operator; with `input`, the permission that input needs (keys:setState to compromised). */
export function useMayCall(channel: ChannelName, input?: unknown): boolean {
  const role = useSessionRole((s) => s.role);
  return mayCall(role, channel, input);
}
