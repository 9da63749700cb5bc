// One operation at a time per key, in this process: the steps that make a key's next version (read the current
// version, ask the provider for a new one, record it as current + 1) must not interleave for one key, or two of them
// would both number their version current + 1 and the second would fail after the provider had already rotated.
// Calls for different keys run side by side; a call waits for the ones queued before it on its key, whatever their
// outcome.

export interface KeyedLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** How many keys have work queued or running (the map holds no key once its work is done). */
  busyKeys(): number;
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, fn) {
      const before = tails.get(key) ?? Promise.resolve();
      const mine = before.then(fn, fn);
      const tail = mine.catch(() => undefined);
      tails.set(key, tail);
      // The last one out removes the entry, so the map holds only keys with work in flight.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return mine;
    },
    busyKeys: () => tails.size,
  };
}
