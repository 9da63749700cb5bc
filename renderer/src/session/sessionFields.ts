// The session forms' field checks and the words for each field the main process may name (contract field names).
// The rules are the contract's own (shared/contract.ts, shared/domain.ts): the form only says so before the round trip.
import { contract } from '../../../shared/contract.ts';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';

export const OPERATOR_WORDS = 'The operator name needs 1 to 64 characters: letters, digits, spaces and . _ @ - only.';
export const PASSPHRASE_TOO_SHORT = `The passphrase needs at least ${MIN_PASSPHRASE_CHARS} characters.`;
export const CONFIRMATION_MISMATCH = 'The confirmation does not match the passphrase.';

/** Words for the fields the main process names in invalid_input (details.field). */
export const SESSION_FIELD_WORDS: Readonly<Record<string, string>> = {
  operator: OPERATOR_WORDS,
  passphrase: 'The passphrase is refused: it must not be empty and may hold at most 1,024 characters.',
  totp: 'The authenticator code is the 6 digits your app shows (spaces allowed).',
};

const operatorSchema = contract['session:init'].input.shape.operator;

export function operatorProblem(operator: string): string | null {
  return operatorSchema.safeParse(operator).success ? null : OPERATOR_WORDS;
}

export interface FirstRunProblems {
  operator: string | null;
  passphrase: string | null;
  confirmation: string | null;
}

/** Every problem of the first-run form at once, each for its field. */
export function firstRunProblems(operator: string, passphrase: string, confirmation: string): FirstRunProblems {
  return {
    operator: operatorProblem(operator),
    passphrase: passphraseLength(passphrase) < MIN_PASSPHRASE_CHARS ? PASSPHRASE_TOO_SHORT : null,
    confirmation: passphrase !== confirmation ? CONFIRMATION_MISMATCH : null,
  };
}
