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
import { openOfflineKit, problemOf, type OfflineKit } from './offlineKit.ts';
import { writeWholeFile } from '../../ipc/cli/fileCrypto.ts';
import { kitThrottle } from './kitThrottle.ts';
import { createIdleLock, type IdleLock } from '../session/idleLock.ts';
import type { LockReason } from '../session/session.ts';

export interface KitModeRouterOptions {
  /** The kit folder (removable media). */
  dir: string;
  now?: () => Date;
  logger?: Logger;
  /**
   * The idle lock (the console's, session/idleLock.ts) for the window and `serve --kit`: the opened kit is forgotten
   * after `minutes` without a call (default: the console's 10) or with the page hidden that long, checked before each
   * call and every `intervalMs` (default 15 s; null: no timer, tests move their clock). Absent: no idle lock.
   */
  idleLock?: { minutes?: number; intervalMs?: number | null };
}

export interface KitModeRouter extends Router {
  /** The kit folder served. */
  readonly dir: string;
  /** The idle lock, when enabled: the shell locks through it when the OS suspends or the screen locks. */
  readonly idle: IdleLock | null;
  /** Stops the idle lock's timer. */
  close(): void;
}

/** Calls the window makes by itself: they do not keep an unattended kit open. */
const PASSIVE_KIT_CHANNELS: ReadonlySet<string> = new Set(['kitOffline:status', 'kitOffline:visibility']);

type KitHandlers = { [C in KitOfflineChannel]: (input: KitOfflineInput<C>) => Promise<KitOfflineOutput<C>> };

const fail = (e: ConsoleError): Envelope<never> => ({ ok: false, error: e.toInfo() });

export function createKitModeRouter(options: KitModeRouterOptions): KitModeRouter {
  const { dir } = options;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  let kit: OfflineKit | null = null;
  let lockedBy: LockReason | null = null;
  // One call at a time: sign-in attempts cannot race past the throttle, and the kit's chain is appended in order.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const idle = options.idleLock
    ? createIdleLock({
        clock: { now: () => now().getTime() },
        session: {
          role: () => (kit ? 'security_officer' : null),
          actor: () => 'kit',
          lock: (reason) => {
            const closing = kit;
            kit = null;
            lockedBy = reason;
            // Recorded in the kit's chain (after any call in progress); the kit is forgotten at once.
            if (closing) serial(() => closing.lock(reason)).catch((e: unknown) => logger.warn('the kit lock could not be recorded', { error: e instanceof Error ? e.name : String(e) }));
          },
        },
        settings: { get: () => (options.idleLock?.minutes === undefined ? null : String(options.idleLock.minutes)), set: () => undefined },
        audit: { append: () => { throw new ConsoleError('offline_kit', 'The idle time of the offline console is not a setting.'); } },
        logger,
        transaction: (fn) => fn(),
      })
    : null;
  if (idle && options.idleLock?.intervalMs !== null) idle.start(options.idleLock?.intervalMs);

  const opened = (): OfflineKit => {
    if (!kit) throw new ConsoleError('locked', 'Sign in with your passphrase to open the incident kit.');
    return kit;
  };

  async function status(): Promise<KitModeStatus> {
    const base = { kitMode: true as const, offline: true as const, providers: 'none' as const, signedIn: kit !== null, lockedBy };
    try {
      const { body } = readManifest(await readFile(join(dir, KIT_FILES.manifest), 'utf8').catch(() => {
        throw new ConsoleError('not_found', `Incident kit ${dir} has no readable ${KIT_FILES.manifest}.`);
      }));
      const { kitId, responder, exportedAt, exportedBy, expiresAt, robots, orders } = body;
      const retryAfterMs = await kitThrottle(dir, kitId, () => now().getTime()).retryAfterMs();
      return { ...base, manifest: { kitId, responder, exportedAt, exportedBy, expiresAt, robots, orders: orders.map(({ name, orderId, sequence, expiresAt: e, maxUses }) => ({ name, orderId, sequence, expiresAt: e, maxUses })) }, problem: null, retryAfterMs };
    } catch (e) {
      return { ...base, manifest: null, problem: problemOf(e), retryAfterMs: 0 };
    }
  }

  const handlers: KitHandlers = {
    'kitOffline:status': status,
    'kitOffline:signIn': async ({ operator, passphrase }) => {
      kit = null;
      kit = await openOfflineKit(dir, operator, passphrase, now);
      lockedBy = null;
      return kit.info();
    },
    'kitOffline:signOut': async () => {
      kit = null;
      lockedBy = null;
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
      await writeWholeFile(path, used.file, false);
      return { order: used.order, quarantined: used.quarantined, skipped: used.skipped, fileName: used.fileName, writtenTo: path, content: used.file.toString('base64') };
    },
    'kitOffline:visibility': async ({ hidden }) => {
      opened();
      idle?.visibility(hidden);
      idle?.check();
      return { hidden };
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
      result = await serial(async () => {
        if (idle) {
          // A call after the idle time finds the kit locked (the timer may not have run yet), then counts.
          idle.check();
          if (!PASSIVE_KIT_CHANNELS.has(channel)) idle.activity();
        }
        return (handlers[channel] as (i: unknown) => Promise<unknown>)(parsed.data);
      });
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

  return { dir, route, idle, close: () => idle?.stop() };
}
