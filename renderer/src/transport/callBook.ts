// The browser host window's calls that have no answer yet, and what becomes of them after a drop (issue 15, docs/ui.md
// "Calls in flight at a drop"). Free of the DOM and of sockets, so unit tests drive it (test/unit/ws-call-book.test.ts).
//
// Every call gets an id that only grows for the window's life (across sockets). A call in flight at a drop is not
// failed: after the reconnect the window asks the host for the outcomes of its unanswered ids (electron/host/
// callOutcomes.ts) and, for each, decides by decideAfterDrop below. A call that changes state is never sent twice.
import type { Envelope } from '../../../shared/contract.ts';
import { isReadOnlyChannel } from '../../../shared/permissions.ts';
import type { OutcomeReport, OutcomeState } from '../../../shared/socketFrames.ts';

export type { OutcomeReport, OutcomeState };

/** Why a call that changes state was not sent again (the call_interrupted error's details.reason). */
export type InterruptReason = 'not_received' | 'succeeded_answer_lost' | 'outcome_unknown';

export type RetryDecision =
  | { kind: 'wait' }
  | { kind: 'resend' }
  | { kind: 'settle'; envelope: Envelope<unknown> }
  | { kind: 'interrupted'; reason: InterruptReason };

const INTERRUPT_MESSAGES: Record<InterruptReason, string> = {
  not_received:
    'The connection dropped before the console received this action: it was not done. It was not sent again on its own; try again.',
  succeeded_answer_lost:
    'The console did this action (it succeeded), but its answer was lost when the connection dropped. Do not repeat it; the screen shows its effect once refreshed.',
  outcome_unknown:
    'The connection dropped during this action and the console no longer remembers it (the window was away too long): check whether it was done before trying again.',
};

export function interruptedEnvelope(channel: string, reason: InterruptReason): Envelope<unknown> {
  return { ok: false, error: { code: 'call_interrupted', message: INTERRUPT_MESSAGES[reason], details: { reason, channel } } };
}

/** What to do with an unanswered call once the host said what became of it. */
export function decideAfterDrop(channel: string, report: Pick<OutcomeReport, 'state' | 'ok' | 'error'>): RetryDecision {
  const readOnly = isReadOnlyChannel(channel);
  switch (report.state) {
    case 'running':
    case 'replied':
      // Still running: its answer comes on the new socket. Replied: its answer came just before the list.
      return { kind: 'wait' };
    case 'completed':
      if (report.ok === false && report.error) return { kind: 'settle', envelope: { ok: false, error: report.error } };
      return readOnly ? { kind: 'resend' } : { kind: 'interrupted', reason: 'succeeded_answer_lost' };
    case 'expired':
      return readOnly ? { kind: 'resend' } : { kind: 'interrupted', reason: 'outcome_unknown' };
    case 'unknown':
      return readOnly ? { kind: 'resend' } : { kind: 'interrupted', reason: 'not_received' };
  }
}

export interface BookedCall {
  channel: string;
  input: unknown;
  resolve(envelope: Envelope<unknown>): void;
  /** The socket generation it was last sent on. */
  sentOn: number;
}

export interface CallBook {
  /** Books a call: its id. */
  add(channel: string, input: unknown, resolve: (envelope: Envelope<unknown>) => void, socket: number): number;
  /** An answer arrived: settles the call (false if the id is not booked: a late or foreign answer). */
  answer(id: number, envelope: Envelope<unknown>): boolean;
  /** The ids sent on an earlier socket than `socket` and still unanswered: what to ask the host about. */
  unansweredBefore(socket: number): number[];
  /**
   * Applies the host's outcomes list: settles or fails calls, and returns those to send again (each re-booked under a
   * new id, on `socket`).
   */
  applyOutcomes(reports: readonly OutcomeReport[], socket: number): Array<{ id: number; channel: string; input: unknown }>;
  /** Fails one call at once (its input cannot be sent). */
  settle(id: number, envelope: Envelope<unknown>): void;
  readonly size: number;
}

export function createCallBook(): CallBook {
  const calls = new Map<number, BookedCall>();
  let nextId = 1;
  const book = (call: BookedCall) => {
    const id = nextId++;
    calls.set(id, call);
    return id;
  };
  return {
    add: (channel, input, resolve, socket) => book({ channel, input, resolve, sentOn: socket }),
    answer(id, envelope) {
      const call = calls.get(id);
      if (!call) return false;
      calls.delete(id);
      call.resolve(envelope);
      return true;
    },
    unansweredBefore(socket) {
      return [...calls].filter(([, c]) => c.sentOn < socket).map(([id]) => id);
    },
    applyOutcomes(reports, socket) {
      const resend: Array<{ id: number; channel: string; input: unknown }> = [];
      for (const report of reports) {
        const call = calls.get(report.id);
        if (!call || call.sentOn >= socket) continue;
        const decision = decideAfterDrop(call.channel, report);
        if (decision.kind === 'wait') {
          call.sentOn = socket;
          continue;
        }
        calls.delete(report.id);
        if (decision.kind === 'settle') call.resolve(decision.envelope);
        else if (decision.kind === 'interrupted') call.resolve(interruptedEnvelope(call.channel, decision.reason));
        else {
          const id = book({ ...call, sentOn: socket });
          resend.push({ id, channel: call.channel, input: call.input });
        }
      }
      return resend;
    },
    settle(id, envelope) {
      const call = calls.get(id);
      if (!call) return;
      calls.delete(id);
      call.resolve(envelope);
    },
    get size() {
      return calls.size;
    },
  };
}
