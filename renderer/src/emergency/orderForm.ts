// A lockdown or lift order issued on its own from the Emergency screen (emergency:lockdownOrder, docs/lockdown-orders.md):
// the screen's scope as the order's scope, and the dialog's fields as the channel's input or what is wrong with each
// field, in words. Pure, so test/unit/emergency-order-form.test.ts checks it against tables of its own.
import { LOCKDOWN_ACTION_NAMES, type EmergencyScope } from '../../../shared/emergencyContract.ts';
import type { ChannelInput } from '../../../shared/contract.ts';
import { UUID_PATTERN } from '../../../shared/ids.ts';

export type OrderAction = (typeof LOCKDOWN_ACTION_NAMES)[number];
export type OrderInput = ChannelInput<'emergency:lockdownOrder'>;
export type OrderScope = OrderInput['scope'];

/** An order is valid for at most 90 days (the format's rule). */
export const MAX_HOURS = 90 * 24;
const MAX_TEXT = 500;

/** `list` with `item` added (on) or removed (off): a checkbox group's value. */
export const toggle = <T>(list: readonly T[], item: T, on: boolean): T[] => (on ? [...list, item] : list.filter((x) => x !== item));

/** The scope an order names for the screen's scope, or why an order alone cannot name it. */
export function orderScopeOf(scope: EmergencyScope): { scope: OrderScope } | { error: string } {
  switch (scope.kind) {
    case 'fleet': return { scope: { fleet: true } };
    case 'robot': return { scope: { deviceIds: [scope.deviceId] } };
    case 'robots': return { scope: { deviceIds: scope.deviceIds } };
    case 'site': return { scope: { site: scope.site } };
    case 'model': return { scope: { model: scope.model } };
    case 'firmware': return { scope: { firmware: scope.firmware } };
    case 'tag': return { scope: { tag: scope.tag } };
    case 'key':
    case 'serial':
      return { error: 'An order names robots, a site, a model, a firmware version, a tag or the fleet. For the holders of a key or a certificate serial, tick "Issue a lockdown order" in the playbook: it names their robots.' };
  }
}

/** The order settings an officer fills in (the dialog, and the playbook's lockdown action). */
export interface OrderSettings {
  orderActions: OrderAction[];
  /** Key ids to wipe, separated by commas, semicolons or spaces. */
  wipeKeys: string;
  /** Empty: the reason. */
  message: string;
  hours: string;
  mode: 'strict' | 'best_effort';
}

export interface OrderForm extends OrderSettings {
  kind: 'lockdown' | 'lift';
  reason: string;
}

export type OrderField = 'orderActions' | 'wipeKeys' | 'message' | 'hours' | 'reason';
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
    },
  };
}

/** The dialog's fields as the channel's input for `scope`, or what is wrong with each field, in words. */
export function orderInputOf(f: OrderForm, scope: OrderScope): { input: OrderInput } | { errors: OrderErrors } {
  const reason = f.reason.trim();
  const reasonError = reason === '' ? 'Say why (recorded in the audit log).' : reason.length > MAX_TEXT ? `At most ${MAX_TEXT} characters (${reason.length} given).` : null;
  const r = orderSettingsOf(f, f.kind, reason);
  if ('errors' in r || reasonError) return { errors: { ...('errors' in r ? r.errors : {}), ...(reasonError ? { reason: reasonError } : {}) } };
  return { input: { kind: f.kind, scope, reason, ...r.settings } };
}
