// Statements over a list of values (`IN (?, ?, ...)`), portable: a statement per chunk of IN_CHUNK values, prepared once
// per chunk size. For the batch paths (an emergency run over 10,000 robots or certificates) that asked once per value.
import type { Db } from './database.ts';

/** Values bound per statement (SQLite allows 32,766 parameters, PostgreSQL 65,535). */
export const IN_CHUNK = 500;

/**
 * `sql(marks)` builds the statement with `marks` (`?, ?, ...`) inside its IN list. The answer runs it over every chunk of
 * `values`: `params` places a chunk among the statement's other parameters, `row` receives each row answered.
 */
export function inListStatement(db: Db, sql: (marks: string) => string) {
  const bySize = new Map<number, ReturnType<Db['prepare']>>();
  return <R>(values: readonly string[], params: (chunk: string[]) => unknown[], row: (r: R) => void): void => {
    for (let i = 0; i < values.length; i += IN_CHUNK) {
      const chunk = values.slice(i, i + IN_CHUNK);
      let st = bySize.get(chunk.length);
      if (!st) bySize.set(chunk.length, (st = db.prepare(sql(chunk.map(() => '?').join(', ')))));
      for (const r of st.all(params(chunk)) as R[]) row(r);
    }
  };
}
