// Errors for people (issue 12, renderer/src/components/errorWords.ts): the console's typed errors in words, with no
// channel name and no schema path, field errors placed next to the fields a form shows, and "Check the highlighted
// values" only when a field is highlighted. Inputs are real: refusals built by the real router from the real
// contract schemas, and ConsoleErrors as the services throw them. Expectations come from the tables below.
import { describe, expect, it } from 'vitest';
import { contract, type ChannelName } from '../../shared/contract.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { invalidInputError } from '../../electron/ipc/router.ts';
import { errorInWords, HIGHLIGHTED_HINT, NAMED_HINT } from '../../renderer/src/components/errorWords.ts';

/** The error as the window holds it: api.ts's ApiError is an Error carrying the envelope's {code, message, details}. */
class ApiError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(info: { code: string; message: string; details?: Record<string, unknown> }) {
    super(info.message);
    this.code = info.code;
    this.details = info.details;
  }
}

/** The refusal the router sends for this input, as the window receives it. */
function refusal(channel: ChannelName, input: unknown): ApiError {
  const parsed = contract[channel].input.safeParse(input);
  if (parsed.success) throw new Error(`test input for ${channel} was accepted`);
  return new ApiError(invalidInputError(channel, parsed.error).toInfo());
}

const fromService = (e: ConsoleError) => new ApiError(e.toInfo());
const FORBIDDEN_HINT = 'Your role does not allow this; ask an operator who holds that permission, or an admin to change your role.';
/** The session forms' labels, as the unlock and first-run forms show them (written here, not imported). */
const SESSION = { operator: 'Operator name', passphrase: 'Passphrase', totp: 'Authenticator code', tokenPin: 'Token PIN' };
const KEY = '00000000-0000-4000-8000-000000000000';

/** Words that must never reach an officer. */
const INTERNALS = [/session:/, /keys:/, /providers:/, /Invalid input for/, /config\./, /\(input\)/, /Uint8Array/];

interface Row {
  name: string;
  error: () => unknown;
  labels: Record<string, string>;
  /** The form cannot highlight its fields (a filter bar): every issue is said in the summary with its label. */
  notShown?: true;
  fields: Record<string, string>;
  summary: string;
  hint: string;
}

const ROWS: Row[] = [
  {
    name: 'the operator refusal of session:init, field shown',
    error: () => refusal('session:init', { operator: 'a/b', passphrase: 'correct horse battery staple' }),
    labels: { operator: 'Operator name', passphrase: 'Passphrase' },
    fields: { operator: 'May contain only letters, digits, space, . _ @ -.' },
    summary: 'One value was refused.',
    hint: HIGHLIGHTED_HINT,
  },
  {
    name: 'the same refusal on a form that shows no such field: named in words, nothing highlighted',
    error: () => refusal('session:init', { operator: '', passphrase: 'correct horse battery staple' }),
    labels: {},
    fields: {},
    summary: 'Operator must not be empty. Operator may contain only letters, digits, space, . _ @ -.',
    hint: NAMED_HINT,
  },
  {
    name: 'several fields at once, each next to its field',
    error: () => refusal('keys:create', { type: 'nope', label: '', algorithm: 'AES_256' }),
    labels: { label: 'Label', type: 'Key type', algorithm: 'Algorithm' },
    fields: { type: 'Is not one of the allowed choices.', label: 'Must not be empty.' },
    summary: '2 values were refused.',
    hint: HIGHLIGHTED_HINT,
  },
  {
    name: 'a size limit said in bytes',
    error: () => refusal('keys:encrypt', { keyId: KEY, plaintext: new Uint8Array(1024 * 1024 + 1) }),
    labels: { plaintext: 'Plaintext file' },
    fields: { plaintext: 'Must be at most 1048576 bytes.' },
    summary: 'One value was refused.',
    hint: HIGHLIGHTED_HINT,
  },
  {
    name: 'a nested path (keyIds.0) placed by its last named segment',
    error: () => refusal('keys:migrate', { providerId: 'vault-a', keyIds: ['not-a-key'] }),
    labels: { keyIds: 'Keys to move' },
    fields: { keyIds: 'Must be a key id (UUID).' },
    summary: 'One value was refused.',
    hint: HIGHLIGHTED_HINT,
  },
  {
    name: 'a service refusal naming a field in details.field',
    error: () => fromService(new ConsoleError('invalid_input', 'Provider configuration: vault_url must be an http(s) URL.', { field: 'vault_url' })),
    labels: { vault_url: 'vault_url' },
    fields: { vault_url: 'Provider configuration: vault_url must be an http(s) URL.' },
    summary: 'One value was refused.',
    hint: HIGHLIGHTED_HINT,
  },
  {
    name: 'a service refusal naming a field the form does not show',
    error: () => fromService(new ConsoleError('invalid_input', 'Provider vault-a is still used by 2 keys; destroy or move them first.', { field: 'id', keys: 2 })),
    labels: {},
    fields: {},
    summary: 'Provider vault-a is still used by 2 keys; destroy or move them first.',
    hint: NAMED_HINT,
  },
  {
    name: 'a setting name that starts the sentence keeps its case',
    error: () => fromService(new ConsoleError('invalid_input', 'pkcs11_module (/etc/hostname) must be a shared library (.so, .dylib or .dll).', { field: 'pkcs11_module' })),
    labels: {},
    fields: {},
    summary: 'pkcs11_module (/etc/hostname) must be a shared library (.so, .dylib or .dll).',
    hint: NAMED_HINT,
  },
  {
    name: 'a refusal that is not about input keeps its own hint',
    error: () => fromService(new ConsoleError('aad_mismatch', 'The associated data does not match')),
    labels: { aad: 'Associated data' },
    fields: {},
    summary: 'The associated data does not match.',
    hint: 'The associated data is not the one used at encryption.',
  },
  {
    name: 'the one rule without highlighting: the label, then the rule reworded (audit filter bar)',
    error: () => refusal('audit:query', { text: 'x'.repeat(129), limit: 10 }),
    labels: { text: 'Contains text', actor: 'Actor' },
    notShown: true,
    fields: {},
    summary: 'Contains text must be at most 128 characters.',
    hint: NAMED_HINT,
  },
  {
    name: 'several labelled fields without highlighting, each named by its label',
    error: () => refusal('keys:create', { type: 'nope', label: '', algorithm: 'AES_256' }),
    labels: { label: 'Label', type: 'Key type' },
    notShown: true,
    fields: {},
    summary: 'Key type is not one of the allowed choices. Label must not be empty.',
    hint: NAMED_HINT,
  },
  {
    name: 'a service refusal naming a labelled field, not highlighted: its own words in the summary',
    error: () => fromService(new ConsoleError('invalid_input', 'The time range ends before it starts: the end must not be earlier than the start.', { field: 'to' })),
    labels: { to: 'End of the time range' },
    notShown: true,
    fields: {},
    summary: 'The time range ends before it starts: the end must not be earlier than the start.',
    hint: NAMED_HINT,
  },
  {
    name: 'an element of a list field belongs to the list (station start: paths.0 -> Serial port paths)',
    error: () => refusal('station:start', { mode: 'provision', paths: ['relative/path'] }),
    labels: { paths: 'Serial port paths', vendorIds: 'USB vendor ids (hex)' },
    fields: { paths: 'Must be an absolute device path.' },
    summary: 'One value was refused.',
    hint: HIGHLIGHTED_HINT,
  },
  {
    name: 'unlock: an authenticator code of letters, next to the code field',
    error: () => refusal('session:unlock', { operator: 'ada', passphrase: 'correct horse battery staple', totp: 'abc' }),
    labels: SESSION,
    fields: { totp: 'May contain only digits.' },
    summary: 'One value was refused.',
    hint: HIGHLIGHTED_HINT,
  },
  // Each code the session forms meet maps to its sentence (the hint), the main process's message kept.
  ...([
    ['wrong_passphrase', 'The passphrase is wrong.', 'Check the passphrase (keyboard layout, Caps Lock). Repeated wrong attempts are slowed down.'],
    ['wrong_second_factor', 'The code is wrong.', 'Check the code in your authenticator app (and the clock of its device); a code works only once. Repeated wrong attempts are slowed down.'],
    ['second_factor_required', 'Give your second factor.', 'Enter the 6-digit code your authenticator app shows for this console (on the command line: --totp CODE or ECPS_TOTP).'],
    ['too_many_attempts', 'Too many attempts.', 'Too many wrong passphrases. Wait, then try again.'],
    ['forbidden', 'Your role may not do this.', FORBIDDEN_HINT],
    ['approval_required', 'Request 1 was made.', 'This action needs the approval of other operators: a request was made (see Approvals). Once approved, execute it from there.'],
  ] as const).map(([code, message, hint]): Row => ({
    name: `code ${code}: the message, then the code's sentence`,
    error: () => fromService(new ConsoleError(code, message)),
    labels: SESSION,
    fields: {},
    summary: message,
    hint,
  })),
  {
    name: 'another code naming a field the form shows: beside it, and the hint points there (a token PIN refused at enrolment)',
    error: () => fromService(new ConsoleError('wrong_second_factor', 'The token refused the PIN.', { field: 'pin' })),
    labels: { modulePath: 'PKCS#11 module', pin: 'Token PIN' },
    fields: { pin: 'The token refused the PIN.' },
    summary: 'One value was refused.',
    hint: HIGHLIGHTED_HINT,
  },
  {
    name: 'a channel name of any area is never shown',
    error: () => fromService(new ConsoleError('forbidden', 'operators:resetTotp and approvals:setPolicy need the admin role.')),
    labels: {},
    fields: {},
    summary: 'The request and the request need the admin role.',
    hint: FORBIDDEN_HINT,
  },
  {
    name: 'an error that did not come from the main process',
    error: () => new Error('channel keys:encrypt is not available on this transport'),
    labels: {},
    fields: {},
    summary: 'Channel the request is not available on this transport.',
    hint: '',
  },
];

describe('errorInWords', () => {
  it.each(ROWS)('$name', (row) => {
    const words = errorInWords(row.error(), row.labels, row.notShown !== true);
    expect(words.fields).toEqual(row.fields);
    expect(words.summary).toBe(row.summary);
    expect(words.hint).toBe(row.hint);
    for (const text of [words.summary, words.hint, ...Object.values(words.fields)]) for (const bad of INTERNALS) expect(text).not.toMatch(bad);
  });

  it('says "Check the highlighted values" only when a field is highlighted', () => {
    for (const row of ROWS) {
      const words = errorInWords(row.error(), row.labels, row.notShown !== true);
      expect(words.hint === HIGHLIGHTED_HINT).toBe(Object.keys(words.fields).length > 0);
    }
  });

  it('counts issues beyond the three the router names', () => {
    const words = errorInWords(refusal('keys:create', { type: 1, label: 2, algorithm: 3, extra: 4 }), {});
    expect(words.summary).toMatch(/1 more value was refused too\.$/);
  });

  it('no error, no words', () => {
    expect(errorInWords(null)).toEqual({ summary: '', hint: '', fields: {}, code: null });
  });
});
