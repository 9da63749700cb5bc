// What the audit log accepts as an entry, checked on validateEntry (services/audit/validateEntry.ts) directly: the
// rules of docs/audit-log.md ("What is recorded" and "Entry rules"), written out below as tables of accepted and
// refused values at every limit. A refusal is invalid_input with a message that names the field and the rule, and
// never repeats secret text. The accepted entry comes back with its details as the canonical JSON of the documented
// line format (keys sorted, strings escaped as JSON.stringify does), written by hand here.
import { describe, expect, it } from 'vitest';
import { validateEntry } from '../../electron/services/audit/validateEntry.ts';
import { ConsoleError } from '../../shared/errors.ts';

type Entry = Parameters<typeof validateEntry>[0];
const BASE: Entry = { actor: 'alice', action: 'key.create', targetType: 'key', targetId: 'k-1', outcome: 'success', details: { version: 1 } };

const refusal = (e: unknown): { code: string; message: string } => {
  try {
    validateEntry(e as Entry);
  } catch (err) {
    if (err instanceof ConsoleError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
};
const refused = (e: unknown, message: string) => expect(refusal(e)).toEqual({ code: 'invalid_input', message: `Audit entry refused: ${message}` });

const PEM_HEADS = ['-----BEGIN PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----', '-----BEGIN EC PRIVATE KEY-----', '-----BEGIN ENCRYPTED PRIVATE KEY-----'];

describe('actor, action, target and outcome', () => {
  // The text fields: a non-empty string up to its limit, no control characters (C0, DEL), no NUL or lone surrogate,
  // no PEM private key text. Limits: actor 128, action 64, targetId 256 characters.
  const TEXT_FIELDS = [
    ['actor', 128],
    ['action', 64],
    ['targetId', 256],
  ] as const;
  const ok = (field: string, len: number) => (field === 'action' ? `a${'b'.repeat(len - 1)}` : 'x'.repeat(len));

  it.each(TEXT_FIELDS)('%s: 1 and %i characters are accepted, one more is refused', (field, max) => {
    expect(validateEntry({ ...BASE, [field]: ok(field, 1) })[field]).toBe(ok(field, 1));
    expect(validateEntry({ ...BASE, [field]: ok(field, max) })[field]).toBe(ok(field, max));
    refused({ ...BASE, [field]: ok(field, max + 1) }, `${field} is longer than ${max} characters`);
  });

  it.each(TEXT_FIELDS)('%s: empty or not a string is refused', (field) => {
    for (const bad of ['', 7, true, {}, ['x']]) refused({ ...BASE, [field]: bad }, `${field} must be a non-empty string`);
  });

  const CONTROL = ['\u0000', '\u0001', '\t', '\n', '\r', '\u001f', '\u007f', '\uD800', '\uDFFF', 'a\uDC00b'];
  it.each(TEXT_FIELDS)('%s: control characters, NUL and lone surrogates are refused; printable text and emoji pass', (field) => {
    for (const c of CONTROL) refused({ ...BASE, [field]: `a${c}b` }, `${field} contains control or invalid characters`);
    if (field !== 'action') {
      for (const fine of ['a b', 'é~ü', 'robot 😀 7', '\u0080x', ' ']) expect(validateEntry({ ...BASE, [field]: fine })[field]).toBe(fine);
    }
  });

  it.each(['actor', 'targetId'] as const)('%s: PEM private key text is refused (public key text passes)', (field) => {
    for (const head of PEM_HEADS) refused({ ...BASE, [field]: `x ${head} y` }, `${field} looks like private key material`);
    expect(validateEntry({ ...BASE, [field]: '-----BEGIN PUBLIC KEY-----' })[field]).toBe('-----BEGIN PUBLIC KEY-----');
  });

  // Action: dot-separated words, each a letter then letters, digits, '_' or '-'.
  const ACTIONS: Array<[string, boolean]> = [
    ['key.create', true],
    ['session', true],
    ['K', true],
    ['ca.revoke.batch', true],
    ['robot_status-2.x9', true],
    ['a.b.c.d.e', true],
    ['1key', false],
    ['key.1create', false],
    ['.key', false],
    ['key.', false],
    ['key..create', false],
    ['key create', false],
    ['key/create', false],
    ['_key', false],
    ['key.-x', false],
    ['kéy', false],
  ];
  it.each(ACTIONS)('action %j accepted: %s', (action, accepted) => {
    if (accepted) expect(validateEntry({ ...BASE, action }).action).toBe(action);
    else refused({ ...BASE, action }, 'action has an invalid format');
  });

  const TARGET_TYPES = ['key', 'robot', 'store', 'audit', 'operator', 'channel', 'approval'];
  it('targetType: one of the documented types or none', () => {
    for (const t of TARGET_TYPES) expect(validateEntry({ ...BASE, targetType: t as 'key' }).targetType).toBe(t);
    expect(validateEntry({ ...BASE, targetType: null }).targetType).toBeNull();
    expect(validateEntry({ ...BASE, targetType: undefined as unknown as null }).targetType).toBeNull();
    for (const bad of ['Key', 'fleet', '', 'keys', 'ca'])
      refused({ ...BASE, targetType: bad }, 'targetType must be key, robot, store, audit, operator, channel, approval or null');
  });

  it('targetId: none (null or absent) is null', () => {
    expect(validateEntry({ ...BASE, targetId: null }).targetId).toBeNull();
    expect(validateEntry({ ...BASE, targetId: undefined as unknown as null }).targetId).toBeNull();
  });

  it('outcome: success or failure, nothing else', () => {
    expect(validateEntry({ ...BASE, outcome: 'success' }).outcome).toBe('success');
    expect(validateEntry({ ...BASE, outcome: 'failure' }).outcome).toBe('failure');
    for (const bad of ['maybe', 'Success', '', undefined, null, 1]) refused({ ...BASE, outcome: bad }, 'outcome must be success or failure');
  });

  it('an entry that is not an object is refused', () => {
    for (const bad of [null, undefined, 'entry', 3]) refused(bad, 'not an object');
  });

  it('an accepted entry comes back with every field as given and the details as canonical JSON', () => {
    expect(validateEntry({ actor: 'bob', action: 'robot.status', targetType: 'robot', targetId: 'r-9', outcome: 'failure', details: { to: 'quarantined', code: 'x', n: 2, ok: false, none: null } })).toEqual({
      actor: 'bob', action: 'robot.status', targetType: 'robot', targetId: 'r-9', outcome: 'failure', details: '{"code":"x","n":2,"none":null,"ok":false,"to":"quarantined"}',
    });
  });
});

describe('details', () => {
  const withDetails = (details: unknown) => ({ ...BASE, details }) as Entry;
  const d = (details: unknown) => validateEntry(withDetails(details)).details;

  it('absent details are {}; anything but a plain object is refused', () => {
    expect(d(undefined)).toBe('{}');
    expect(d({})).toBe('{}');
    for (const bad of [null, 'x', 3, [], ['a'], Object.create(null), new Date(0), new Map(), Object.create({ inherited: 1 })]) refused(withDetails(bad), 'details must be a plain object');
  });

  it('at most 32 fields', () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
    expect(JSON.parse(d(fields(32)))).toEqual(fields(32));
    refused(withDetails(fields(33)), 'details has more than 32 fields');
  });

  // Names: a letter then letters, digits or '_', at most 64 characters.
  const NAMES: Array<[string, boolean]> = [
    ['version', true],
    ['v', true],
    ['from_state', true],
    ['robot2', true],
    [`a${'b'.repeat(63)}`, true],
    [`a${'b'.repeat(64)}`, false],
    ['2fa', false],
    ['_x', false],
    ['a-b', false],
    ['a.b', false],
    ['a b', false],
    ['', false],
  ];
  it.each(NAMES)('detail name %j accepted: %s', (name, accepted) => {
    if (accepted) expect(JSON.parse(d({ [name]: 1 }))).toEqual({ [name]: 1 });
    else refused(withDetails({ [name]: 1 }), `detail name "${name.slice(0, 64)}" is not a simple identifier`);
  });

  // docs/audit-log.md: names containing pass (passphrase, password, ...), secret, private, plaintext, material, master,
  // token, credential, mnemonic, seed; the names key, dek, kek, pin (and pin codes), any case.
  const SECRET_NAMES = [
    'passphrase', 'newPassphrase', 'password', 'oldPassword', 'passCode', 'secret', 'clientSecret', 'private', 'privateKey',
    'plaintext', 'Plaintext', 'material', 'keyMaterial', 'master', 'masterKey', 'token', 'sessionToken', 'credential',
    'credentials', 'mnemonic', 'seed', 'seedWords', 'key', 'KEY', 'dek', 'kek', 'DEK', 'pin', 'PIN', 'pincode', 'pin_code', 'userPinCode',
  ];
  it.each(SECRET_NAMES)('a detail named %s is refused as a secret', (name) => {
    refused(withDetails({ [name]: 'x' }), `detail "${name}" looks like a secret; the audit log never records secrets`);
  });

  // Names that only look close: an id or version of a key, a pinned flag, words holding "dek"/"kek"/"pin"/"key" inside.
  const NOT_SECRET = ['keyId', 'keyVersion', 'keys', 'monkey', 'newKey', 'pinned', 'spin', 'pins', 'dekVersion', 'kekId', 'oldDek', 'newKek', 'keyList', 'pinCount'];
  it.each(NOT_SECRET)('a detail named %s is accepted', (name) => {
    expect(JSON.parse(d({ [name]: 'x' }))).toEqual({ [name]: 'x' });
  });

  it('a string value: at most 2,000 characters; a name ending in List: 65,536', () => {
    expect(JSON.parse(d({ reason: 'r'.repeat(2000) })).reason).toHaveLength(2000);
    refused(withDetails({ reason: 'r'.repeat(2001) }), 'detail "reason" is longer than 2000 characters');
    expect(JSON.parse(d({ deviceList: 'd'.repeat(65_536) })).deviceList).toHaveLength(65_536);
    refused(withDetails({ deviceList: 'd'.repeat(65_537) }), 'detail "deviceList" is longer than 65536 characters');
    // Only a name ending in "List" (capital L) is a list.
    for (const name of ['list', 'devicelist', 'Listing', 'deviceLists'])
      refused(withDetails({ [name]: 'd'.repeat(2001) }), `detail "${name}" is longer than 2000 characters`);
    expect(JSON.parse(d({ List: 'd'.repeat(2001) })).List).toHaveLength(2001);
  });

  it('a string value with NUL or a lone surrogate is refused; other control characters and emoji pass', () => {
    for (const bad of ['a\u0000b', '\uD800', 'x\uDBFF', '\uDC00y'])
      refused(withDetails({ reason: bad }), 'detail "reason" contains NUL or an unpaired surrogate');
    for (const fine of ['line\nbreak', 'tab\there', '\u001f', 'robot 😀']) expect(JSON.parse(d({ reason: fine }))).toEqual({ reason: fine });
  });

  it('a string value holding PEM private key text is refused, without repeating it', () => {
    for (const head of PEM_HEADS) {
      const value = `${head}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n`;
      const e = refusal(withDetails({ note: value }));
      expect(e).toEqual({ code: 'invalid_input', message: 'Audit entry refused: detail "note" looks like private key material' });
      expect(e.message).not.toContain('MIIE');
    }
    expect(JSON.parse(d({ note: '-----BEGIN PUBLIC KEY-----' }))).toEqual({ note: '-----BEGIN PUBLIC KEY-----' });
  });

  it('values: finite numbers, booleans, null and strings; nothing else', () => {
    expect(d({ a: 0, b: -1.5, c: 1e300, d: true, e: false, f: null, g: '' })).toBe('{"a":0,"b":-1.5,"c":1e+300,"d":true,"e":false,"f":null,"g":""}');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) refused(withDetails({ n: bad }), 'detail "n" must be a finite number');
    for (const bad of [undefined, {}, [], [1], 1n, () => 1, Symbol('s'), new Date(0)]) refused(withDetails({ v: bad }), 'detail "v" must be a string, number, boolean or null');
  });

  it('every field is checked, not only the first', () => {
    refused(withDetails({ a: 1, b: 2, token: 'x' }), 'detail "token" looks like a secret; the audit log never records secrets');
    refused(withDetails({ a: 1, b: Number.NaN }), 'detail "b" must be a finite number');
    refused(withDetails({ a: 'x', b: 'y'.repeat(2001) }), 'detail "b" is longer than 2000 characters');
  });
});
