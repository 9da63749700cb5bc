// The router of the offline console in the window (`serve --kit DIR`, docs/incident-kit.md): the browser host calls it
// in place of the console's router. It serves only the kitOffline:* channels (shared/kitOfflineContract.ts) over the
// same offline code as the CLI (offlineKit.ts): no store, no provider, no network. Every channel of the console's
// contract is refused with `offline_kit`; an unknown name with `unknown_channel`. Inputs and outputs are parsed by the
// contract as the console's router does, and it always resolves to an envelope.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isChannelName, type Envelope } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import { isKitOfflineChannel, kitOfflineChannels, type KitOfflineChannel, type KitOfflineInput, type KitOfflineOutput, type KitModeStatus } from '../../../shared/kitOfflineContract.ts';
import { channelLabel, invalidInputError, type RouteRequest, type Router } from '../../ipc/router.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { KIT_FILES, readManifest } from './kitFormat.ts';
import { openOfflineKit, problemOf, writeOrderFile, type OfflineKit } from './offlineKit.ts';

export interface KitModeRouterOptions {
  /** The kit folder (removable media). */
  dir: string;
  now?: () => Date;
  logger?: Logger;
}

export interface KitModeRouter extends Router {
  /** The kit folder served. */
  readonly dir: string;
}

type KitHandlers = { [C in KitOfflineChannel]: (input: KitOfflineInput<C>) => Promise<KitOfflineOutput<C>> };

const fail = (e: ConsoleError): Envelope<never> => ({ ok: false, error: e.toInfo() });

export function createKitModeRouter(options: KitModeRouterOptions): KitModeRouter {
  const { dir } = options;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  let kit: OfflineKit | null = null;

  const opened = (): OfflineKit => {
    if (!kit) throw new ConsoleError('locked', 'Sign in with your passphrase to open the incident kit.');
    return kit;
  };

  async function status(): Promise<KitModeStatus> {
    const base = { kitMode: true as const, offline: true as const, providers: 'none' as const, signedIn: kit !== null };
    try {
      const { body } = readManifest(await readFile(join(dir, KIT_FILES.manifest), 'utf8').catch(() => {
        throw new ConsoleError('not_found', `Incident kit ${dir} has no readable ${KIT_FILES.manifest}.`);
      }));
      const { kitId, responder, exportedAt, exportedBy, expiresAt, robots, orders } = body;
      return { ...base, manifest: { kitId, responder, exportedAt, exportedBy, expiresAt, robots, orders: orders.map(({ name, orderId, sequence, expiresAt: e, maxUses }) => ({ name, orderId, sequence, expiresAt: e, maxUses })) }, problem: null };
    } catch (e) {
      return { ...base, manifest: null, problem: problemOf(e) };
    }
  }

  const handlers: KitHandlers = {
    'kitOffline:status': status,
    'kitOffline:signIn': async ({ operator, passphrase }) => {
      kit = null;
      kit = await openOfflineKit(dir, operator, passphrase, now);
      return kit.info();
    },
    'kitOffline:signOut': async () => {
      kit = null;
      return { signedIn: false as const };
    },
    'kitOffline:info': async () => opened().info(),
    'kitOffline:robots': async () => ({ robots: opened().robots().map(({ deviceId, name, site, model, firmware, tags, status: s, statusReason, updatedAt }) => ({ deviceId, name, site, model, firmware, tags, status: s, statusReason, updatedAt })) }),
    'kitOffline:certificates': async () => opened().certificates(),
    'kitOffline:audit': async () => opened().audit(),
    'kitOffline:useOrder': async ({ order, reason, out }) => {
      // Refused before the use counts when the file is already there (a use is never spent on a file not written).
      if (out !== undefined && existsSync(out)) throw new ConsoleError('invalid_input', `Output file ${out} already exists; choose a new file.`, { field: 'out' });
      const used = await opened().useOrder(order, reason);
      let path = out;
      if (path === undefined) {
        await mkdir(join(dir, 'orders'), { recursive: true, mode: 0o700 });
        path = join(dir, 'orders', `use-${used.order.used}-${used.fileName}`);
      }
      await writeOrderFile(path, used.file, false);
      return { order: used.order, quarantined: used.quarantined, skipped: used.skipped, fileName: used.fileName, writtenTo: path };
    },
  };

  async function route(request: RouteRequest): Promise<Envelope<unknown>> {
    const { channel, input } = request;
    if (!request.trustedSender) return { ok: false, error: { code: 'forbidden_sender', message: 'The request did not come from the console window.' } };
    if (!isKitOfflineChannel(channel)) {
      if (isChannelName(channel)) return fail(new ConsoleError('offline_kit', `${channel} is not available: this console runs offline on an incident kit (no store, no provider).`, { channel }));
      return fail(new ConsoleError('unknown_channel', `Unknown channel ${channelLabel(channel)}.`));
    }
    const spec = kitOfflineChannels[channel];
    const parsed = spec.input.safeParse(input);
    if (!parsed.success) return fail(invalidInputError(channel, parsed.error));
    let result: unknown;
    try {
      result = await (handlers[channel] as (i: unknown) => Promise<unknown>)(parsed.data);
    } catch (e) {
      if (isConsoleError(e)) return fail(e);
      logger.error('kit mode handler failed', { channel, error: e });
      return fail(new ConsoleError('internal', `Internal error while handling ${channel}; the console log has details.`));
    }
    const output = spec.output.safeParse(result);
    if (!output.success) {
      logger.error('kit mode output failed its schema', { channel, issues: output.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.code}`) });
      return fail(new ConsoleError('internal', `Internal error: ${channel} produced an invalid result; the console log has details.`));
    }
    return { ok: true, value: output.data };
  }

  return { dir, route };
}
