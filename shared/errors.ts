// Stable error codes: they cross IPC as {code, message} and the renderer shows a hint for each.
// Never rename a code; add new ones.

export const ERROR_CODES = [
  'invalid_input', // an argument failed validation (schema, size, type)
  'forbidden_sender', // IPC call from a frame or origin that is not the console's own
  'unknown_channel',
  'not_initialized', // the store has not been created yet
  'already_initialized',
  'locked', // the store exists but is locked
  'wrong_passphrase',
  'too_many_attempts', // unlock throttled after repeated wrong passphrases
  'weak_passphrase',
  'not_found',
  'illegal_transition', // lifecycle transition not allowed from the key's current state
  'unsupported_operation', // e.g. encrypt with a signing key
  'key_disabled', // the key's state does not allow this operation (suspended, pre-activation, ...)
  'key_destroyed', // the key material was destroyed
  'ciphertext_malformed', // truncated or structurally invalid ciphertext
  'ciphertext_foreign', // not this console's format, or a key this store does not hold
  'ciphertext_tampered', // authentication failed: the ciphertext or its header was modified
  'aad_mismatch', // the associated data differs from the one bound at encryption
  'integrity_failure', // stored key material or records failed their integrity check
  'signature_invalid', // a signature that does not verify over the data under the key named (CLI keys verify)
  'store_newer', // the database was written by a newer version of the console
  'store_corrupt',
  'store_busy', // the database is locked by another process
  'provider_unavailable',
  'provider_access_denied', // the provider refused the console's credentials or permissions
  'provider_unsupported', // the provider's server lacks a feature the console relies on (e.g. an old Vault)
  'key_version_retired', // the version that protected this data was retired (docs/rotation.md); an officer may reinstate it
  'usage_limit_reached', // a key version made as many encryptions as its usage limit allows; rotate the key
  'cancelled', // stopped before it finished by the other side (e.g. an export download closed by the browser)
  'forbidden', // the signed-in operator's role does not allow this channel (docs/operators.md)
  'approval_required', // a guarded action: a request was made (details.requestId) and waits for other operators' approvals; a wide emergency run without break-glass
  'second_factor_required', // the passphrase is right; this operator's second factor (an authenticator code) is needed too
  'wrong_second_factor', // the passphrase is right but the authenticator code is wrong, expired or already used
  'offline_kit', // the console runs offline on an incident kit (serve --kit): only the kit's channels are served
  'approval_key_revoked', // an approval file signed by (or an enrolment of) an approval key that was removed or replaced
  'call_interrupted', // the browser host's socket dropped during a call that changes state and the window cannot know it ran: details.reason
  'internal', // a bug: the message says what to report
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Optional machine-readable detail, e.g. retryAfterMs for too_many_attempts. Never secrets. */
  details?: Record<string, string | number | boolean | null>;
}

/** The one error class thrown by the main process. Its message must be safe to show and to log. */
export class ConsoleError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorInfo['details'];

  constructor(code: ErrorCode, message: string, details?: ErrorInfo['details']) {
    super(message);
    this.name = 'ConsoleError';
    this.code = code;
    this.details = details;
  }

  toInfo(): ErrorInfo {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isConsoleError(e: unknown): e is ConsoleError {
  return e instanceof ConsoleError;
}

/** What the user should do next, per code; shown under the error message. */
export const ERROR_HINTS: Readonly<Record<ErrorCode, string>> = {
  invalid_input: 'Check the highlighted values and try again.',
  forbidden_sender: 'This request did not come from the console window and was refused.',
  unknown_channel: 'The console and its window are from different versions; restart the console.',
  not_initialized: 'Create the key store first.',
  already_initialized: 'A key store already exists here; unlock it instead.',
  locked: 'Unlock the key store with the operator passphrase.',
  wrong_passphrase: 'Check the passphrase (keyboard layout, Caps Lock). Repeated wrong attempts are slowed down.',
  too_many_attempts: 'Too many wrong passphrases. Wait, then try again.',
  weak_passphrase: 'Choose a longer passphrase (at least 12 characters).',
  not_found: 'It may have been removed; refresh the list.',
  illegal_transition: 'That state change is not allowed from the current state.',
  unsupported_operation: 'This key type does not support that operation.',
  key_disabled: 'The key is not in a state that allows this; check its lifecycle state.',
  key_destroyed: 'The key material was destroyed; data protected only by it cannot be recovered.',
  key_version_retired: 'The key version that protected this data was retired. A key custodian can reinstate it for a while to re-encrypt the data.',
  ciphertext_malformed: 'The ciphertext is incomplete or damaged; copy it again in full.',
  ciphertext_foreign: 'This ciphertext was not made by this console or by a key it holds.',
  ciphertext_tampered: 'The ciphertext was modified after encryption. Treat it as hostile.',
  aad_mismatch: 'The associated data is not the one used at encryption.',
  integrity_failure: 'Stored data failed its integrity check. Investigate before relying on it.',
  signature_invalid: 'The data or the signature was changed, or it was signed by another key or key version (give --version N for a version before the current one). Do not trust the data.',
  store_newer: 'This database was written by a newer console; update the console.',
  store_corrupt: 'The database is damaged. It was not modified; restore it from backup.',
  store_busy: 'Another console is using this database; close it first.',
  provider_unavailable: 'The key provider cannot be reached; try again later.',
  provider_access_denied: "The key provider refused the console's credentials or permissions; check the provider configuration (token, access key, policy).",
  provider_unsupported: 'The key provider is too old or the wrong edition for what the console needs; upgrade it to the minimum named in the message.',
  usage_limit_reached: 'This key version has reached its usage limit; rotate the key (rotation was requested automatically) and encrypt again.',
  cancelled: 'It was stopped before it finished; nothing complete was produced. Start it again.',
  forbidden: "Your role does not allow this; ask an operator who holds that permission, or an admin to change your role.",
  approval_required: 'This action needs the approval of other operators: a request was made (see Approvals). Once approved, execute it from there.',
  second_factor_required: 'Enter the 6-digit code your authenticator app shows for this console (on the command line: --totp CODE or ECPS_TOTP).',
  wrong_second_factor: 'Check the code in your authenticator app (and the clock of its device); a code works only once. Repeated wrong attempts are slowed down.',
  offline_kit: 'This console runs offline on an incident kit: only the kit\'s registry, orders and audit are available. Use the console on the store for everything else.',
  approval_key_revoked: 'That approval key was removed by an admin or replaced by its owner and approves nothing any more. The approver signs with their current key (or enrols a new one), or approves signed in at the console.',
  call_interrupted: 'The connection to the console dropped during this action and it was not sent again on its own (it changes something). Check what the screen now shows, then try again if it is still needed.',
  internal: 'An internal error occurred; the audit log and the console log have details.',
};
