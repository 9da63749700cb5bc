// What the browser host remembers of each window's calls so that none is silently lost at a drop (issue 15,
// docs/ui.md "Calls in flight at a drop"). A window names itself with a random 32-byte key of its own (in its memory
// only, never stored) in its first message on every socket ({"hello": KEY}); its calls carry ids that only grow. After
// a reconnect it asks for the ids it has no answer to ({"outcomes": [ids]}) and learns, for each, one of:
//   running    the console is still on it: the answer comes on the window's socket when it is done;
//   replied    the answer was kept and has just been sent again (a reply frame, before this list);
//   completed  it ran, its answer is no longer kept (it was written to a socket that then dropped, or its time ran
//              out): only whether it succeeded and, if not, its error;
//   expired    it may have run, nothing of it is kept any more (the window was away longer than the bounds);
//   unknown    the console never received it.
// Memory only, never logged. Bounded: MAX_WINDOWS windows (then only the highest id of MAX_FORGOTTEN_WINDOWS more),
// MAX_CALLS_PER_WINDOW records each, MAX_RESULT_BYTES of
// kept answers in all; a kept answer (which may hold a decrypted plaintext, recovery shares, a TOTP secret) lives
// until it is written to a socket or RESULT_TTL_MS passes or the session changes (lock, sign-in), whichever is first,
// and its bytes are zeroed when dropped. A window's key is compared by its SHA-256 (a map lookup on a secret would time).
import { createHash } from 'node:crypto';
import type { Envelope } from '../../shared/contract.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import type { OutcomeReport, OutcomeState } from '../../shared/socketFrames.ts';

export type { OutcomeReport, OutcomeState };

export const MAX_WINDOWS = 32;
export const MAX_CALLS_PER_WINDOW = 512;
export const MAX_RESULT_BYTES = 16 * 1024 * 1024;
/** An undelivered answer is kept this long, then only whether it succeeded. */
export const RESULT_TTL_MS = 60_000;
/** Windows forgotten (the bound above) whose highest call id is still remembered, so their calls read `expired`. */
export const MAX_FORGOTTEN_WINDOWS = 1024;

type CallRecord =
  | { state: 'running' }
  | { state: 'kept'; envelope: Envelope<unknown>; bytes: number; timer: ReturnType<typeof setTimeout> }
  | { state: 'completed'; ok: boolean; error?: ErrorInfo };

interface WindowRecord {
  calls: Map<number, CallRecord>;
  /** The highest id ever forgotten (evicted): an id at or below it that is not kept may have run. */
  forgottenUpTo: number;
  /** The highest id received. */
  maxSeen: number;
  lastSeen: number;
}

/** Rough bytes of an answer: its JSON, byte arrays counted by length. */
export function envelopeBytes(envelope: Envelope<unknown>): number {
  let bytes = 0;
  const text = JSON.stringify(envelope, (_k, v: unknown) => {
    if (v instanceof Uint8Array) {
      bytes += v.byteLength;
      return 0;
    }
    return v;
  });
  return bytes + Buffer.byteLength(text);
}

/** Zeroes every byte array in an answer that is dropped (plaintexts travel as Uint8Array; an answer is a tree). */
function zeroBytes(value: unknown): void {
  if (value instanceof Uint8Array) {
    value.fill(0);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const v of Object.values(value)) zeroBytes(v);
}

export function windowId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

export interface CallOutcomes {
  /** A call arrived: false if this window already used the id (the call must not run: never twice). */
  begin(window: string, id: number): boolean;
  /** The call finished: keep its answer until delivered(). */
  finish(window: string, id: number, envelope: Envelope<unknown>): void;
  /** Its answer was written to a socket: keep only whether it succeeded. */
  delivered(window: string, id: number): void;
  /** The kept answer, if any (for sending again). */
  kept(window: string, id: number): Envelope<unknown> | null;
  report(window: string, ids: readonly number[]): OutcomeReport[];
  /** The session changed (lock, sign-in): every kept answer is dropped, only whether it succeeded stays. */
  dropAnswers(): void;
  /** Kept answers' bytes in all (tests, bounds). */
  readonly resultBytes: number;
  clear(): void;
}

export function createCallOutcomes(options: { now?: () => number } = {}): CallOutcomes {
  const now = options.now ?? (() => Date.now());
  const windows = new Map<string, WindowRecord>();
  /** Forgotten windows: their highest call id (oldest first). */
  const forgotten = new Map<string, number>();
  let resultBytes = 0;

  function windowOf(id: string): WindowRecord {
    let w = windows.get(id);
    if (!w) {
      if (windows.size >= MAX_WINDOWS) {
        // The window seen longest ago goes first.
        let oldest: [string, WindowRecord] | null = null;
        for (const entry of windows) if (!oldest || entry[1].lastSeen < oldest[1].lastSeen) oldest = entry;
        if (oldest) {
          forgetWindow(oldest[0], oldest[1]);
          forgotten.set(oldest[0], Math.max(oldest[1].maxSeen, oldest[1].forgottenUpTo));
          if (forgotten.size > MAX_FORGOTTEN_WINDOWS) forgotten.delete(forgotten.keys().next().value!);
        }
      }
      const upTo = forgotten.get(id) ?? 0;
      forgotten.delete(id);
      w = { calls: new Map(), forgottenUpTo: upTo, maxSeen: upTo, lastSeen: now() };
      windows.set(id, w);
    }
    w.lastSeen = now();
    return w;
  }

  function forgetWindow(id: string, w: WindowRecord): void {
    for (const record of w.calls.values()) if (record.state === 'kept') release(record);
    windows.delete(id);
  }

  function release(record: Extract<CallRecord, { state: 'kept' }>): void {
    clearTimeout(record.timer);
    resultBytes -= record.bytes;
    zeroBytes(record.envelope);
  }

  function summarize(w: WindowRecord, id: number): void {
    const record = w.calls.get(id);
    if (record?.state !== 'kept') return;
    release(record);
    const env = record.envelope;
    w.calls.set(id, env.ok ? { state: 'completed', ok: true } : { state: 'completed', ok: false, error: env.error });
  }

  /** Forgets the oldest finished records of a window beyond its bound (a running call is never forgotten). */
  function trim(w: WindowRecord): void {
    if (w.calls.size <= MAX_CALLS_PER_WINDOW) return;
    for (const [id, record] of w.calls) {
      if (w.calls.size <= MAX_CALLS_PER_WINDOW) break;
      if (record.state === 'running') continue;
      if (record.state === 'kept') release(record);
      w.calls.delete(id);
      w.forgottenUpTo = Math.max(w.forgottenUpTo, id);
    }
  }

  /** Drops the oldest kept answers (anywhere) until the total fits. */
  function fitBytes(): void {
    for (const w of windows.values()) {
      for (const [id, record] of w.calls) {
        if (resultBytes <= MAX_RESULT_BYTES) return;
        if (record.state === 'kept') summarize(w, id);
      }
    }
  }

  return {
    begin(window, id) {
      const w = windowOf(window);
      if (w.calls.has(id) || id <= w.forgottenUpTo) return false;
      w.calls.set(id, { state: 'running' });
      w.maxSeen = Math.max(w.maxSeen, id);
      trim(w);
      return true;
    },
    finish(window, id, envelope) {
      const w = windows.get(window);
      if (w?.calls.get(id)?.state !== 'running') return;
      const bytes = envelopeBytes(envelope);
      const timer = setTimeout(() => summarize(w, id), RESULT_TTL_MS);
      timer.unref?.();
      w.calls.set(id, { state: 'kept', envelope, bytes, timer });
      resultBytes += bytes;
      fitBytes();
    },
    delivered(window, id) {
      const w = windows.get(window);
      if (w) summarize(w, id);
    },
    kept(window, id) {
      const record = windows.get(window)?.calls.get(id);
      return record?.state === 'kept' ? record.envelope : null;
    },
    report(window, ids) {
      const w = windowOf(window);
      return ids.map((id): OutcomeReport => {
        const record = w.calls.get(id);
        if (!record) return { id, state: id <= w.forgottenUpTo ? 'expired' : 'unknown' };
        if (record.state === 'running') return { id, state: 'running' };
        if (record.state === 'kept') return { id, state: 'replied' };
        return record.ok ? { id, state: 'completed', ok: true } : { id, state: 'completed', ok: false, error: record.error };
      });
    },
    dropAnswers() {
      for (const w of windows.values()) for (const id of w.calls.keys()) summarize(w, id);
    },
    get resultBytes() {
      return resultBytes;
    },
    clear() {
      for (const [id, w] of windows) forgetWindow(id, w);
      forgotten.clear();
    },
  };
}
