// The emergency and lockdown commands' pure parts (docs/emergency-response.md, docs/cli.md): the scope and the
// playbook from the command line's options, and the human-readable preview and run. args.ts has already checked that
// exactly one scope and (for execute) at least one action were given.
import type { ChannelInput, ChannelOutput } from '../../../shared/contract.ts';
import type { EmergencyAction, EmergencyPreview, EmergencyRunView, EmergencyScope } from '../../../shared/emergencyContract.ts';
import type { ParsedCommand } from './args.ts';

type Options = ParsedCommand['options'];
const text = (v: Options[keyof Options]) => (typeof v === 'string' ? v : undefined);

/** --robot (repeatable, or comma-separated), --site, --model, --firmware, --tag, --key ID[:VERSION], --serial, --fleet. */
export function scopeFromOptions(o: Options): EmergencyScope {
  const robots = (Array.isArray(o.robot) ? o.robot : typeof o.robot === 'string' ? [o.robot] : []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  if (robots.length === 1) return { kind: 'robot', deviceId: robots[0]! };
  if (robots.length > 1) return { kind: 'robots', deviceIds: robots };
  const key = text(o.key);
  if (key !== undefined) {
    const [keyId, version] = key.split(':');
    return version === undefined ? { kind: 'key', keyId: keyId! } : { kind: 'key', keyId: keyId!, version: Number(version) };
  }
  for (const kind of ['site', 'model', 'firmware', 'tag', 'serial'] as const) {
    const v = text(o[kind]);
    if (v !== undefined) return { kind, [kind]: v } as EmergencyScope;
  }
  return { kind: 'fleet' };
}

/** A lockdown order's scope: the order format's own, or a key (version) or serial the console resolves to robots. */
export function orderScopeFromOptions(o: Options): ChannelInput<'emergency:lockdownOrder'>['scope'] {
  const s = scopeFromOptions(o);
  switch (s.kind) {
    case 'robot': return { deviceIds: [s.deviceId] };
    case 'robots': return { deviceIds: s.deviceIds };
    case 'site': return { site: s.site };
    case 'model': return { model: s.model };
    case 'firmware': return { firmware: s.firmware };
    case 'tag': return { tag: s.tag };
    case 'key': return { keyId: s.keyId, ...(s.version === undefined ? {} : { version: s.version }) };
    case 'serial': return { serial: s.serial };
    case 'fleet': return { fleet: true };
  }
}

const FLAG_ACTIONS: ReadonlyArray<[keyof Options, EmergencyAction]> = [
  ['compromise-keys', 'compromise_keys'], ['revoke-certs', 'revoke_certificates'], ['revoke-ca', 'revoke_ca'], ['quarantine', 'quarantine'], ['rotate-shared', 'rotate_shared'], ['lockdown', 'lockdown'],
];

/** How long an order from the CLI stays valid unless --valid-for says otherwise: 7 days. */
const DEFAULT_VALID_SECONDS = 7 * 24 * 3600;
/** --distrust-ca (repeatable, or comma-separated): the fleet CAs (console ids) robots stop trusting, as given. */
export const distrustCaIdsOf = (o: Options): string[] =>
  (Array.isArray(o['distrust-ca']) ? o['distrust-ca'] : typeof o['distrust-ca'] === 'string' ? [o['distrust-ca']] : []).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '');
/**
 * --order-actions (default stop_operating), and distrust_ca when --distrust-ca names a CA; with its CA ids. The ids
 * are sent as given: the console's schema refuses one that is not a CA id (invalid_input) and the lockdown service an
 * unknown CA (not_found), each audited.
 */
function orderSettings(o: Options): { actions: string[]; distrustCaIds?: string[] } {
  const actions = (text(o['order-actions']) ?? 'stop_operating').split(',').map((a) => a.trim()).filter((a) => a !== '');
  const distrustCaIds = distrustCaIdsOf(o);
  if (distrustCaIds.length === 0) return { actions };
  return { actions: actions.includes('distrust_ca') ? actions : [...actions, 'distrust_ca'], distrustCaIds };
}

/** emergency execute's input; the router's schema checks every value (a bad --cert-reason is invalid_input). */
export function executeFromOptions(o: Options): Record<string, unknown> {
  const reason = text(o.reason) ?? '';
  const lockdownGiven = ['message', 'order-actions', 'distrust-ca', 'valid-for', 'mode'].some((k) => o[k as keyof Options] !== undefined);
  return {
    scope: scopeFromOptions(o),
    actions: FLAG_ACTIONS.filter(([flag]) => o[flag] === true).map(([, a]) => a),
    reason,
    ...(text(o['cert-reason']) ? { certificateReason: text(o['cert-reason']) } : {}),
    ...(text(o['ca-id']) ? { caId: text(o['ca-id']) } : {}),
    ...(o['dry-run'] === true ? { dryRun: true } : {}),
    ...(text(o['break-glass']) ? { breakGlass: { reason: text(o['break-glass']) } } : {}),
    ...(lockdownGiven
      ? {
        lockdown: {
          ...orderSettings(o),
          message: text(o.message) ?? reason,
          validForSeconds: Number(text(o['valid-for']) ?? DEFAULT_VALID_SECONDS),
          ...(text(o.mode) ? { mode: text(o.mode) } : {}),
        },
      }
      : {}),
  };
}

/** lockdown order / lockdown lift's input. */
export function orderFromOptions(kind: 'lockdown' | 'lift', o: Options): Record<string, unknown> {
  const reason = text(o.reason) ?? '';
  return {
    kind,
    scope: orderScopeFromOptions(o),
    ...(kind === 'lift' ? { actions: [] } : orderSettings(o)),
    reason,
    message: text(o.message) ?? reason,
    validForSeconds: Number(text(o['valid-for']) ?? DEFAULT_VALID_SECONDS),
    ...(text(o.mode) ? { mode: text(o.mode) } : {}),
    ...(text(o['break-glass']) ? { breakGlass: { reason: text(o['break-glass']) } } : {}),
    // How many robots the responder expects --key / --serial to name: another count is refused, nothing signed.
    ...(text(o['expect-robots']) ? { expectedRobots: Number(text(o['expect-robots'])) } : {}),
  };
}

export function formatPreview(p: EmergencyPreview): string {
  const lines = [
    `scope: ${JSON.stringify(p.scope)} (${p.approval === 'one_officer' ? 'one security officer' : 'two-person approval; break-glass until then'})`,
    `robots: ${p.robots.total} (${p.robots.byStatus.map((s) => `${s.count} ${s.status}`).join(', ') || 'none'})`,
    ...p.robots.sample.map((r) => `  ${r.deviceId}  ${r.site}  ${r.model}  ${r.firmware}  ${r.status}`),
    `certificates: ${p.certificates.total}${p.certificates.sample.length ? ` (${p.certificates.sample.map((c) => c.serial).join(', ')}${p.certificates.total > p.certificates.sample.length ? ', ...' : ''})` : ''}`,
    `keys: ${p.keys.length}`,
    ...p.keys.map((k) => `  ${k.keyId}  ${k.type ?? '?'}  ${k.label ?? ''}  versions ${k.versions.map((v) => `v${v.version}:${v.robotsInScope}`).join(' ') || '-'}  outside ${k.robotsOutside}  -> ${k.plan}  [${k.providers.join(', ')}]`),
    `reach now (at a station): ${p.reach.now.length ? p.reach.now.join(', ') : 'none'}; later: ${p.reach.later} (${p.reach.how.join('; ')})`,
    'providers:',
    ...p.providers.map((x) => `  ${x.providerId}: ${x.purposes.join(', ')}${x.configured ? (x.reachable ? '' : ' (not reachable now)') : ' (NOT CONFIGURED)'}`),
    `outside the scope: ${p.outside.summary}`,
    `fleet CA (revoked by --revoke-ca whatever the scope): ${p.ca ? `${p.ca.caId} ${p.ca.subject} (${p.ca.state}): ${p.ca.certificates} certificate(s) not revoked, ${p.ca.robots} robot(s)` : 'none'}`,
  ];
  return lines.join('\n');
}

export function formatRun(r: EmergencyRunView): string {
  const lines = [
    `run ${r.runId}: ${r.state} (${r.origin === 'order' ? 'a lockdown order issued on its own, ' : ''}${r.robots} robot(s), by ${r.actor}${r.breakGlassReason ? `, BREAK-GLASS: ${r.breakGlassReason}; review: ${r.review}` : ''})`,
    ...r.steps.map((s) => {
      const items = Object.values((s.detail.items ?? {}) as Record<string, { state: string }>);
      const count = (st: string) => items.filter((i) => i.state === st).length;
      return `  ${s.position + 1}. ${s.action}: ${s.state} (${count('done')} done, ${count('failed')} failed, ${count('skipped')} skipped; attempt ${s.attempts})${s.errorMessage ? ` - ${s.errorCode}: ${s.errorMessage}` : ''}`;
    }),
  ];
  return lines.join('\n');
}

export function formatExecute(v: ChannelOutput<'emergency:execute'>): string {
  if (v.dryRun || !v.run) return `DRY RUN: nothing was changed (one audit record)\n${formatPreview(v.preview)}`;
  return formatRun(v.run);
}
