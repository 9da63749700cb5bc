// The window asks for the approvals list again once the earliest open request it shows has expired (the main process
// marks it then and pushes approvals:changed): a table of (expiry times, now) -> the wait, written from that rule
// (one second after the earliest, at once for one already past, at most an hour, none without requests).
import { describe, expect, it } from 'vitest';
import { msUntilFirstExpiry } from '../../renderer/src/approvals/expiryWait.ts';

const NOW = Date.parse('2026-06-01T08:00:00Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();
const MIN = 60_000;

const TABLE: Array<[string, string[], number | null]> = [
  ['no open request', [], null],
  ['one in 5 minutes', [at(5 * MIN)], 5 * MIN + 1000],
  ['the earliest of three', [at(30 * MIN), at(2 * MIN), at(10 * MIN)], 2 * MIN + 1000],
  ['one already past', [at(-MIN), at(10 * MIN)], 1000],
  ['one in a day: checked again within the hour', [at(24 * 60 * MIN)], 60 * MIN],
  ['an unreadable time is left out', ['soon', at(3 * MIN)], 3 * MIN + 1000],
];

describe('msUntilFirstExpiry', () => {
  for (const [what, times, wait] of TABLE) {
    it(`${what}: ${wait === null ? 'no timer' : `${wait} ms`}`, () => {
      expect(msUntilFirstExpiry(times, NOW)).toBe(wait);
    });
  }
});
