// The incident kit commands (docs/incident-kit.md, docs/cli.md). kit export / kit import run on the console's store
// through the kit:* channels (commands.ts); kit status / robots / use run offline on the kit alone (runCli.ts calls
// runOfflineKitCommand before any store is opened): no data folder, no provider, no network.
import type { CaHistoryEntry } from '../../../shared/caContract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import type { KitImportReport, KitOrderInput } from '../../../shared/kitContract.ts';
import type { KitDistrustedCa } from '../../../shared/kitOfflineContract.ts';
import { openOfflineKit, type OfflineOrderView } from '../../services/incidentKit/offlineKit.ts';
import { writeWholeFile } from './fileCrypto.ts';
import { outputFileFree } from './outputCheck.ts';
import type { ParsedCommand } from './args.ts';

type Options = ParsedCommand['options'];
const text = (v: Options[keyof Options]) => (typeof v === 'string' ? v : undefined);

/** Default uses and lifetime of a kit's orders: 3 uses, 7 days. */
const DEFAULT_MAX_USES = 3;
const DEFAULT_VALID_SECONDS = 7 * 24 * 3600;

/** What a distrust order tells robots: stop trusting the CA, and refuse peers whose certificates its CRLs revoke. */
export const DISTRUST_ORDER_ACTIONS = ['distrust_ca', 'refuse_revoked_peers'] as const;

/** Whether an --order names a fleet CA, so that `kit export` needs the console's CA list (ca:history) to resolve it. */
export const kitOrdersNeedCas = (o: Options): boolean => String(o.order).split('\n').some((spec) => spec.startsWith('distrust-ca:'));

/** The console's CAs as ca:history lists them (id and state are all a distrust order's resolution needs). */
type CaEntry = Pick<CaHistoryEntry, 'id' | 'state' | 'subject'>;

/**
 * The CA a `distrust-ca:` order names, resolved at export: `current` to the current CA's id; an id must be one of the
 * console's CAs (current, retired or compromised). A clear refusal when there is none, before anything is signed.
 */
export function distrustCaOf(spec: string, cas: readonly CaEntry[]): string {
  const named = spec.slice('distrust-ca:'.length).toLowerCase();
  if (named === 'current') {
    const current = cas.find((ca) => ca.state === 'current');
    if (current === undefined) {
      throw new ConsoleError('not_found', cas.length === 0
        ? `kit export: --order ${spec}: this console has no fleet CA yet (ca:init makes one), so there is no CA to distrust.`
        : `kit export: --order ${spec}: this console has no current fleet CA (the last one was revoked); name a CA by its id (ca history lists them).`, { field: 'order' });
    }
    return current.id;
  }
  if (!cas.some((ca) => ca.id.toLowerCase() === named)) {
    throw new ConsoleError('not_found', `kit export: --order ${spec}: no fleet CA ${named} on this console (ca history lists them${cas.length === 0 ? '; it has none yet' : ''}).`, { field: 'order' });
  }
  return named;
}

/**
 * --order SCOPE (args.ts checked its shape) as a kit order named by its own text. A `distrust-ca:` order is for the
 * whole fleet, with the actions distrust_ca and refuse_revoked_peers (--order-actions does not apply to it), naming
 * the CA resolved from `cas` (the console's ca:history, needed only when such an order is given).
 */
export function kitOrdersFromOptions(o: Options, cas: readonly CaEntry[] = []): KitOrderInput[] {
  const maxUses = Number(text(o['max-uses']) ?? DEFAULT_MAX_USES);
  const validForSeconds = Number(text(o['valid-for']) ?? DEFAULT_VALID_SECONDS);
  const actions = text(o['order-actions'])?.split(',').map((a) => a.trim()).filter((a) => a !== '');
  return String(o.order).split('\n').map((spec) => {
    if (spec.startsWith('distrust-ca:')) {
      return { name: spec, scope: { fleet: true as const }, actions: [...DISTRUST_ORDER_ACTIONS], distrustCaIds: [distrustCaOf(spec, cas)], maxUses, validForSeconds };
    }
    const [kind, ...rest] = spec.split(':');
    const value = rest.join(':');
    const scope = kind === 'fleet' ? { fleet: true as const } : kind === 'robot' ? { deviceIds: value.split(',').map((d) => d.trim()) } : { [kind!]: value };
    return { name: spec, scope, maxUses, validForSeconds, ...(actions ? { actions } : {}) } as KitOrderInput;
  });
}

/** The fleet CAs a distrust order names, in words: "fleet CA CN=Fleet CA (1a2b3c4d)". */
export const distrustedInWords = (cas: readonly KitDistrustedCa[]): string => cas.map((ca) => `fleet CA ${ca.subject} (${ca.caId.slice(0, 8)})`).join(', ');

/** What an order does, in words, for `kit status` (a distrust order says so; the others quarantine their scope). */
function orderDoes(x: OfflineOrderView): string {
  if (x.actions.includes('distrust_ca')) return `stops every robot trusting ${distrustedInWords(x.distrustCas ?? [])} (final on robots; quarantines no robot)`;
  return `quarantines ${x.actions.join(', ')}`;
}

export function formatImport(r: KitImportReport): string {
  return [
    `kit ${r.kitId} (responder ${r.responder}): ${r.records} offline record(s) merged into the audit`,
    `orders used: ${r.ordersUsed.map((o) => `${o.name} ${o.uses}/${o.maxUses}`).join(', ') || 'none'}`,
    `quarantined now: ${r.quarantined.join(', ') || 'none'}`,
    `conflicts: ${r.conflicts.length}`,
    ...r.conflicts.map((c) => `  [kit #${c.kitSeq}] ${c.kind}: ${c.message}`),
    `gaps: ${r.gaps.length}`,
    ...r.gaps.map((g) => `  [kit #${g.kitSeq}] ${g.kind}: ${g.message}`),
    // Kits exported before distrust orders existed report none (and an older report has no such list).
    ...((r.distrustedCas ?? []).length > 0 ? [`fleet CAs distrusted offline: ${r.distrustedCas.length}`, ...r.distrustedCas.map((d) => `  [kit #${d.kitSeq}] NOTICE: ${d.message}`)] : []),
  ].join('\n');
}

export interface OfflineKitIo {
  out(line: string): void;
  readPassphrase(): Promise<string>;
  now(): Date;
}

/** kit status / robots / use: the offline console on the kit in --kit DIR, as --operator (the kit's responder). */
export async function runOfflineKitCommand(parsed: ParsedCommand, io: OfflineKitIo): Promise<number> {
  const o = parsed.options;
  const dir = text(o.kit)!;
  const kit = await openOfflineKit(dir, parsed.operator, await io.readPassphrase(), io.now);
  const show = (value: unknown, human: () => string) => io.out(parsed.json ? JSON.stringify(value, null, 2) : human());
  switch (parsed.command) {
    case 'kit status': {
      const info = kit.info();
      show(info, () => [
        `OFFLINE: incident kit ${info.kitId} for ${info.responder} (exported ${info.exportedAt} by ${info.exportedBy}); no provider is called`,
        `registry copy: ${info.robots} robot(s), ${info.certificates} certificate(s), CRL ${info.crlNumber ?? 'none'}; kit audit: ${info.auditRecords} record(s)`,
        ...info.orders.map((x) => `  order "${x.name}" #${x.sequence}: ${x.remaining}/${x.maxUses} use(s) left, ${x.expired ? 'EXPIRED' : 'expires'} ${x.expiresAt}${x.actions.includes('distrust_ca') ? `; ${orderDoes(x)}` : ''}`),
      ].join('\n'));
      return 0;
    }
    case 'kit robots': {
      const robots = kit.robots();
      show({ offline: true, robots }, () => robots.map((r) => `${r.deviceId}  ${r.site}  ${r.model}  ${r.firmware}  ${r.status}`).join('\n'));
      return 0;
    }
    case 'kit use': {
      const out = text(o.out);
      // An existing --out (without --force), or one in a missing folder, stops the command before the order is used: a use is never spent on a
      // file that cannot be written (an order may have one use only).
      if (out !== undefined) await outputFileFree(out, o.force === true);
      const used = await kit.useOrder(parsed.args[0]!, text(o.reason)!);
      if (out !== undefined) {
        await writeWholeFile(out, used.file, o.force === true);
      }
      const { file: _file, ...value } = used;
      show({ offline: true, ...value, out: out ?? null }, () => [
        used.order.actions.includes('distrust_ca')
          ? `OFFLINE: order "${used.order.name}" used (${used.order.used}/${used.order.maxUses}); it stops every robot that takes it trusting ${distrustedInWords(used.order.distrustCas ?? [])}, for good; no robot quarantined (the CA is compromised, not the robots)`
          : `OFFLINE: order "${used.order.name}" used (${used.order.used}/${used.order.maxUses}); quarantined in the kit: ${used.quarantined.join(', ') || 'none'}`,
        ...used.skipped.map((s) => `  skipped ${s.deviceId} (${s.status})`),
        out !== undefined ? `signed order written to ${out}` : 'no --out: the signed order was not written',
      ].join('\n'));
      return 0;
    }
    default:
      throw new Error(`${parsed.command} is not an offline kit command`);
  }
}
