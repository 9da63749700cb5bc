// A lockdown or lift order issued on its own from the Emergency screen (emergency:lockdownOrder, docs/lockdown-orders.md):
// the screen's scope as the order's scope, and the dialog's fields as the channel's input or what is wrong with each
// field, in words. Pure, so test/unit/emergency-order-form.test.ts checks it against tables of its own.
import { isWideOrder, LOCKDOWN_ACTION_NAMES, type EmergencyScope } from '../../../shared/emergencyContract.ts';
import type { ChannelInput } from '../../../shared/contract.ts';
import { UUID_PATTERN } from '../../../shared/ids.ts';

export type OrderAction = (typeof LOCKDOWN_ACTION_NAMES)[number];
export type OrderInput = ChannelInput<'emergency:lockdownOrder'>;
export type OrderScope = OrderInput['scope'];

/** An order is valid for at most 90 days (the format's rule). */
export const MAX_HOURS = 90 * 24;
const MAX_TEXT = 500;
/** At most this many fleet CAs in one distrust order (DistrustCaIdsSchema). */
export const MAX_DISTRUST_CAS = 16;

/** `list` with `item` added (on) or removed (off): a checkbox group's value. */
export const toggle = <T>(list: readonly T[], item: T, on: boolean): T[] => (on ? [...list, item] : list.filter((x) => x !== item));

/**
 * The scope an order names for the screen's scope. The holders of a key (version) and the robot of a certificate serial
 * are named as such: the console resolves them to their robots when it signs, and the order names those robots.
 */
export function orderScopeOf(scope: EmergencyScope): { scope: OrderScope } {
  switch (scope.kind) {
    case 'fleet': return { scope: { fleet: true } };
    case 'robot': return { scope: { deviceIds: [scope.deviceId] } };
    case 'robots': return { scope: { deviceIds: scope.deviceIds } };
    case 'site': return { scope: { site: scope.site } };
    case 'model': return { scope: { model: scope.model } };
    case 'firmware': return { scope: { firmware: scope.firmware } };
    case 'tag': return { scope: { tag: scope.tag } };
    case 'key': return { scope: { keyId: scope.keyId, ...(scope.version === undefined ? {} : { version: scope.version }) } };
    case 'serial': return { scope: { serial: scope.serial } };
  }
}

/** The order settings an officer fills in (the dialog, and the playbook's lockdown action). */
export interface OrderSettings {
  orderActions: OrderAction[];
  /** Key ids to wipe, separated by commas, semicolons or spaces. */
  wipeKeys: string;
  /** With "Stop trusting a fleet CA" (distrust_ca): the console ids of the fleet CAs robots stop trusting (ca:history). */
  distrustCaIds: string[];
  /** Empty: the reason. */
  message: string;
  hours: string;
  mode: 'strict' | 'best_effort';
}

export interface OrderForm extends OrderSettings {
  kind: 'lockdown' | 'lift';
  reason: string;
  /** A wide lockdown: ask for two-person approval, or break glass (signed at once, alert, review). */
  approval: 'request' | 'break_glass';
  /** Why one officer breaks glass (required then). */
  glassReason: string;
}

export type OrderField = 'orderActions' | 'wipeKeys' | 'distrustCaIds' | 'message' | 'hours' | 'reason' | 'glassReason';
export type OrderErrors = Partial<Record<OrderField, string>>;

/** What robots must do and for how long, or what is wrong with each field; `kind` lift names no action. */
export function orderSettingsOf(s: OrderSettings, kind: 'lockdown' | 'lift', reason: string): { settings: Omit<OrderInput, 'kind' | 'scope' | 'reason'> } | { errors: OrderErrors } {
  const errors: OrderErrors = {};
  const hours = Number(s.hours);
  if (s.hours.trim() === '' || !Number.isFinite(hours) || hours * 3600 < 60 || hours > MAX_HOURS) errors.hours = `Valid for 1 minute (0.02 h) to ${MAX_HOURS} hours (90 days).`;
  const actions = kind === 'lift' ? [] : LOCKDOWN_ACTION_NAMES.filter((a) => s.orderActions.includes(a));
  if (kind === 'lockdown' && actions.length === 0) errors.orderActions = 'Tick what robots must do.';
  const wipeKeys = s.wipeKeys.split(/[\s,;]+/).filter((k) => k !== '');
  if (actions.includes('wipe_keys')) {
    const bad = wipeKeys.filter((k) => !UUID_PATTERN.test(k));
    if (wipeKeys.length === 0) errors.wipeKeys = 'Name at least one key id to wipe.';
    else if (bad.length > 0) errors.wipeKeys = `Not key ids (UUIDs, lowercase): ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}.`;
    else if (wipeKeys.length > 1000) errors.wipeKeys = `At most 1,000 keys (${wipeKeys.length} given).`;
  }
  const distrustCaIds = [...new Set(s.distrustCaIds)];
  if (actions.includes('distrust_ca')) {
    const bad = distrustCaIds.filter((id) => !UUID_PATTERN.test(id));
    if (distrustCaIds.length === 0) errors.distrustCaIds = 'Choose the fleet CA (or CAs) robots must stop trusting.';
    else if (bad.length > 0) errors.distrustCaIds = `Not fleet CA ids (UUIDs, lowercase): ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}.`;
    else if (distrustCaIds.length > MAX_DISTRUST_CAS) errors.distrustCaIds = `At most ${MAX_DISTRUST_CAS} fleet CAs in one order (${distrustCaIds.length} chosen).`;
  }
  const message = s.message.trim() || reason.trim();
  if (s.message.trim().length > MAX_TEXT) errors.message = `At most ${MAX_TEXT} characters (${s.message.trim().length} given).`;
  if (Object.keys(errors).length > 0) return { errors };
  return {
    settings: {
      actions,
      message,
      validForSeconds: Math.round(hours * 3600),
      mode: s.mode,
      ...(actions.includes('wipe_keys') ? { wipeKeys: [...new Set(wipeKeys)] } : {}),
      ...(actions.includes('distrust_ca') ? { distrustCaIds } : {}),
    },
  };
}

/** A required text of 1-500 characters, or what is wrong with it. */
const textError = (text: string, missing: string) => (text === '' ? missing : text.length > MAX_TEXT ? `At most ${MAX_TEXT} characters (${text.length} given).` : null);

/**
 * Whether the order needs two-person approval or break-glass (the main process decides the same way): a lockdown beyond
 * a list of robots, or one that stops robots trusting a fleet CA, whatever its scope.
 */
export const orderIsWide = (f: Pick<OrderForm, 'kind' | 'orderActions'>, scope: OrderScope) =>
  isWideOrder({ kind: f.kind, scope, actions: f.kind === 'lift' ? [] : f.orderActions });

/** What the playbook's revoke_ca and lockdown actions say about the CA to distrust: both ticked, and the CA revoked. */
export interface RevokedCa {
  /** revoke_ca and lockdown are both ticked. */
  both: boolean;
  /** The id of the CA revoke_ca revokes (null while ca:history is not loaded, or there is no CA). */
  caId: string | null;
}

/**
 * The playbook's lockdown settings once the officer changed the playbook from `before` to `after`: when revoke_ca and
 * lockdown become both ticked, "Stop trusting a fleet CA" is ticked with the CA revoke_ca revokes (the officer sees it
 * and may untick it); when the officer then chooses another CA to revoke, the pre-chosen one follows. Anything the
 * officer set by hand otherwise stays as it is.
 */
export function pretickDistrust<T extends OrderSettings>(before: RevokedCa, after: RevokedCa, s: T): T {
  if (!after.both || after.caId === null) return s;
  if (!before.both || before.caId === null) {
    return {
      ...s,
      orderActions: s.orderActions.includes('distrust_ca') ? s.orderActions : [...s.orderActions, 'distrust_ca'],
      distrustCaIds: s.distrustCaIds.includes(after.caId) ? s.distrustCaIds : [...s.distrustCaIds, after.caId],
    };
  }
  if (before.caId !== after.caId && s.distrustCaIds.includes(before.caId)) {
    return { ...s, distrustCaIds: [...new Set(s.distrustCaIds.map((id) => (id === before.caId ? after.caId! : id)))] };
  }
  return s;
}

/**
 * The dialog's fields as the channel's input for `scope`, or what is wrong with each field, in words. Break-glass is
 * sent only for a wide order (a lift or a robot list never needs approval).
 */
export function orderInputOf(f: OrderForm, scope: OrderScope): { input: OrderInput } | { errors: OrderErrors } {
  const reason = f.reason.trim();
  const errors: OrderErrors = {};
  const reasonError = textError(reason, 'Say why (recorded in the audit log).');
  if (reasonError) errors.reason = reasonError;
  const breakGlass = f.approval === 'break_glass' && orderIsWide(f, scope);
  const glassReason = f.glassReason.trim();
  const glassError = breakGlass ? textError(glassReason, 'Say why you break glass instead of asking a second officer (recorded in the audit log and the alert).') : null;
  if (glassError) errors.glassReason = glassError;
  const r = orderSettingsOf(f, f.kind, reason);
  if ('errors' in r || Object.keys(errors).length > 0) return { errors: { ...('errors' in r ? r.errors : {}), ...errors } };
  return { input: { kind: f.kind, scope, reason, ...r.settings, ...(breakGlass ? { breakGlass: { reason: glassReason } } : {}) } };
}
