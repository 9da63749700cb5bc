// The wait a throttled sign-in names (electron/services/session/sessionThrottle.ts): the operators' unlock and the
// incident kit's sign-in both say it in words. The table is what a responder should read for each wait.
import { describe, expect, it } from 'vitest';
import { throttleGate, waitInWords } from '../../electron/services/session/sessionThrottle.ts';
import { isConsoleError } from '../../shared/errors.ts';

describe('the wait in words', () => {
  it('seconds, minutes and seconds, hours and minutes, rounded up', () => {
    const TABLE: Array<[number, string]> = [
      [1, '1 s'], [999, '1 s'], [5_000, '5 s'], [59_001, '1 min'], [60_000, '1 min'], [61_000, '1 min 1 s'], [125_000, '2 min 5 s'],
      [40 * 60_000, '40 min'], [3_600_000, '1 h'], [3_600_000 + 1_000, '1 h 1 min'], [5_400_000, '1 h 30 min'],
    ];
    for (const [ms, words] of TABLE) expect(waitInWords(ms), String(ms)).toBe(words);
  });

  it('the gate refuses with too_many_attempts, the wait in words and in milliseconds, naming what is paused', () => {
    // 4 failures: 10 s from the last one (3 free, then 5 s doubling); 2.5 s passed.
    const row = { failedAttempts: 4, lastFailureMs: 1_000_000 };
    let refused: unknown = null;
    try {
      throttleGate(row, 1_002_500, ' for incident kit K');
    } catch (e) {
      refused = e;
    }
    expect(isConsoleError(refused) && [refused.code, refused.message, refused.details]).toEqual(['too_many_attempts', 'Too many wrong passphrases for incident kit K; try again in 8 s.', { retryAfterMs: 7_500 }]);
    expect(() => throttleGate(row, 1_010_000)).not.toThrow();
    expect(() => throttleGate({ failedAttempts: 2, lastFailureMs: 1_000_000 }, 1_000_000)).not.toThrow();
  });
});
