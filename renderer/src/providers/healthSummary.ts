/** The "Check health" result's summary line (docs/providers.md "Health check"): how many did not answer, of how many. */
export function healthSummary(rows: ReadonlyArray<{ reachable: boolean }>): string {
  const down = rows.filter((r) => !r.reachable).length;
  return down === 0 ? `All ${rows.length} provider(s) reachable.` : `${down} of ${rows.length} provider(s) unreachable.`;
}
