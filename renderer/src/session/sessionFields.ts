// The session forms' field checks and the labels of the fields the main process may name (contract field names).
// The rules are the contract's own (shared/contract.ts, shared/domain.ts): the form only says so before the round trip.
import { contract } from '../../../shared/contract.ts';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';

export const OPERATOR_WORDS = 'The operator name needs 1 to 64 characters: letters, digits, spaces and . _ @ - only.';
export const PASSPHRASE_TOO_SHORT = `The passphrase needs at least ${MIN_PASSPHRASE_CHARS} characters.`;
export const CONFIRMATION_MISMATCH = 'The confirmation does not match the passphrase.';

/** The labels of the session forms' fields the main process may name in invalid_input (contract field names). */
export const SESSION_FIELD_LABELS: Readonly<Record<string, string>> = {
  operator: 'Operator name',
  passphrase: 'Passphrase',
  totp: 'Authenticator code',
  tokenPin: 'Token PIN',
  recoveryCode: 'Recovery code',
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
