// Approval files (electron/services/approvals/approvalFile.ts; docs/two-person-control.md, "Approval files"): the two
// file formats field by field (tables of accepted and refused values written here), the signature as the docs define
// it (Ed25519 over `ecps/approval/v1\n` + the canonical JSON of the other fields, checked with raw node:crypto over a
// text written out by hand), the public key rules (a private key refused by its label, Ed25519 only, the fingerprint
// as SHA-256 of the DER) and the approver's private key file (PKCS#8 PBES2 under AES-256-CBC).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  approvalSignatureValid,
  generateApprovalKey,
  loadApprovalPrivateKey,
  readApprovalFile,
  readApprovalPublicKey,
  readRequestFile,
  signApproval,
} from '../../electron/services/approvals/approvalFile.ts';
import { canonicalJson, parseCanonical } from '../../electron/services/approvals/canonical.ts';
import { caught } from './approvals-testkit.ts';

const HASH = 'ab'.repeat(32);
const REQUEST = {
  format: 'ecps-approval-request/v1',
  storeId: 'store-1',
  requestId: '11111111-2222-4333-8444-555555555555',
  action: 'key.destroy',
  channel: 'keys:setState',
  inputHash: HASH,
  summary: { keyId: 'k', state: 'destroyed' },
  requester: 'alice',
  createdAt: '2026-06-01T08:00:00.000Z',
  expiresAt: '2026-06-02T08:00:00.000Z',
  required: 1,
};
const SIG = `${'A'.repeat(86)}==`;
const APPROVAL = {
  format: 'ecps-approval/v1',
  storeId: 'store-1',
  requestId: REQUEST.requestId,
  channel: 'keys:setState',
  inputHash: HASH,
  expiresAt: REQUEST.expiresAt,
  approver: 'bob',
  signedAt: '2026-06-01T09:00:00.000Z',
  signature: SIG,
};

// [what, change to the valid file, the path named in the refusal or null when accepted]
type Row = [string, Record<string, unknown>, string | null];

/**
 * One case per row: the valid file with the row's change is read as written, or refused `invalid_input` naming the
 * path ("<file> is not in the expected format (<path>).", docs/two-person-control.md "Approval files").
 */
function formatCases(rows: Row[], valid: object, read: (text: string) => unknown, file: string): void {
  for (const [what, change, path] of rows) {
    it(`${what}: ${path === null ? 'read' : `refused naming ${path}`}`, () => {
      const text = JSON.stringify({ ...valid, ...change });
      if (path === null) {
        expect(read(text)).toEqual({ ...valid, ...change });
        return;
      }
      expect(caught(() => read(text))).toEqual({ code: 'invalid_input', message: `${file} is not in the expected format (${path}).`, details: { field: 'content' } });
    });
  }
}
const REQUEST_ROWS: Row[] = [
  ['as written', {}, null],
  ['another format', { format: 'ecps-approval-request/v2' }, 'format'],
  ['the approval format', { format: 'ecps-approval/v1' }, 'format'],
  ['empty store id', { storeId: '' }, 'storeId'],
  ['store id of 64 characters', { storeId: 's'.repeat(64) }, null],
  ['store id of 65 characters', { storeId: 's'.repeat(65) }, 'storeId'],
  ['request id not a UUID', { requestId: 'request-1' }, 'requestId'],
  ['action of 32 characters', { action: 'a'.repeat(32) }, null],
  ['action of 33 characters', { action: 'a'.repeat(33) }, 'action'],
  ['channel of 64 characters', { channel: 'c'.repeat(64) }, null],
  ['channel of 65 characters', { channel: 'c'.repeat(65) }, 'channel'],
  ['hash in capitals', { inputHash: 'AB'.repeat(32) }, 'inputHash'],
  ['hash of 63 hex digits', { inputHash: HASH.slice(1) }, 'inputHash'],
  ['hash of 65 hex digits', { inputHash: `${HASH}a` }, 'inputHash'],
  ['hash with a character before', { inputHash: `x${HASH}` }, 'inputHash'],
  ['a summary value not text', { summary: { keyId: 1 } }, 'summary.keyId'],
  ['requester of 64 characters', { requester: 'r'.repeat(64) }, null],
  ['requester of 65 characters', { requester: 'r'.repeat(65) }, 'requester'],
  ['a time with an offset', { createdAt: '2026-06-01T10:00:00+02:00' }, null],
  ['a date without time', { createdAt: '2026-06-01' }, 'createdAt'],
  ['expiry not a time', { expiresAt: 'tomorrow' }, 'expiresAt'],
  ['no approvals required', { required: 0 }, null],
  ['a negative count', { required: -1 }, 'required'],
  ['a fraction', { required: 1.5 }, 'required'],
  ['an extra field', { extra: 'x' }, 'file'],
];

describe('readRequestFile', () => {
  formatCases(REQUEST_ROWS, REQUEST, readRequestFile, 'The approval request file');
  it('a missing field is named', () => {
    const { channel: _c, ...rest } = REQUEST;
    expect(caught(() => readRequestFile(JSON.stringify(rest)))?.message).toBe('The approval request file is not in the expected format (channel).');
  });
  it('text that is not JSON', () => {
    expect(caught(() => readRequestFile('{"format":'))).toEqual({ code: 'invalid_input', message: 'The approval request file is not JSON.', details: { field: 'content' } });
  });
});

const APPROVAL_ROWS: Row[] = [
  ['as written', {}, null],
  ['the request format', { format: 'ecps-approval-request/v1' }, 'format'],
  ['empty store id', { storeId: '' }, 'storeId'],
  ['store id of 65 characters', { storeId: 's'.repeat(65) }, 'storeId'],
  ['request id not a UUID', { requestId: 'x' }, 'requestId'],
  ['channel of 65 characters', { channel: 'c'.repeat(65) }, 'channel'],
  ['hash of 63 hex digits', { inputHash: HASH.slice(1) }, 'inputHash'],
  ['expiry not a time', { expiresAt: '2026-06-02' }, 'expiresAt'],
  ['empty approver', { approver: '' }, 'approver'],
  ['approver of one character', { approver: 'b' }, null],
  ['approver of 64 characters', { approver: 'b'.repeat(64) }, null],
  ['approver of 65 characters', { approver: 'b'.repeat(65) }, 'approver'],
  ['signing time not a time', { signedAt: 'now' }, 'signedAt'],
  ['a signature of every base64 character', { signature: `${'Az09+/'.repeat(14)}Az==` }, null],
  ['a signature one character short', { signature: `${'A'.repeat(85)}==` }, 'signature'],
  ['a signature one character long', { signature: `${'A'.repeat(87)}==` }, 'signature'],
  ['a signature without its padding', { signature: 'A'.repeat(88) }, 'signature'],
  ['a signature with a character before', { signature: ` ${SIG}` }, 'signature'],
  ['a signature with a character after', { signature: `${SIG} ` }, 'signature'],
  ['a signature in base64url', { signature: `${'-_'.repeat(43)}==` }, 'signature'],
  ['an extra field', { note: 'x' }, 'file'],
];

describe('readApprovalFile', () => {
  formatCases(APPROVAL_ROWS, APPROVAL, readApprovalFile, 'The approval file');
  it('text that is not JSON', () => {
    expect(caught(() => readApprovalFile('approved'))).toEqual({ code: 'invalid_input', message: 'The approval file is not JSON.', details: { field: 'content' } });
  });
});

describe('signApproval and approvalSignatureValid', () => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const NOW = new Date('2026-06-01T09:30:00.000Z');
  const request = readRequestFile(JSON.stringify(REQUEST));

  it('writes the documented fields, two-space JSON and a newline, signed over the context and the canonical JSON', () => {
    const text = signApproval(request, 'bob', privateKey, NOW);
    const file = JSON.parse(text) as Record<string, string>;
    // APPROVAL's fields in its order (the documented one), signed at NOW.
    const { signature: _unsigned, ...fields } = APPROVAL;
    const body = { ...fields, signedAt: '2026-06-01T09:30:00.000Z' };
    expect(text).toBe(`${JSON.stringify({ ...body, signature: file.signature }, null, 2)}\n`);
    // The signed text written out by hand: the context line, then the fields sorted by name, no whitespace.
    const signed =
      'ecps/approval/v1\n' +
      `{"approver":"bob","channel":"keys:setState","expiresAt":"${REQUEST.expiresAt}","format":"ecps-approval/v1","inputHash":"${HASH}",` +
      `"requestId":"${REQUEST.requestId}","signedAt":"2026-06-01T09:30:00.000Z","storeId":"store-1"}`;
    expect(crypto.verify(null, Buffer.from(signed, 'utf8'), publicKey, Buffer.from(file.signature!, 'base64'))).toBe(true);
    expect(approvalSignatureValid(readApprovalFile(text), spki)).toBe(true);
    expect(readApprovalFile(text)).toEqual({ ...body, signature: file.signature });
  });

  it('a file signed by hand over the documented text verifies', () => {
    const body = { ...APPROVAL, signature: undefined };
    const signed = `ecps/approval/v1\n{"approver":"bob","channel":"keys:setState","expiresAt":"${REQUEST.expiresAt}","format":"ecps-approval/v1","inputHash":"${HASH}","requestId":"${REQUEST.requestId}","signedAt":"${APPROVAL.signedAt}","storeId":"store-1"}`;
    const signature = crypto.sign(null, Buffer.from(signed, 'utf8'), privateKey).toString('base64');
    expect(approvalSignatureValid({ ...body, signature } as never, spki)).toBe(true);
    // Without the context line the same signature over the JSON alone is another signature.
    const bare = crypto.sign(null, Buffer.from(signed.slice('ecps/approval/v1\n'.length), 'utf8'), privateKey).toString('base64');
    expect(approvalSignatureValid({ ...body, signature: bare } as never, spki)).toBe(false);
  });

  const genuine = readApprovalFile(signApproval(request, 'bob', privateKey, NOW));
  const CHANGED: Array<[string, Record<string, string>]> = [
    ['store id', { storeId: 'store-2' }],
    ['request id', { requestId: '11111111-2222-4333-8444-555555555556' }],
    ['channel', { channel: 'keys:setPolicy' }],
    ['input hash', { inputHash: 'cd'.repeat(32) }],
    ['expiry', { expiresAt: '2026-06-03T08:00:00.000Z' }],
    ['approver', { approver: 'carol' }],
    ['signing time', { signedAt: '2026-06-01T09:30:01.000Z' }],
    ['format', { format: 'ecps-approval/v2' }],
  ];
  for (const [what, change] of CHANGED) {
    it(`a changed ${what} no longer verifies`, () => expect(approvalSignatureValid({ ...genuine, ...change }, spki)).toBe(false));
  }
  it('a flipped signature bit, another Ed25519 key, an RSA key and bytes that are no key: false, never a throw', () => {
    const sig = Buffer.from(genuine.signature, 'base64');
    sig[10]! ^= 1;
    expect(approvalSignatureValid({ ...genuine, signature: sig.toString('base64') }, spki)).toBe(false);
    const other = crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    expect(approvalSignatureValid(genuine, other)).toBe(false);
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
    expect(approvalSignatureValid(genuine, rsa)).toBe(false);
    expect(approvalSignatureValid(genuine, Buffer.from('not a key'))).toBe(false);
  });
});

describe('readApprovalPublicKey', () => {
  const REFUSED_PRIVATE = 'This is a private key: never give it to the console. Enrol the public key that approvals keygen printed.';
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('an Ed25519 public key: its DER and the SHA-256 of the DER', () => {
    const der = publicKey.export({ format: 'der', type: 'spki' });
    const r = readApprovalPublicKey(publicKey.export({ format: 'pem', type: 'spki' }) as string);
    expect(r.spki.equals(der)).toBe(true);
    expect(r.fingerprint).toBe(crypto.createHash('sha256').update(der).digest('hex'));
  });

  const ROWS: Array<[string, () => string, string]> = [
    ['an unencrypted PKCS#8 private key', () => privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, REFUSED_PRIVATE],
    ['an encrypted private key', () => privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'p' }) as string, REFUSED_PRIVATE],
    ['an EC private key (SEC1 label)', () => ec.privateKey.export({ format: 'pem', type: 'sec1' }) as string, REFUSED_PRIVATE],
    ['a private key label after a public key', () => `${publicKey.export({ format: 'pem', type: 'spki' }) as string}-----BEGIN PRIVATE KEY-----\n`, REFUSED_PRIVATE],
    ['text that is no PEM', () => 'ssh-ed25519 AAAA', 'The approval key is not a PEM public key.'],
    ['an EC public key', () => ec.publicKey.export({ format: 'pem', type: 'spki' }) as string, 'The approval key must be an Ed25519 public key.'],
  ];
  for (const [what, pem, message] of ROWS) {
    it(`${what}: refused`, () => expect(caught(() => readApprovalPublicKey(pem()))).toEqual({ code: 'invalid_input', message, details: { field: 'publicKeyPem' } }));
  }
});

describe('the approver key file', () => {
  // PBES2's AES-256-CBC: OID 2.16.840.1.101.3.4.1.42 in DER (RFC 8018, NIST's algorithm registry).
  const AES_256_CBC_OID = Buffer.from([0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a]);

  it('generateApprovalKey: an encrypted PKCS#8 Ed25519 key under AES-256-CBC that opens with the passphrase only, and its public key', () => {
    const { privatePem, publicPem } = generateApprovalKey('approver passphrase');
    expect(privatePem.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----\n')).toBe(true);
    const der = Buffer.from(privatePem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    expect(der.includes(AES_256_CBC_OID)).toBe(true);
    expect(() => crypto.createPrivateKey({ key: privatePem, format: 'pem', passphrase: 'another passphrase' })).toThrow();
    const key = crypto.createPrivateKey({ key: privatePem, format: 'pem', passphrase: 'approver passphrase' });
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(publicPem).toBe(crypto.createPublicKey(key).export({ format: 'pem', type: 'spki' }));
    expect(publicPem.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
  });

  it('loadApprovalPrivateKey: the key; a wrong passphrase and a key that is not Ed25519 are typed refusals', () => {
    const { privatePem, publicPem } = generateApprovalKey('right');
    const key = loadApprovalPrivateKey(privatePem, 'right');
    expect(crypto.createPublicKey(key).export({ format: 'pem', type: 'spki' })).toBe(publicPem);
    expect(caught(() => loadApprovalPrivateKey(privatePem, 'wrong'))).toEqual({
      code: 'wrong_passphrase',
      message: 'The approval key file does not open with this passphrase (or is not a private key).',
      details: undefined,
    });
    expect(caught(() => loadApprovalPrivateKey(publicPem, 'right'))?.code).toBe('wrong_passphrase');
    const ecPem = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'right' }) as string;
    expect(caught(() => loadApprovalPrivateKey(ecPem, 'right'))).toEqual({ code: 'invalid_input', message: 'The approval key must be an Ed25519 private key.', details: { field: 'key' } });
  });
});

describe('canonical JSON, the rules the hash depends on', () => {
  const ROWS: Array<[string, unknown, string]> = [
    ['null alone', null, 'null'],
    ['bytes alone', Buffer.from([0xff]), '{"$bytes":"/w=="}'],
    ['an undefined array element as null', [1, undefined, 'x'], '[1,null,"x"]'],
    ['an empty object and array', { a: {}, b: [] }, '{"a":{},"b":[]}'],
    ['keys by code unit: capitals before small letters, digits first', { b: 1, a: 2, B: 3, '1': 4, _: 5 }, '{"1":4,"B":3,"_":5,"a":2,"b":1}'],
    ['a key that is a prefix of another first', { ab: 1, a: 2 }, '{"a":2,"ab":1}'],
    ['false and a negative number', { f: false, n: -0.25 }, '{"f":false,"n":-0.25}'],
  ];
  for (const [what, value, text] of ROWS) it(what, () => expect(canonicalJson(value)).toBe(text));

  it('refuses infinities and what has no JSON form, naming the type', () => {
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow('canonical JSON: numbers must be finite');
    expect(() => canonicalJson({ n: Number.NEGATIVE_INFINITY })).toThrow('canonical JSON: numbers must be finite');
    expect(() => canonicalJson(10n)).toThrow('canonical JSON: cannot encode a bigint');
    expect(() => canonicalJson(undefined)).toThrow('canonical JSON: cannot encode a undefined');
    expect(() => canonicalJson({ s: Symbol('s') })).toThrow(new TypeError('canonical JSON: cannot encode a symbol'));
  });

  it('reads back only a lone string $bytes as bytes', () => {
    expect(parseCanonical('{"$bytes":"AQI="}')).toEqual(Buffer.from([1, 2]));
    expect(parseCanonical('{"$bytes":"AQI=","n":1}')).toEqual({ $bytes: 'AQI=', n: 1 });
    expect(parseCanonical('{"$bytes":5}')).toEqual({ $bytes: 5 });
    expect(parseCanonical('{"bytes":"AQI="}')).toEqual({ bytes: 'AQI=' });
    expect(parseCanonical('["AQI=",null]')).toEqual(['AQI=', null]);
    expect(parseCanonical('{"a":null}')).toEqual({ a: null });
  });
});
