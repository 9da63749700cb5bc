// The passphrase rule as the officer is told it. The main process enforces it (weak_passphrase); this only lets the
// form say so before the round trip. The rule itself lives in shared/domain.ts, used by both sides.
import { MIN_PASSPHRASE_CHARS, passphraseLength } from '../../../shared/domain.ts';

export const MIN_PASSPHRASE_LENGTH = MIN_PASSPHRASE_CHARS;

export function passphraseProblem(passphrase: string, confirmation: string): string | null {
  if (passphraseLength(passphrase) < MIN_PASSPHRASE_CHARS) return `The passphrase needs at least ${MIN_PASSPHRASE_CHARS} characters.`;
  if (passphrase !== confirmation) return 'The confirmation does not match the passphrase.';
  return null;
}
