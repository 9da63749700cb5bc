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
const KEY = '00000000-0000-4000-8000-000000000000';

/** Words that must never reach an officer. */
const INTERNALS = [/session:/, /keys:/, /providers:/, /Invalid input for/, /config\./, /\(input\)/, /Uint8Array/];

interface Row {
  name: string;
  error: () => unknown;
  labels: Record<string, string>;
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
    const words = errorInWords(row.error(), row.labels);
    expect(words.fields).toEqual(row.fields);
    expect(words.summary).toBe(row.summary);
    expect(words.hint).toBe(row.hint);
    for (const text of [words.summary, words.hint, ...Object.values(words.fields)]) for (const bad of INTERNALS) expect(text).not.toMatch(bad);
  });

  it('says "Check the highlighted values" only when a field is highlighted', () => {
    for (const row of ROWS) {
      const words = errorInWords(row.error(), row.labels);
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
