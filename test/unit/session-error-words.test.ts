// The session screens' errors in words (errorForScreen in renderer/src/components/errorWords.ts): a refusal the router builds for real
// (the contract's own schema, router.invalidInputError) never reaches the officer with its channel name or schema path;
// a field it names gets the screen's sentence for that field; other codes keep the main process's words and hint.
import { describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract.ts';
import { ConsoleError, ERROR_HINTS } from '../../shared/errors.ts';
import { invalidInputError } from '../../electron/ipc/router.ts';
import { errorForScreen as errorInWords } from '../../renderer/src/components/errorWords.ts';
import { SESSION_FIELD_WORDS, firstRunProblems, OPERATOR_WORDS, PASSPHRASE_TOO_SHORT, CONFIRMATION_MISMATCH } from '../../renderer/src/session/sessionFields.ts';

const refusal = (channel: 'session:init' | 'station:start', input: unknown) => {
  const parsed = contract[channel].input.safeParse(input);
  if (parsed.success) throw new Error('expected a refusal');
  // The error exactly as the router builds it (the window's ApiError carries the same code, message and details).
  return invalidInputError(channel, parsed.error);
};

const INTERNALS = /session:init|station:start|Invalid input for|operator:|paths\.0/;

describe('errors in words', () => {
  it('an operator name the contract refuses: the operator sentence, for the operator field, no internals', () => {
    const err = refusal('session:init', { operator: 'ada<script>', passphrase: 'correct horse battery staple' });
    expect(err.message).toMatch(INTERNALS); // what the router says (for logs and the CLI) ...
    const words = errorInWords(err, SESSION_FIELD_WORDS)!;
    expect(words).toEqual({ message: OPERATOR_WORDS, hint: null, field: 'operator', code: 'invalid_input' }); // ... and what is shown
  });

  it('a refusal naming a field the screen has no words for: a general sentence, still no internals', () => {
    const words = errorInWords(refusal('session:init', { operator: 'ada', passphrase: '' }), {})!;
    expect(words.field).toBeNull();
    expect(`${words.message} ${words.hint}`).not.toMatch(INTERNALS);
  });

  it('an element of a list field belongs to that field (paths.0 -> paths)', () => {
    const words = errorInWords(refusal('station:start', { mode: 'provision', paths: ['relative/path'] }), { paths: 'Give absolute paths.' })!;
    expect(words).toMatchObject({ field: 'paths', message: 'Give absolute paths.' });
  });

  it('other codes keep the main process words and the hint for the code', () => {
    const err = new ConsoleError('wrong_passphrase', 'The passphrase is wrong.');
    expect(errorInWords(err, SESSION_FIELD_WORDS)).toEqual({ message: 'The passphrase is wrong.', hint: ERROR_HINTS.wrong_passphrase, field: null, code: 'wrong_passphrase' });
  });
});

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
