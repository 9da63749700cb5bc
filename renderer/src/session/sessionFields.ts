// The session forms' field checks and the labels of the fields the main process may name (contract field names).
// The rules are the contract's own (shared/contract.ts, shared/domain.ts): the form only says so before the round trip,
// in the one wording of every screen (components/errorWords.ts): the rule under the field's label, as the main
// process's refusal of the same value would read there ("Must not be empty.", "Must be at most 64 characters.").
import { contract } from '../../../shared/contract.ts';
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';
import { ruleInWords, schemaRuleInWords } from '../components/errorWords.ts';

/** The main process's passphrase rule (weak_passphrase, services/session), said under the passphrase field. */
export const PASSPHRASE_TOO_SHORT = ruleInWords(`must be at least ${MIN_PASSPHRASE_CHARS} characters`);
/** A form's own rule (the confirmation never leaves the window), said under the confirmation field. */
export const CONFIRMATION_MISMATCH = ruleInWords('does not match the passphrase');

/** The labels of the session forms' fields the main process may name in invalid_input (contract field names). */
export const SESSION_FIELD_LABELS: Readonly<Record<string, string>> = {
  operator: 'Operator name',
  passphrase: 'Passphrase',
  totp: 'Authenticator code',
  tokenPin: 'Token PIN',
  recoveryCode: 'Recovery code',
};

const operatorSchema = contract['session:init'].input.shape.operator;

/** The contract's refusal of an operator name, as its rule in words; null when the contract accepts it. */
export function operatorProblem(operator: string): string | null {
  return schemaRuleInWords(operatorSchema, operator);
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
