// When the window asks for the approvals list again (useExpiryRefresh.ts): pure, so a unit test reads it without React.
/** Longest wait between checks: setTimeout's limit is about 24.8 days, a request may live 30. */
const MAX_WAIT_MS = 3600_000;
/** A little after the expiry, so the main process's clock has passed it too. */
const AFTER_MS = 1000;

/** Milliseconds until the earliest of `expiresAt` (ISO times) has passed, or null when there is none. */
export function msUntilFirstExpiry(expiresAt: readonly string[], now: number): number | null {
  const times = expiresAt.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  if (times.length === 0) return null;
  return Math.min(MAX_WAIT_MS, Math.max(0, Math.min(...times) - now) + AFTER_MS);
}
