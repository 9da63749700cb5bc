// The one router of the contract. Both transports (Electron IPC, the browser host's WebSocket) and the CLI call
// route(); it checks the sender, parses the input strictly, calls the handler, parses the output and always
// resolves to an envelope. It never rejects, never echoes raw input (it may hold a passphrase) and never leaks
// the text of unexpected errors. With the console's access gate it refuses what the signed-in operator's role may not
// call before the input is even parsed (docs/operators.md), and hands the gate each input its schema refuses and each
// call a handler refuses `locked` (the gate audits them, docs/audit-log.md "Refused inputs and locked calls").
import type { z } from 'zod';
import { contract, isChannelName, type CallContext, type Envelope, type Handlers } from '../../shared/contract.ts';
import { ConsoleError, isConsoleError, type ErrorInfo } from '../../shared/errors.ts';
import { dependsOnInput } from '../../shared/permissions.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { AccessGate } from '../services/operators/accessGate.ts';

export interface RouteRequest {
  channel: unknown;
  input: unknown;
  ctx: CallContext;
  /** The transport's verdict on the caller (Electron: our window's main frame and origin; host: token checked). */
  trustedSender: boolean;
}

export interface Router {
  route(request: RouteRequest): Promise<Envelope<unknown>>;
}

export interface RouterOptions {
  handlers: Handlers;
  /**
   * The signed-in operator's permissions (FleetConsole.access): checked before the input is parsed, so a refused call
   * reaches no handler (`forbidden`, audited). The console's handlers check again, for routers built without it.
   */
  access?: Pick<AccessGate, 'check'> & Partial<Pick<AccessGate, 'refusedInput' | 'refusedLocked'>>;
  logger?: Logger;
}

const MAX_SEGMENT = 40;
const MAX_ISSUES_IN_MESSAGE = 3;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]{0,31}$/;

/** A path segment made safe to show: attacker-chosen keys are truncated and stripped of control characters. */
function segment(part: PropertyKey): string {
  const text = typeof part === 'symbol' ? '[symbol]' : String(part);
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > MAX_SEGMENT ? `${clean.slice(0, MAX_SEGMENT)}…` : clean;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(input)' : path.map(segment).join('.');
}

/** One issue in words, naming the field; built from the issue kind, never from the rejected value. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = fieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    // A key name is caller-chosen text: name it only when it looks like a field name, never arbitrary text.
    const named = issue.keys.filter((k) => IDENTIFIER.test(k));
    const shown = named.slice(0, 3).map((k) => `"${k}"`);
    const others = issue.keys.length - shown.length;
    const parts = [...shown, ...(others > 0 ? [`${others} other${others > 1 ? 's' : ''}`] : [])];
    return `${where}: unexpected field${issue.keys.length > 1 ? 's' : ''} ${parts.join(', ')}`;
  }
  return `${where}: ${issue.message}`;
}

export function invalidInputError(channel: string, error: z.ZodError): ConsoleError {
  const issues = error.issues;
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map(describeIssue).join('; ');
  const more = issues.length > MAX_ISSUES_IN_MESSAGE ? ` (and ${issues.length - MAX_ISSUES_IN_MESSAGE} more)` : '';
  const first = issues[0];
  const field = first ? fieldPath(first.path) : '(input)';
  return new ConsoleError('invalid_input', `Invalid input for ${channel}: ${shown}${more}`, { field });
}

export function channelLabel(channel: unknown): string {
  return typeof channel === 'string' ? segment(channel) : `(${typeof channel})`;
}

const fail = (error: ErrorInfo): Envelope<never> => ({ ok: false, error });

export function createRouter(options: RouterOptions): Router {
  const { handlers } = options;
  const logger = options.logger ?? silentLogger;

  async function route(request: RouteRequest): Promise<Envelope<unknown>> {
    const { channel, input, ctx } = request;
    if (!request.trustedSender) {
      logger.warn('ipc call refused: untrusted sender', { channel: channelLabel(channel), transport: ctx.transport });
      return fail({ code: 'forbidden_sender', message: 'The request did not come from the console window.' });
    }
    if (!isChannelName(channel)) {
      return fail({ code: 'unknown_channel', message: `Unknown channel ${channelLabel(channel)}.` });
    }
    const refused = (parsedInput?: { parsed: unknown }): Envelope<never> | null => {
      try {
        options.access?.check(channel, ctx, parsedInput);
        return null;
      } catch (e) {
        if (isConsoleError(e)) return fail(e.toInfo());
        logger.error('ipc access check failed', { channel, transport: ctx.transport, error: e });
        return fail({ code: 'internal', message: `Internal error while checking access to ${channel}; the console log has details.` });
      }
    };
    const denied = refused();
    if (denied) return denied;
    const spec = contract[channel];
    const parsed = spec.input.safeParse(input);
    if (!parsed.success) {
      const error = invalidInputError(channel, parsed.error).toInfo();
      // Audited (the gate decides under which action, and coalesces floods), like a forbidden call.
      try {
        options.access?.refusedInput?.(channel, ctx, error);
      } catch (e) {
        logger.error('auditing a refused input failed', { channel, transport: ctx.transport, error: e });
        return fail({ code: 'internal', message: `Internal error while refusing the input of ${channel}; the console log has details.` });
      }
      return fail(error);
    }
    if (dependsOnInput(channel)) {
      const deniedByInput = refused({ parsed: parsed.data });
      if (deniedByInput) return deniedByInput;
    }

    let result: unknown;
    try {
      const handler = handlers[channel] as (input: unknown, ctx: CallContext) => Promise<unknown>;
      result = await handler(parsed.data, ctx);
    } catch (e) {
      if (isConsoleError(e)) {
        const error = e.toInfo();
        if (error.code === 'locked' && options.access?.refusedLocked) {
          // No one signed in: audited for the operations whose every refusal is (the gate decides which).
          try {
            options.access.refusedLocked(channel, ctx, error);
          } catch (auditError) {
            logger.error('auditing a locked refusal failed', { channel, transport: ctx.transport, error: auditError });
            return fail({ code: 'internal', message: `Internal error while refusing ${channel}; the console log has details.` });
          }
        }
        return fail(error);
      }
      logger.error('ipc handler failed', { channel, transport: ctx.transport, error: e });
      return fail({ code: 'internal', message: `Internal error while handling ${channel}; the console log has details.` });
    }

    const output = spec.output.safeParse(result);
    if (!output.success) {
      // A bug in the handler: log where the output deviates (paths and codes only, never values).
      logger.error('ipc output failed its schema', {
        channel,
        transport: ctx.transport,
        issues: output.error.issues.slice(0, 5).map((i) => `${fieldPath(i.path)}: ${i.code}`),
      });
      return fail({ code: 'internal', message: `Internal error: ${channel} produced an invalid result; the console log has details.` });
    }
    return { ok: true, value: output.data };
  }

  return { route };
}
