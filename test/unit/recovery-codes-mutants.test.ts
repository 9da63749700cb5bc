// Recovery codes (electron/services/recoveryCodes/recoveryCodes.ts) in-process, from docs/operators.md "Recovery
// codes": ten codes a set, 16 characters of Crockford's base32 shown as XXXX-XXXX-XXXX-XXXX, typed in any case with or
// without dashes or spaces (O read as 0, I and L as 1); stored only as scrypt hashes with the store's KDF parameters
// over `ecps/recovery-code/v1|<store id>|<operator NFC>|<code>` with one random 16-byte salt per set; a code matches
// only an unused row of the same store and operator. Every expected hash is derived here with node:crypto's scrypt from
// that documented input, never by the module. (Spending a code, the throttle and regeneration live in the session:
// test/unit/recovery-codes-session.test.ts.)
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dropPrederivedKek, offerPrederivedKek } from '../../electron/crypto/kdf.ts';
import { makeRecoveryCodes, matchRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from '../../electron/services/recoveryCodes/recoveryCodes.ts';
import type { RecoveryCodeRow } from '../../electron/store/operatorsRepo.ts';

/** A cheap scrypt cost for tests (the production cost is N = 2^17). */
const KDF = { N: 16, r: 1, p: 1 };
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const STORE = 'store-1';

/** docs/operators.md: scrypt(`ecps/recovery-code/v1|<store id>|<operator NFC>|<code>`, salt) with the store's parameters, 32 bytes. */
const expectedHash = (storeId: string, operator: string, code: string, salt: Buffer, kdf = KDF) =>
  crypto.scryptSync(Buffer.from(`ecps/recovery-code/v1|${storeId}|${operator.normalize('NFC')}|${code}`, 'utf8'), salt, 32, kdf);
const plain = (code: string) => code.replace(/-/g, '');

describe('normalizeRecoveryCode (the code as typed)', () => {
  // [typed, normalized or null] written from the docs' rules.
  const TABLE: Array<[string, string | null]> = [
    ['7K2M-9QXD-4HNA-0TRB', '7K2M9QXD4HNA0TRB'],
    ['7k2m-9qxd-4hna-0trb', '7K2M9QXD4HNA0TRB'],
    ['7K2M 9QXD 4HNA 0TRB', '7K2M9QXD4HNA0TRB'],
    ['7K2M9QXD4HNA0TRB', '7K2M9QXD4HNA0TRB'],
    [' 7K2M-9QXD\t4HNA - 0TRB ', '7K2M9QXD4HNA0TRB'],
    ['OOOO-oooo-IIII-LLLL', '0000000011111111'],
    ['iiii-llll-0000-1111', '1111111100001111'],
    ['7K2M-9QXD-4HNA-0TR', null], // 15 characters
    ['7K2M-9QXD-4HNA-0TRBX', null], // 17
    ['', null],
    ['----', null],
    ['7K2M-9QXD-4HNA-0TRU', null], // U is not in the alphabet
    ['7K2M-9QXD-4HNA-0TR*', null],
    ['7K2M_9QXD_4HNA_0TR', null], // underscores are not separators
  ];
  it.each(TABLE)('%j -> %j', (typed, normalized) => {
    expect(normalizeRecoveryCode(typed)).toBe(normalized);
  });
});

describe('makeRecoveryCodes (a new set)', () => {
  it('ten codes of the documented shape, ten rows at positions 0 to 9 holding only the hash of each code', async () => {
    const { codes, rows } = await makeRecoveryCodes(STORE, 'alice', KDF);
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(CODE_SHAPE);
    expect(new Set(codes).size).toBe(10);
    expect(rows.map((r) => r.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const salt = rows[0]!.salt;
    expect(salt).toHaveLength(16);
    rows.forEach((r, i) => {
      expect(r.kdf).toEqual(KDF);
      expect(r.salt.equals(salt), 'one salt per set').toBe(true);
      expect(r.hash.equals(expectedHash(STORE, 'alice', plain(codes[i]!), salt)), `row ${i}`).toBe(true);
      expect(r.hash.includes(Buffer.from(plain(codes[i]!)))).toBe(false);
    });
  });

  it('each set has its own random salt; an operator name is hashed in NFC', async () => {
    const a = await makeRecoveryCodes(STORE, 'alice', KDF);
    const b = await makeRecoveryCodes(STORE, 'alice', KDF);
    expect(a.rows[0]!.salt.equals(b.rows[0]!.salt)).toBe(false);
    const nfd = 'Jose\u0301';
    const c = await makeRecoveryCodes(STORE, nfd, KDF);
    expect(c.rows[0]!.hash.equals(expectedHash(STORE, 'Jos\u00e9', plain(c.codes[0]!), c.rows[0]!.salt))).toBe(true);
  });

  it('the codes carry 80 random bits: over 2,000 codes every character of the alphabet appears at every position', async () => {
    const seen: Array<Set<string>> = Array.from({ length: 16 }, () => new Set());
    for (let set = 0; set < 200; set++) {
      const { codes } = await makeRecoveryCodes(STORE, 'alice', { N: 2, r: 1, p: 1 });
      for (const code of codes) [...plain(code)].forEach((ch, i) => seen[i]!.add(ch));
    }
    for (let i = 0; i < 16; i++) expect([...seen[i]!].sort().join(''), `position ${i}`).toBe(CROCKFORD);
  });
});

describe('matchRecoveryCode (an unlock with a code)', () => {
  it('finds the position of each code of the set, typed in any of the documented ways', async () => {
    const { codes, rows } = await makeRecoveryCodes(STORE, 'alice', KDF);
    for (let i = 0; i < codes.length; i++) expect(await matchRecoveryCode(rows, STORE, 'alice', codes[i]!), `code ${i}`).toBe(i);
    const c = codes[4]!;
    expect(await matchRecoveryCode(rows, STORE, 'alice', c.toLowerCase())).toBe(4);
    expect(await matchRecoveryCode(rows, STORE, 'alice', plain(c).replace(/(.{4})/g, '$1 '))).toBe(4);
  });

  it('a code whose row is gone (used) matches nothing; neither does a code of another set, store or operator', async () => {
    const { codes, rows } = await makeRecoveryCodes(STORE, 'alice', KDF);
    const unused = rows.filter((r) => r.position !== 2);
    expect(await matchRecoveryCode(unused, STORE, 'alice', codes[2]!)).toBeNull();
    expect(await matchRecoveryCode(unused, STORE, 'alice', codes[3]!)).toBe(3);
    const other = await makeRecoveryCodes(STORE, 'alice', KDF);
    expect(await matchRecoveryCode(rows, STORE, 'alice', other.codes[0]!)).toBeNull();
    expect(await matchRecoveryCode(rows, 'store-2', 'alice', codes[0]!)).toBeNull();
    expect(await matchRecoveryCode(rows, STORE, 'bob', codes[0]!)).toBeNull();
    expect(await matchRecoveryCode(rows, STORE, 'Alice', codes[0]!)).toBeNull();
  });

  it('the operator named in NFD matches the set made under the NFC name', async () => {
    const { codes, rows } = await makeRecoveryCodes(STORE, 'Jos\u00e9', KDF);
    expect(await matchRecoveryCode(rows, STORE, 'Jose\u0301', codes[1]!)).toBe(1);
  });

  it('no rows, or a typed text that is not a code: null', async () => {
    const { codes, rows } = await makeRecoveryCodes(STORE, 'alice', KDF);
    expect(await matchRecoveryCode([], STORE, 'alice', codes[0]!)).toBeNull();
    expect(await matchRecoveryCode(rows, STORE, 'alice', codes[0]!.slice(1))).toBeNull();
    expect(await matchRecoveryCode(rows, STORE, 'alice', 'not a code')).toBeNull();
  });

  it('rows of two sets (two salts) and of one salt under two KDF parameter sets are each derived with their own', async () => {
    const a = await makeRecoveryCodes(STORE, 'alice', KDF);
    const b = await makeRecoveryCodes(STORE, 'alice', KDF);
    const mixed = [...a.rows.slice(0, 5), ...b.rows.slice(5).map((r) => ({ ...r, position: r.position + 10 }))];
    expect(await matchRecoveryCode(mixed, STORE, 'alice', a.codes[3]!)).toBe(3);
    expect(await matchRecoveryCode(mixed, STORE, 'alice', b.codes[7]!)).toBe(17);
    // Built by hand: the same salt, two costs (the store's parameters changed between two sets).
    const salt = crypto.randomBytes(16);
    const kdf2 = { N: 32, r: 1, p: 1 };
    const code1 = '0123456789ABCDEF';
    const code2 = 'GHJKMNPQRSTVWXYZ';
    const rows: RecoveryCodeRow[] = [
      { position: 0, kdf: KDF, salt, hash: expectedHash(STORE, 'alice', code1, salt, KDF) },
      { position: 1, kdf: kdf2, salt, hash: expectedHash(STORE, 'alice', code2, salt, kdf2) },
    ];
    expect(await matchRecoveryCode(rows, STORE, 'alice', code1)).toBe(0);
    expect(await matchRecoveryCode(rows, STORE, 'alice', code2)).toBe(1);
  });

  it('the derived hash is zeroed once compared', async () => {
    const { codes, rows } = await makeRecoveryCodes(STORE, 'alice', KDF);
    // The key derivation hands over a key derived ahead for these exact inputs (kdf.ts): that very buffer is zeroed.
    const salt = rows[0]!.salt;
    const ahead = expectedHash(STORE, 'alice', plain(codes[6]!), salt);
    offerPrederivedKek(`ecps/recovery-code/v1|${STORE}|alice|${plain(codes[6]!)}`, salt, KDF, ahead);
    try {
      expect(await matchRecoveryCode(rows, STORE, 'alice', codes[6]!)).toBe(6);
      expect(ahead.equals(Buffer.alloc(32))).toBe(true);
    } finally {
      dropPrederivedKek();
    }
  });

  it('a stored hash of another length is no match and no error', async () => {
    const { codes, rows } = await makeRecoveryCodes(STORE, 'alice', KDF);
    const cut = rows.map((r) => (r.position === 0 ? { ...r, hash: r.hash.subarray(0, 16) } : r));
    expect(await matchRecoveryCode(cut, STORE, 'alice', codes[0]!)).toBeNull();
    expect(await matchRecoveryCode(cut, STORE, 'alice', codes[1]!)).toBe(1);
  });
});
