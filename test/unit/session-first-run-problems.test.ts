// The first-run form's own checks, several problems at once, each for its field (renderer/src/session/sessionFields.ts).
// The main process's refusals on the session screens are worded by the one rule of every screen, tested with the
// wording table in renderer-error-words.test.ts.
import { describe, expect, it } from 'vitest';
import { firstRunProblems, OPERATOR_WORDS, PASSPHRASE_TOO_SHORT, CONFIRMATION_MISMATCH } from '../../renderer/src/session/sessionFields.ts';

describe('first-run form problems, several at once', () => {
  // [operator, passphrase, confirmation] -> the problems, as the form says them (table written here).
  const CASES: Array<[string, string, string, [string | null, string | null, string | null]]> = [
    ['Ada Officer', 'correct horse battery staple', 'correct horse battery staple', [null, null, null]],
    ['', 'correct horse battery staple', 'correct horse battery staple', [OPERATOR_WORDS, null, null]],
    ['ada<script>', 'short', 'other', [OPERATOR_WORDS, PASSPHRASE_TOO_SHORT, CONFIRMATION_MISMATCH]],
    ['ada', '123456789012', '123456789012', [null, null, null]],
    ['ada', '12345678901', '12345678901', [null, PASSPHRASE_TOO_SHORT, null]],
    ['x'.repeat(65), 'correct horse battery staple', 'correct horse battery stapl', [OPERATOR_WORDS, null, CONFIRMATION_MISMATCH]],
  ];
  it.each(CASES)('%j / %j / %j', (operator, passphrase, confirmation, [o, p, c]) => {
    expect(firstRunProblems(operator, passphrase, confirmation)).toEqual({ operator: o, passphrase: p, confirmation: c });
  });
});
