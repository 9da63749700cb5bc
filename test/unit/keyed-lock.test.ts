// The per-key version lock (electron/services/keys/keyedLock.ts): work on one key runs in the order it was queued,
// one at a time, whatever the outcome of the work before it; work on another key does not wait for it.
import { describe, expect, it } from 'vitest';
import { createKeyedLock } from '../../electron/services/keys/keyedLock.ts';

/** A promise with its resolve and reject at hand. */
function gate<T = void>() {
  let open!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

describe('keyed lock', () => {
  it('one key: the second call starts only after the first settles, even when the first fails', async () => {
    const lock = createKeyedLock();
    const log: string[] = [];
    const first = gate();
    const a = lock.run('k1', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
    });
    const b = lock.run('k1', async () => {
      log.push('b start');
      return 'b';
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    first.fail(new Error('provider down'));
    await expect(a).rejects.toThrow('provider down');
    expect(await b).toBe('b');
    expect(log).toEqual(['a start', 'b start']);
  });

  it('another key runs beside it', async () => {
    const lock = createKeyedLock();
    const held = gate();
    const a = lock.run('k1', () => held.promise);
    const other = await lock.run('k2', async () => 'k2 done');
    expect(other).toBe('k2 done');
    held.open();
    await a;
  });

  it('three calls on one key: never two at once, they finish in the order they were queued', async () => {
    const lock = createKeyedLock();
    const ended: number[] = [];
    let active = 0;
    let most = 0;
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g, i) =>
      lock.run('k', async () => {
        most = Math.max(most, ++active);
        await g.promise;
        active--;
        ended.push(i);
      }),
    );
    // Released in reverse: without the lock the third would end first.
    gates[2]!.open();
    gates[1]!.open();
    gates[0]!.open();
    await Promise.all(runs);
    expect(ended).toEqual([0, 1, 2]);
    expect(most).toBe(1);
  });

  it('a call queued after the first finished still waits for the second; the lock forgets a key once its work is done', async () => {
    const lock = createKeyedLock();
    const first = gate();
    const second = gate();
    const log: string[] = [];
    const a = lock.run('k', () => first.promise);
    const b = lock.run('k', async () => {
      log.push('b start');
      await second.promise;
      log.push('b end');
    });
    expect(lock.busyKeys()).toBe(1);
    first.open();
    await a;
    // Let the first call's clean-up run: it must not drop the entry the second call queued.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const c = lock.run('k', async () => {
      log.push('c start');
    });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(log).toEqual(['b start']);
    second.open();
    await Promise.all([b, c]);
    expect(log).toEqual(['b start', 'b end', 'c start']);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(lock.busyKeys()).toBe(0);
  });
});
