// The first-run form's own checks, several problems at once, each for its field (renderer/src/session/sessionFields.ts),
// in the one wording of every screen (components/errorWords.ts): the rule under the field's label, reworded from the
// contract's schema exactly as the main process's refusal of the same value reads next to that field. The main
// process's refusals on the session screens are worded by the same rule, tested in renderer-error-words.test.ts.
import { describe, expect, it } from 'vitest';
import { firstRunProblems } from '../../renderer/src/session/sessionFields.ts';
import { checkedInWords, errorInWords } from '../../renderer/src/components/errorWords.ts';
import { contract } from '../../shared/contract.ts';
import { invalidInputError } from '../../electron/ipc/router.ts';

/** The router's refusal of session:init for this operator, as the window holds it (an Error with code and details). */
function mainProcessRefusal(operator: string): Error {
  const parsed = contract['session:init'].input.safeParse({ operator, passphrase: 'correct horse battery staple' });
  if (parsed.success) throw new Error('test input was accepted');
  return Object.assign(new Error(''), invalidInputError('session:init', parsed.error).toInfo());
}

// The words, written here (not imported): what an officer reads under each field.
// An empty name breaks two of the contract's rules (length and characters): both are said, as the main process says them.
const EMPTY = 'Must not be empty. May contain only letters, digits, space, . _ @ -.';
const TOO_LONG = 'Must be at most 64 characters.';
const CHARACTERS = 'May contain only letters, digits, space, . _ @ -.';
const SHORT = 'Must be at least 12 characters.';
const MISMATCH = 'Does not match the passphrase.';

describe('first-run form problems, several at once', () => {
  // [operator, passphrase, confirmation] -> the problems, as the form says them.
  const CASES: Array<[string, string, string, [string | null, string | null, string | null]]> = [
    ['Ada Officer', 'correct horse battery staple', 'correct horse battery staple', [null, null, null]],
    ['', 'correct horse battery staple', 'correct horse battery staple', [EMPTY, null, null]],
    ['ada<script>', 'short', 'other', [CHARACTERS, SHORT, MISMATCH]],
    ['ada', '123456789012', '123456789012', [null, null, null]],
    ['ada', '12345678901', '12345678901', [null, SHORT, null]],
    ['x'.repeat(65), 'correct horse battery staple', 'correct horse battery stapl', [TOO_LONG, null, MISMATCH]],
  ];
  it.each(CASES)('%j / %j / %j', (operator, passphrase, confirmation, [o, p, c]) => {
    expect(firstRunProblems(operator, passphrase, confirmation)).toEqual({ operator: o, passphrase: p, confirmation: c });
  });

  it('says an operator name as the main process refusal of it reads next to the field', () => {
    for (const operator of ['', 'x'.repeat(65), 'ada<script>', 'a/b']) {
      const fromMain = errorInWords(mainProcessRefusal(operator), { operator: 'Operator name' }).fields.operator;
      expect(firstRunProblems(operator, 'correct horse battery staple', 'correct horse battery staple').operator).toBe(fromMain);
    }
  });

  it('the form summary counts the refused values and points at the highlighted fields, like a refusal by the main process', () => {
    expect(checkedInWords({ ...firstRunProblems('', 'short', 'other') })).toEqual({
      summary: '3 values were refused.',
      hint: 'Check the highlighted values and try again.',
      fields: { operator: EMPTY, passphrase: SHORT, confirmation: MISMATCH },
      code: 'invalid_input',
    });
    expect(checkedInWords({ ...firstRunProblems('ada', 'correct horse battery staple', 'other') }).summary).toBe('One value was refused.');
    expect(checkedInWords({ ...firstRunProblems('ada', 'correct horse battery staple', 'correct horse battery staple') })).toEqual({ summary: '', hint: '', fields: {}, code: null });
  });
});
