// The incident kit commands (docs/incident-kit.md, docs/cli.md). kit export / kit import run on the console's store
// through the kit:* channels (commands.ts); kit status / robots / use run offline on the kit alone (runCli.ts calls
// runOfflineKitCommand before any store is opened): no data folder, no provider, no network.
import type { KitImportReport, KitOrderInput } from '../../../shared/kitContract.ts';
import { openOfflineKit } from '../../services/incidentKit/offlineKit.ts';
import { writeWholeFile } from './fileCrypto.ts';
import { outputFileFree } from './outputCheck.ts';
import type { ParsedCommand } from './args.ts';

type Options = ParsedCommand['options'];
const text = (v: Options[keyof Options]) => (typeof v === 'string' ? v : undefined);

/** Default uses and lifetime of a kit's orders: 3 uses, 7 days. */
const DEFAULT_MAX_USES = 3;
const DEFAULT_VALID_SECONDS = 7 * 24 * 3600;

/** --order SCOPE (args.ts checked its shape) as a kit order named by its own text. */
export function kitOrdersFromOptions(o: Options): KitOrderInput[] {
  const maxUses = Number(text(o['max-uses']) ?? DEFAULT_MAX_USES);
  const validForSeconds = Number(text(o['valid-for']) ?? DEFAULT_VALID_SECONDS);
  const actions = text(o['order-actions'])?.split(',').map((a) => a.trim()).filter((a) => a !== '');
  return String(o.order).split('\n').map((spec) => {
    const [kind, ...rest] = spec.split(':');
    const value = rest.join(':');
    const scope = kind === 'fleet' ? { fleet: true as const } : kind === 'robot' ? { deviceIds: value.split(',').map((d) => d.trim()) } : { [kind!]: value };
    return { name: spec, scope, maxUses, validForSeconds, ...(actions ? { actions } : {}) } as KitOrderInput;
  });
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
        ...info.orders.map((x) => `  order "${x.name}" #${x.sequence}: ${x.remaining}/${x.maxUses} use(s) left, ${x.expired ? 'EXPIRED' : 'expires'} ${x.expiresAt}`),
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
        `OFFLINE: order "${used.order.name}" used (${used.order.used}/${used.order.maxUses}); quarantined in the kit: ${used.quarantined.join(', ') || 'none'}`,
        ...used.skipped.map((s) => `  skipped ${s.deviceId} (${s.status})`),
        out !== undefined ? `signed order written to ${out}` : 'no --out: the signed order was not written',
      ].join('\n'));
      return 0;
    }
    default:
      throw new Error(`${parsed.command} is not an offline kit command`);
  }
}
