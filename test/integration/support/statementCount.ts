// Counting the SQL statements a piece of code runs, for tests and benchmarks that check a cost stays constant.
import Database from 'better-sqlite3';

/** Counts the statements better-sqlite3 runs (all, get, iterate, run) while fn runs, every connection of the process. */
export async function statementsRunBy(fn: () => Promise<unknown>): Promise<number> {
  const scratch = new Database(':memory:');
  const proto = Object.getPrototypeOf(scratch.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  scratch.close();
  const methods = ['all', 'get', 'iterate', 'run'] as const;
  const saved = methods.map((m) => proto[m]!);
  let n = 0;
  methods.forEach((m, i) => {
    proto[m] = function counted(this: unknown, ...a: unknown[]) {
      n++;
      return saved[i]!.apply(this, a);
    };
  });
  try {
    await fn();
  } finally {
    methods.forEach((m, i) => {
      proto[m] = saved[i]!;
    });
  }
  return n;
}
