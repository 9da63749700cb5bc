// Shared helpers for the provider-layer tests: a real store database with a real keyring behind the local provider,
// and a manual timer scheduler driven by a manual clock (so retries, timeouts and health checks need no real sleeping).
import crypto from 'node:crypto';
import { manualClock } from '../../electron/clock.ts';
import { createStoreKeyring, type StoreKeyring } from '../../electron/crypto/storeKeyring.ts';
import { createLocalProvider } from '../../electron/providers/local/localProvider.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { openStoreDatabase, type OpenedStore } from '../../electron/store/database.ts';
import { createLocalKmsRepo } from '../../electron/store/providerRepo.ts';
import { tempDir } from './store-testkit.ts';

export interface LocalFixture {
  store: OpenedStore;
  storeId: string;
  clock: ReturnType<typeof manualClock>;
  provider: KmsProvider;
  keyring(): StoreKeyring;
  lock(): void;
  unlock(): void;
  close(): void;
}

/** A local provider over a fresh store database in a temp folder, unlocked with a random master key. */
export function localFixture(id?: string): LocalFixture {
  const clock = manualClock();
  const store = openStoreDatabase(tempDir('ecps-layer-'), () => new Date(clock.now()).toISOString());
  const master = crypto.randomBytes(32);
  const storeId = crypto.randomUUID();
  let ring: StoreKeyring | null = createStoreKeyring(master, storeId);
  const keyring = () => {
    if (!ring) throw new Error('locked');
    return ring;
  };
  const provider = createLocalProvider({ ...(id ? { id } : {}), repo: createLocalKmsRepo(store.db), keyring, clock });
  return {
    store,
    storeId,
    clock,
    provider,
    keyring,
    lock() {
      ring?.destroy();
      ring = null;
    },
    unlock() {
      ring = createStoreKeyring(master, storeId);
    },
    close() {
      ring?.destroy();
      store.close();
    },
  };
}

export interface ManualTimers {
  clock: ReturnType<typeof manualClock>;
  setTimeout(fn: () => void, ms: number): () => void;
  setInterval(fn: () => void, ms: number): () => void;
  sleep(ms: number): Promise<void>;
  /** Moves the clock forward, firing due timers in order, letting promise chains settle between them. */
  advance(ms: number): Promise<void>;
  /** Advances until no timer is pending (or maxMs passed); returns the time moved. */
  runAll(maxMs?: number): Promise<number>;
  pending(): number;
  /** Every sleep requested, in order (the backoff delays). */
  readonly sleeps: number[];
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

export function manualTimers(clock = manualClock()): ManualTimers {
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void; every: number | null }>();
  const sleeps: number[] = [];
  const add = (fn: () => void, ms: number, every: number | null) => {
    const id = ++seq;
    timers.set(id, { at: clock.now() + ms, fn, every });
    return () => void timers.delete(id);
  };
  const next = () => [...timers.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
  const advance = async (ms: number) => {
    const end = clock.now() + ms;
    await settle();
    for (let n = next(); n && n[1].at <= end; n = next()) {
      const [id, t] = n;
      clock.set(t.at);
      if (t.every === null) timers.delete(id);
      else t.at += t.every;
      t.fn();
      await settle();
    }
    clock.set(end);
    await settle();
  };
  return {
    clock,
    sleeps,
    setTimeout: (fn, ms) => add(fn, ms, null),
    setInterval: (fn, ms) => add(fn, ms, ms),
    sleep(ms) {
      sleeps.push(ms);
      return new Promise((resolve) => add(resolve, ms, null));
    },
    advance,
    async runAll(maxMs = 3_600_000) {
      const start = clock.now();
      await settle();
      for (let n = next(); n && n[1].at - start <= maxMs; n = next()) await advance(n[1].at - clock.now());
      return clock.now() - start;
    },
    pending: () => timers.size,
  };
}
