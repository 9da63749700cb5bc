// Recovery shares of the master key in-process (electron/services/recovery/shareCodec.ts and recovery.ts), from
// docs/recovery-and-backup.md "Share format" and "The recovery ceremony": the line
// `ecps-share1:<store id>:<set id>:<k>of<n>:<index>:<custodian, URI-encoded>:<share, hex>:<checksum>`, the checksum the
// first 8 hex digits of SHA-256 over everything before it, the commitment
// SHA-256("ecps/recovery-share/v1|<store id>|<set id>|<index>|" ‖ share), and the ceremony's checks in order, each an
// invalid_input refusal with details.reason. Expected lines, checksums and commitments are written here from those
// definitions with node:crypto, never by the module. The splitting itself is the real `shamir-secret-sharing`.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { checkCustodians, checkShares, combineShares, makeShares, shareCommitment } from '../../electron/services/recovery/recovery.ts';
import { decodeShare, encodeShare, SHARE_PREFIX } from '../../electron/services/recovery/shareCodec.ts';
import type { ShareSetRow } from '../../electron/store/recoveryRepo.ts';
import { ConsoleError } from '../../shared/errors.ts';
import { contractCaller, failure } from '../integration/support/consoleCalls.ts';
import { open, PASSPHRASE, removeTempDirs, tempDir } from './store-testkit.ts';

const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
/** A share line with the documented checksum appended. */
const line = (...fields: string[]) => {
  const body = fields.join(':');
  return `${body}:${sha256(body).slice(0, 8)}`;
};
const commitment = (storeId: string, setId: string, index: number, bytes: Buffer) =>
  crypto.createHash('sha256').update(`ecps/recovery-share/v1|${storeId}|${setId}|${index}|`, 'utf8').update(bytes).digest('hex');

/** The refusal `fn` throws: a ConsoleError, returned for its fields. */
function refusal(fn: () => unknown): ConsoleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConsoleError);
    return e as ConsoleError;
  }
  throw new Error('expected a refusal');
}

describe('encodeShare (the documented line)', () => {
  it('writes the eight fields with the custodian URI-encoded and the checksum of everything before it', () => {
    expect(SHARE_PREFIX).toBe('ecps-share1');
    const body = 'ecps-share1:store-9:5e7:3of5:2:Ann%20B%C3%A9%3Ax:0a0bff';
    const text = encodeShare({ storeId: 'store-9', setId: '5e7', threshold: 3, count: 5, index: 2, custodian: 'Ann Bé:x', bytes: Buffer.from([0x0a, 0x0b, 0xff]) });
    expect(text).toBe(`${body}:${sha256(body).slice(0, 8)}`);
    expect(text.split(':')).toHaveLength(8);
  });
});

describe('decodeShare (one typed line)', () => {
  it('reads every field back, trimming surrounding spaces and accepting an upper-case checksum', () => {
    const text = line('ecps-share1', 'store-9', 'set-a', '2of3', '3', 'Ann%20B%C3%A9', '00ff10');
    const expected = { storeId: 'store-9', setId: 'set-a', threshold: 2, count: 3, index: 3, custodian: 'Ann Bé', bytes: Buffer.from([0x00, 0xff, 0x10]) };
    expect(decodeShare(text, 1)).toEqual(expected);
    expect(decodeShare(`  ${text}\n`, 1)).toEqual(expected);
    const parts = text.split(':');
    parts[7] = parts[7]!.toUpperCase();
    expect(decodeShare(parts.join(':'), 1)).toEqual(expected);
  });

  it('accepts the edges of the ranges: k = n, index 1 and index n, three-digit numbers', () => {
    expect(decodeShare(line('ecps-share1', 's', 't', '2of2', '1', 'a', 'ab'), 1)).toMatchObject({ threshold: 2, count: 2, index: 1 });
    expect(decodeShare(line('ecps-share1', 's', 't', '2of2', '2', 'a', 'ab'), 1)).toMatchObject({ index: 2 });
    expect(decodeShare(line('ecps-share1', 's', 't', '100of200', '200', 'a', 'ab'), 1)).toMatchObject({ threshold: 100, count: 200, index: 200 });
  });

  // [fields before the checksum, why] written from the format: each is share_malformed.
  // The last column: the reason the message gives.
  const MALFORMED: Array<[string[], string, string]> = [
    [['ecps-share2', 's', 't', '2of3', '1', 'a', 'ab'], 'another prefix', 'expected 8 fields starting with ecps-share1'],
    [['ecps-share1', 's', 't', '2of3', '1', 'ab'], 'seven fields', 'expected 8 fields starting with ecps-share1'],
    [['ecps-share1', 's', 't', '2of3', '1', 'a', 'ab', 'x'], 'nine fields', 'expected 8 fields starting with ecps-share1'],
    [['ecps-share1', 's', 't', '2x3', '1', 'a', 'ab'], 'no "of"', 'a field is out of shape'],
    [['ecps-share1', 's', 't', 'of3', '1', 'a', 'ab'], 'no k', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of', '1', 'a', 'ab'], 'no n', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '1000of1000', '1', 'a', 'ab'], 'four-digit k', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of1000', '1', 'a', 'ab'], 'four-digit n', 'a field is out of shape'],
    [['ecps-share1', 's', 't', 'x2of3', '1', 'a', 'ab'], 'text before k', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3x', '1', 'a', 'ab'], 'text after n', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', 'x', 'a', 'ab'], 'index not a number', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '', 'a', 'ab'], 'no index', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1000', 'a', 'ab'], 'four-digit index', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', 'x1', 'a', 'ab'], 'text before the index', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1x', 'a', 'ab'], 'text after the index', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1', 'a', 'abc'], 'odd number of hex digits', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1', 'a', ''], 'no share bytes', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1', 'a', 'AB'], 'upper-case hex', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1', 'a', 'zzab'], 'text before the hex', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1', 'a', 'abzz'], 'text after the hex', 'a field is out of shape'],
    [['ecps-share1', 's', 't', '2of3', '1', '%E0%A4%A', 'ab'], 'custodian not decodable', 'the custodian name is not decodable'],
    [['ecps-share1', 's', 't', '1of3', '1', 'a', 'ab'], 'k below 2', 'k, n or the index are out of range'],
    [['ecps-share1', 's', 't', '4of3', '1', 'a', 'ab'], 'k above n', 'k, n or the index are out of range'],
    [['ecps-share1', 's', 't', '2of3', '0', 'a', 'ab'], 'index 0', 'k, n or the index are out of range'],
    [['ecps-share1', 's', 't', '2of3', '4', 'a', 'ab'], 'index above n', 'k, n or the index are out of range'],
  ];
  it.each(MALFORMED)('%j is refused as share_malformed (%s)', (fields, _case, why) => {
    const e = refusal(() => decodeShare(line(...fields), 3));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ field: 'shares', reason: 'share_malformed', share: 3 });
    expect(e.message).toBe(`Share 3 is not a recovery share of this console (${why}).`);
  });

  it('refuses a share whose checksum does not match (one changed character anywhere) as share_checksum', () => {
    const good = line('ecps-share1', 's', 't', '2of3', '1', 'a', 'abcd');
    const altered = [good.replace(':abcd:', ':abce:'), good.replace(':s:', ':S:'), good.replace('2of3', '3of3'), `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`];
    for (const text of altered) {
      const e = refusal(() => decodeShare(text, 2));
      expect(e.code).toBe('invalid_input');
      expect(e.details).toEqual({ field: 'shares', reason: 'share_checksum', share: 2 });
      expect(e.message).toContain('Share 2 does not match its checksum');
    }
  });
});

describe('shareCommitment', () => {
  it('is SHA-256 over the documented prefix with store, set and index, then the share bytes', () => {
    const bytes = Buffer.from('0102a0ff', 'hex');
    expect(shareCommitment('store-1', 'set-1', 4, bytes)).toBe(commitment('store-1', 'set-1', 4, bytes));
    expect(shareCommitment('store-1', 'set-1', 4, bytes)).toBe(crypto.createHash('sha256').update(Buffer.concat([Buffer.from('ecps/recovery-share/v1|store-1|set-1|4|'), bytes])).digest('hex'));
  });
});

describe('checkCustodians (making a set)', () => {
  it('takes 2 <= k <= n and distinct names', () => {
    expect(() => checkCustodians(2, ['ann', 'bob'])).not.toThrow();
    expect(() => checkCustodians(3, ['ann', 'bob', 'cy'])).not.toThrow();
    expect(() => checkCustodians(2, ['ann', 'bob', 'cy'])).not.toThrow();
  });
  it.each([[1, 3], [0, 3], [4, 3], [3, 2]])('refuses k = %i with %i custodians', (k, n) => {
    const e = refusal(() => checkCustodians(k, ['ann', 'bob', 'cy'].slice(0, n)));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ field: 'threshold' });
    expect(e.message).toBe(`k (${k}) must be at least 2 and at most the number of custodians (${n}).`);
  });
  it.each([
    [['ann', 'bob', 'ann'], 'ann'],
    [['Ann', 'bob', 'ANN'], 'ANN'],
    [['José', 'bob', 'Jose\u0301'], 'Jose\u0301'], // the same name composed and decomposed
  ])('refuses %j: a custodian named twice (ignoring case)', (names, twice) => {
    const e = refusal(() => checkCustodians(2, names));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ field: 'custodians' });
    expect(e.message).toBe(`Custodian ${twice} is named twice; each custodian holds one share.`);
  });
});

describe('checkShares (the ceremony before the arithmetic)', () => {
  const STORE = 'store-1';
  const bytesOf = (i: number) => Buffer.from([i, i + 1, i + 2, 0xee]);
  const share = (o: { store?: string; set?: string; kn?: string; index: number; custodian?: string; bytes?: Buffer }) =>
    line('ecps-share1', o.store ?? STORE, o.set ?? 'set-a', o.kn ?? '2of3', String(o.index), o.custodian ?? `c${o.index}`, (o.bytes ?? bytesOf(o.index)).toString('hex'));
  const knownSet = (setId = 'set-a'): ShareSetRow => ({
    setId, threshold: 2, count: 3, createdAt: '2026-12-06T00:00:00.000Z', createdBy: 'admin',
    shares: [1, 2, 3].map((index) => ({ index, custodian: `c${index}`, commitment: commitment(STORE, setId, index, bytesOf(index)) })),
  });

  it('returns the decoded shares in the order given when they pass, with or without the set known', () => {
    for (const set of [knownSet(), null]) {
      const out = checkShares([share({ index: 3 }), share({ index: 1 })], STORE, set);
      expect(out.map((s) => [s.index, s.custodian, s.bytes.toString('hex')])).toEqual([[3, 'c3', bytesOf(3).toString('hex')], [1, 'c1', bytesOf(1).toString('hex')]]);
    }
    expect(checkShares([1, 2, 3].map((index) => share({ index })), STORE, knownSet())).toHaveLength(3);
  });

  it('refuses a malformed line with its position before anything else', () => {
    const e = refusal(() => checkShares([share({ index: 1 }), 'nonsense'], STORE, knownSet()));
    expect(e.details).toMatchObject({ reason: 'share_malformed', share: 2 });
  });

  it('refuses a share of another store, naming both stores', () => {
    const e = refusal(() => checkShares([share({ index: 1 }), share({ index: 2, store: 'store-2', custodian: 'bo' })], STORE, knownSet()));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ field: 'shares', reason: 'share_foreign_store', share: 2 });
    expect(e.message).toBe('Share 2 (bo) belongs to another key store (store-2), not this one (store-1).');
    // The first share too, and before the set checks: one foreign share among shares of mixed sets.
    const first = refusal(() => checkShares([share({ index: 1, store: 'x' }), share({ index: 2, set: 'other' })], STORE, null));
    expect(first.details).toMatchObject({ reason: 'share_foreign_store', share: 1 });
  });

  it.each([
    [{ set: 'set-b' }, 'set-b'],
    [{ kn: '3of3' }, 'set-a'],
    [{ kn: '2of4' }, 'set-a'],
  ])('refuses a share of another set (%j)', (other, setName) => {
    const e = refusal(() => checkShares([share({ index: 1 }), share({ index: 2 }), share({ index: 3, custodian: 'cy', ...other })], STORE, null));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ field: 'shares', reason: 'share_mixed_sets', share: 3 });
    expect(e.message).toBe(`Share 3 (cy) is from another share set (${setName}) than share 1 (set-a); use shares of one set.`);
  });

  it('refuses the same share index twice, naming both positions', () => {
    const e = refusal(() => checkShares([share({ index: 2 }), share({ index: 1 }), share({ index: 2, custodian: 'again' })], STORE, knownSet()));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ field: 'shares', reason: 'share_duplicate', share: 3 });
    expect(e.message).toBe('Shares 1 and 3 are the same share (number 2, again); each custodian\'s share counts once.');
  });

  it('refuses fewer than k shares with the numbers needed and given; exactly k passes', () => {
    const e = refusal(() => checkShares([share({ index: 1, kn: '3of4' }), share({ index: 2, kn: '3of4' })], STORE, null));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toEqual({ field: 'shares', reason: 'too_few_shares', needed: 3, given: 2 });
    expect(e.message).toBe('2 share(s) given; this set needs 3 of 4.');
    expect(checkShares([1, 2, 3].map((index) => share({ index, kn: '3of4' })), STORE, null)).toHaveLength(3);
  });

  it('refuses, when this store made the set, a share that does not match its commitment or is not in the set', () => {
    const altered = refusal(() => checkShares([share({ index: 1 }), share({ index: 2, custodian: 'bo', bytes: Buffer.from([2, 3, 4, 0xef]) })], STORE, knownSet()));
    expect(altered.code).toBe('invalid_input');
    expect(altered.details).toEqual({ field: 'shares', reason: 'share_altered', share: 2 });
    expect(altered.message).toBe('Share 2 (bo) is not the share number 2 this console handed out: it was altered.');
    // The same bytes under another index: the commitment binds the index.
    const moved = refusal(() => checkShares([share({ index: 1 }), share({ index: 3, bytes: bytesOf(2) })], STORE, knownSet()));
    expect(moved.details).toMatchObject({ reason: 'share_altered', share: 2 });
    // An index the set never had.
    const set = knownSet();
    set.shares = set.shares.filter((s) => s.index !== 3);
    const missing = refusal(() => checkShares([share({ index: 1 }), share({ index: 3 })], STORE, set));
    expect(missing.details).toMatchObject({ reason: 'share_altered', share: 2 });
    // The first share checked too.
    const firstBad = refusal(() => checkShares([share({ index: 1, bytes: bytesOf(9) }), share({ index: 2 })], STORE, knownSet()));
    expect(firstBad.details).toMatchObject({ reason: 'share_altered', share: 1 });
    // A set this store does not know skips the commitment check (the master key's own check catches a wrong key).
    expect(checkShares([share({ index: 1, bytes: bytesOf(9) }), share({ index: 2 })], STORE, null)).toHaveLength(2);
  });
});

describe('makeShares and combineShares (the real secret sharing)', () => {
  const SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff));
  const CUSTODIANS = ['Ann', 'Bob Z', 'Cy', 'Dee', 'Éva'];

  it('makes one documented line per custodian, in order, with its commitment; any k of them rebuild the key', async () => {
    const secret = Buffer.from(SECRET);
    const made = await makeShares(secret, 'store-7', 'set-7', 3, CUSTODIANS);
    expect(secret.equals(SECRET), 'the caller\'s key is left as it was').toBe(true);
    expect(made.map((m) => [m.index, m.custodian])).toEqual(CUSTODIANS.map((c, i) => [i + 1, c]));
    const decoded = made.map((m, i) => decodeShare(m.share, i + 1));
    decoded.forEach((d, i) => {
      expect(d).toMatchObject({ storeId: 'store-7', setId: 'set-7', threshold: 3, count: 5, index: i + 1, custodian: CUSTODIANS[i] });
      expect(made[i]!.commitment).toBe(commitment('store-7', 'set-7', i + 1, d.bytes));
      expect(d.bytes.every((b) => b === 0), 'the share bytes are not zero').toBe(false);
    });
    for (const pick of [[0, 1, 2], [4, 2, 0], [1, 3, 4], [0, 1, 2, 3, 4]]) {
      const chosen = pick.map((i) => decodeShare(made[i]!.share, 1));
      const rebuilt = await combineShares(chosen);
      expect(rebuilt.equals(SECRET)).toBe(true);
      for (const c of chosen) expect(c.bytes.every((b) => b === 0), 'combineShares zeroes the shares it used').toBe(true);
    }
    const two = await combineShares([0, 1].map((i) => decodeShare(made[i]!.share, 1)));
    expect(two.equals(SECRET), 'fewer than k shares do not rebuild it').toBe(false);
  });
});

describe('the recovery channels over a real store (recovery:createShares, recovery:status, recovery:recover)', () => {
  const consoles: FleetConsole[] = [];
  afterEach(() => {
    for (const c of consoles.splice(0)) c.close();
    removeTempDirs();
  });
  const RESCUE_PASS = 'rescuer long passphrase';

  async function setUp() {
    const clock = manualClock(Date.parse('2026-03-02T10:00:00Z'));
    const c = await open(tempDir('ecps-recovery-mut-'), { clock, rotation: { scheduler: false }, idleLock: { intervalMs: null } });
    consoles.push(c);
    const call = contractCaller(() => c);
    await call('session:init', { operator: 'alice', passphrase: PASSPHRASE });
    const last = (action: string) => c.audit.query({ action, limit: 1 }).records[0];
    return { c, call, last };
  }

  it('makes a set: the shares once in the answer, the metadata in the status, audited without any share', async () => {
    const { call, last } = await setUp();
    const made = await call('recovery:createShares', { threshold: 2, custodians: ['Ann', 'Bob', 'Cy'] });
    expect(made.setId).toMatch(/^[0-9a-f]{16}$/);
    expect(made).toMatchObject({ threshold: 2, count: 3, createdAt: '2026-03-02T10:00:00.000Z', createdBy: 'alice', custodians: [{ index: 1, custodian: 'Ann' }, { index: 2, custodian: 'Bob' }, { index: 3, custodian: 'Cy' }] });
    expect(made.shares.map((s) => [s.index, s.custodian])).toEqual([[1, 'Ann'], [2, 'Bob'], [3, 'Cy']]);
    const d = decodeShare(made.shares[1]!.share, 1);
    expect(d).toMatchObject({ setId: made.setId, threshold: 2, count: 3, index: 2, custodian: 'Bob' });
    expect(d.bytes, 'the x coordinate and the 32-byte master key').toHaveLength(33);
    const { shares: _shares, ...info } = made;
    expect(await call('recovery:status', {})).toEqual({ sets: [info] });
    const record = last('recovery.create_shares')!;
    expect(record).toMatchObject({ actor: 'alice', targetType: 'store', targetId: d.storeId, outcome: 'success', details: { threshold: 2, count: 3, custodians: 'Ann, Bob, Cy', setId: made.setId } });
    expect(JSON.stringify(record)).not.toContain(d.bytes.toString('hex'));
  });

  it('refuses a bad k or a custodian named twice, audited as a failure; no set stored', async () => {
    const { call, last } = await setUp();
    expect(await failure(call('recovery:createShares', { threshold: 3, custodians: ['Ann', 'Bob'] }))).toMatchObject({ code: 'invalid_input', details: { field: 'threshold' } });
    expect(last('recovery.create_shares')).toMatchObject({ actor: 'alice', outcome: 'failure', details: { threshold: 3, count: 2, custodians: 'Ann, Bob', code: 'invalid_input' } });
    expect(await call('recovery:status', {})).toEqual({ sets: [] });
    await call('session:lock', {});
    expect((await failure(call('recovery:status', {}))).code).toBe('locked');
  });

  it('recovers: k shares make a new admin, signed in; a bad set of shares is refused and audited with its reason', async () => {
    const { c, call, last } = await setUp();
    const made = await call('recovery:createShares', { threshold: 2, custodians: ['Ann', 'Bob', 'Cy'] });
    const storeId = decodeShare(made.shares[0]!.share, 1).storeId;
    await call('session:lock', {});
    // A share with a valid checksum but other bytes: the stored commitment refuses it (the set is known).
    const d = decodeShare(made.shares[1]!.share, 2);
    d.bytes[5]! ^= 1;
    const altered = encodeShare(d);
    expect(await failure(call('recovery:recover', { shares: [made.shares[0]!.share, altered], operator: 'rescuer', passphrase: RESCUE_PASS }))).toMatchObject({ code: 'invalid_input', details: { reason: 'share_altered', share: 2 } });
    expect(last('recovery.recover')).toMatchObject({ actor: 'rescuer', targetType: 'operator', targetId: 'rescuer', outcome: 'failure', details: { code: 'invalid_input', reason: 'share_altered', given: 2 } });
    expect(await failure(call('recovery:recover', { shares: [made.shares[0]!.share], operator: 'rescuer', passphrase: RESCUE_PASS }))).toMatchObject({ details: { reason: 'too_few_shares' } });
    expect(last('recovery.recover')).toMatchObject({ outcome: 'failure', details: { reason: 'too_few_shares', given: 1 } });
    const done = await call('recovery:recover', { shares: [made.shares[2]!.share, made.shares[0]!.share], operator: 'rescuer', passphrase: RESCUE_PASS });
    expect(done).toEqual({ operator: 'rescuer', role: 'admin', storeId, created: true, setId: made.setId });
    expect(await call('session:info', {})).toMatchObject({ operator: 'rescuer', role: 'admin' });
    expect(last('recovery.recover')).toMatchObject({ actor: 'rescuer', outcome: 'success', details: { setId: made.setId, threshold: 2, count: 3, custodians: 'Cy, Ann' } });
    expect(c.audit.query({ action: 'recovery.recover', limit: 10 }).records).toHaveLength(3);
  });
});
