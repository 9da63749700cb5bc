// Calling the real console from the integration tests: its handlers through the contract's schemas (as the router
// calls them), the typed refusal a call ends with, and polling until something the console does in the background
// has happened.
import { contract, type ChannelInput, type ChannelName, type ChannelOutput } from '../../../shared/contract.ts';
import { isConsoleError } from '../../../shared/errors.ts';
import type { FleetConsole } from '../../../electron/app.ts';
import { CTX } from '../../unit/store-testkit.ts';

export type ContractCall = <C extends ChannelName>(channel: C, input: ChannelInput<C>) => Promise<ChannelOutput<C>>;

/**
 * Calls a channel's handler of the console `getConsole()` returns at the time of the call (a test may reopen it):
 * the input parsed with `contract[channel].input`, the output checked with `contract[channel].output`.
 * With `transcript`, every raw output that passed the check is appended to it as JSON (to search it for secrets).
 */
export function contractCaller(getConsole: () => FleetConsole, o: { transcript?: string[] } = {}): ContractCall {
  return async <C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> => {
    const parsed = contract[channel].input.parse(input);
    const raw = await (getConsole().handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(parsed, CTX);
    const out = contract[channel].output.parse(raw) as ChannelOutput<C>;
    o.transcript?.push(JSON.stringify(raw));
    return out;
  };
}

/** The ConsoleError `p` rejects with, as { code, message, details } (details {} when it has none). Anything else fails. */
export async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details ?? {} };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

export type Until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms?: number) => Promise<T>;

/**
 * An `until` that asks `fn` every `everyMs` until it returns something other than undefined, failing after `ms`
 * (default 60 s: a hang guard for a loaded machine, not a speed check).
 */
export function untilEvery(everyMs: number): Until {
  return async <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
}

/** Polls every 50 ms (see untilEvery). */
export const until: Until = untilEvery(50);

/**
 * audit:export as the window uses it on the browser host: the channel starts the export (through the contract's
 * schemas) and hands out a download; the download is collected as the host would stream it.
 */
export async function exportAuditText(c: FleetConsole): Promise<{ started: ChannelOutput<'audit:export'>; content: string }> {
  const started = contract['audit:export'].output.parse(await c.handlers['audit:export']({}, CTX));
  if (started.delivery.kind !== 'download' || started.exportId === null) throw new Error(`expected a download, got ${started.delivery.kind}`);
  const ticket = c.auditExports.claim(started.exportId);
  if (!ticket) throw new Error('the export ticket is gone');
  const parts: string[] = [];
  await c.auditExports.deliver(ticket, { write: (chunk) => void parts.push(chunk) });
  return { started, content: parts.join('') };
}

export interface Credentials {
  name: string;
  passphrase: string;
}

/**
 * Adds operators as the admin `admin` (signed in when it is called, and again when it returns), the way a team does it:
 * an operator who can approve something is a two-person action once another approver is in the store
 * (operator.approver, operator.admin; docs/two-person-control.md), so when the add answers `approval_required` the
 * first of `witnesses` (operators already there) or of the operators added before who may approve it signs in and
 * approves, and the admin executes the request.
 */
export async function addOperators(
  c: FleetConsole,
  admin: Credentials,
  ops: readonly (Credentials & { role: ChannelInput<'operators:add'>['role'] })[],
  witnesses: readonly Credentials[] = [],
): Promise<void> {
  const call = contractCaller(() => c);
  const signIn = async (who: Credentials) => {
    await c.handlers['session:lock']({}, CTX);
    await c.handlers['session:unlock']({ operator: who.name, passphrase: who.passphrase }, CTX);
  };
  const added: Credentials[] = [...witnesses];
  for (const op of ops) {
    try {
      await call('operators:add', { name: op.name, role: op.role, passphrase: op.passphrase });
    } catch (e) {
      if (!isConsoleError(e) || e.code !== 'approval_required') throw e;
      const requestId = e.details?.requestId as string;
      let approved = false;
      for (const witness of added) {
        await signIn(witness);
        const request = (await call('approvals:list', { open: true })).requests.find((r) => r.id === requestId);
        if (request?.canApprove) {
          await call('approvals:approve', { requestId });
          approved = true;
          break;
        }
      }
      await signIn(admin);
      if (!approved) throw new Error(`no operator added before ${op.name} may approve adding them`, { cause: e });
      await call('approvals:execute', { requestId });
    }
    added.push(op);
  }
}
