// Fault injection shared by the emulators: each emulator applies these to every request before it is served.
// The tests drive them; nothing here is random unless a test asks for it.

export interface FaultControls {
  /** Delay every response by this many milliseconds (0 = none). */
  setLatency(ms: number): void;
  /** Answer the next `count` requests with the service's own throttling error. */
  throttleNext(count: number): void;
  /** Answer the next `count` requests with a server error (default 500, or 503 where the service says so). */
  failNext(count: number, status?: number): void;
  /** Destroy the socket of the next `count` requests without answering. */
  dropNext(count: number): void;
  /** Stop listening (connections are refused) until up(); the port stays the same. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Clear every fault. */
  reset(): void;
  /** Requests received so far (all, including faulted ones), for tests that count provider calls. */
  readonly requestCount: number;
}

export interface FaultState {
  latencyMs: number;
  throttle: number;
  fail: number;
  failStatus: number;
  drop: number;
  requests: number;
}

export function newFaultState(): FaultState {
  return { latencyMs: 0, throttle: 0, fail: 0, failStatus: 500, drop: 0, requests: 0 };
}

/** What to do with one incoming request, consuming one unit of the matching fault. */
export function nextFault(state: FaultState): 'drop' | 'throttle' | 'fail' | null {
  state.requests++;
  if (state.drop > 0) {
    state.drop--;
    return 'drop';
  }
  if (state.throttle > 0) {
    state.throttle--;
    return 'throttle';
  }
  if (state.fail > 0) {
    state.fail--;
    return 'fail';
  }
  return null;
}

/** The controls a test drives, over one emulator's fault state; down/up are the emulator's own listener switches. */
export function faultControls(state: FaultState, listener: { down(): Promise<void>; up(): Promise<void>; onReset?(): void }): FaultControls {
  return {
    setLatency: (ms) => void (state.latencyMs = ms),
    throttleNext: (count) => void (state.throttle = count),
    failNext: (count, status = 500) => {
      state.fail = count;
      state.failStatus = status;
    },
    dropNext: (count) => void (state.drop = count),
    down: () => listener.down(),
    up: () => listener.up(),
    reset: () => {
      const requests = state.requests;
      Object.assign(state, newFaultState(), { requests });
      listener.onReset?.();
    },
    get requestCount() {
      return state.requests;
    },
  };
}
