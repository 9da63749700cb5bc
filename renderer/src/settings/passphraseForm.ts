// The "Change your passphrase" form's checks and the main process's refusals placed on its fields, in the one wording
// of every screen (components/errorWords.ts): the rule under the field's label, the form's summary counting them.
// The rules are the main process's own (services/session changePassphrase): the new passphrase has at least
// MIN_PASSPHRASE_CHARS characters (weak_passphrase); a wrong current one is wrong_passphrase (counted against the
// operator's throttle like an unlock). The confirmation never leaves the window.
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';
import { errorInWords, ruleInWords } from '../components/errorWords.ts';
import { CONFIRMATION_MISMATCH, PASSPHRASE_TOO_SHORT } from '../session/sessionFields.ts';

export interface PassphraseProblems {
  current: string | null;
  next: string | null;
  confirmation: string | null;
}

export const NO_PROBLEMS: PassphraseProblems = { current: null, next: null, confirmation: null };

/** The contract's field names (session:changePassphrase) and the labels the form shows them under. */
export const PASSPHRASE_FIELD_LABELS = {
  current: 'Current passphrase',
  next: `New passphrase (at least ${MIN_PASSPHRASE_CHARS} characters)`,
  confirmation: 'Confirm the new passphrase',
} as const;

const EMPTY = ruleInWords('must not be empty');

/** Every problem the form can see before sending, each for its field. */
export function passphraseProblems(current: string, next: string, confirmation: string): PassphraseProblems {
  return {
    current: current === '' ? EMPTY : null,
    next: passphraseLength(next) < MIN_PASSPHRASE_CHARS ? PASSPHRASE_TOO_SHORT : null,
    confirmation: next !== confirmation ? CONFIRMATION_MISMATCH : null,
  };
}

/**
 * The main process's refusal on the form's fields: a wrong current passphrase under Current passphrase, a weak new one
 * under New passphrase, a field the router names under that field; anything else (locked, internal) is not a field's
 * and goes to the form's summary (null fields here).
 */
export function refusalOnFields(error: unknown): PassphraseProblems {
  const words = errorInWords(error, PASSPHRASE_FIELD_LABELS);
  if (words.code === 'wrong_passphrase') return { ...NO_PROBLEMS, current: words.summary };
  if (words.code === 'weak_passphrase') return { ...NO_PROBLEMS, next: words.summary };
  return { current: words.fields.current ?? null, next: words.fields.next ?? null, confirmation: null };
}

export const hasProblem = (p: PassphraseProblems): boolean => p.current !== null || p.next !== null || p.confirmation !== null;
