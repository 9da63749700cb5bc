import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyExport } from '../../electron/services/audit/index.ts';
import { entry, makeLog, newSigner, openTestDb } from './audit-testdb.ts';

// A realistic export: 40 records (some appended while locked, unicode, quotes, newlines), 5 checkpoints, one seal.
// Built afresh for each test (not in beforeAll), so mutation testing sees the log's code reached inside a test.
let t: ReturnType<typeof openTestDb>;
let content: string;
let bytes: Buffer;
let signer: ReturnType<typeof newSigner>;

beforeEach(() => {
  t = openTestDb();
  const { log, clock } = makeLog(t.db, { checkpointEvery: 9 });
  for (let i = 0; i < 4; i++) log.append(entry(i));
  signer = newSigner();
  log.setSigner(signer);
  for (let i = 4; i < 40; i++) {
    log.append(entry(i));
    clock.advance(1500);
  }
  content = log.exportJsonl().content;
  bytes = Buffer.from(content, 'utf8');
});
afterEach(() => t.cleanup());

const lines = () => content.slice(0, -1).split('\n');
const join = (ls: string[]) => ls.join('\n') + '\n';

describe('verifyExport', () => {
  it('accepts an untouched export, as text and as bytes, and reports the key fingerprint', () => {
    for (const input of [content, bytes]) {
      expect(verifyExport(input)).toMatchObject({ ok: true, checkedRecords: 40, checkpoints: 5, lastCheckpointSeq: 40, firstBad: null });
    }
    expect(verifyExport(content, signer.publicKeySpki).ok).toBe(true);
    expect(lines()).toHaveLength(1 + 40 + 5 + 1);
  });

  it('detects every single-byte change of the file (xor 0x01 at every offset)', () => {
    const undetected: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i]! ^= 0x01;
      if (verifyExport(copy).ok) undetected.push(i);
    }
    expect(bytes.length).toBeGreaterThan(10_000);
    expect(undetected).toEqual([]);
  });

  it('detects every single-byte replacement by another printable character', () => {
    const undetected: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = bytes[i] === 0x41 ? 0x42 : 0x41; // 'A', or 'B' where the byte already is 'A'
      if (verifyExport(copy).ok) undetected.push(i);
    }
    expect(undetected).toEqual([]);
  });

  it('detects a deleted record line and names the missing record', () => {
    const ls = lines();
    ls.splice(18, 1); // record 18
    expect(verifyExport(join(ls)).firstBad).toMatchObject({ seq: 18, line: 19, reason: expect.stringContaining('record 18 is missing') });
  });

  it('detects two swapped record lines', () => {
    const ls = lines();
    [ls[10], ls[11]] = [ls[11]!, ls[10]!];
    expect(verifyExport(join(ls)).firstBad?.seq).toBe(10);
  });

  it('detects a duplicated record line', () => {
    const ls = lines();
    ls.splice(21, 0, ls[20]!);
    expect(verifyExport(join(ls)).firstBad).toMatchObject({ seq: 21, line: 22, reason: expect.stringContaining('record 20 appears out of order') });
  });

  it('detects a duplicated or deleted checkpoint line', () => {
    const ls = lines();
    const dup = [...ls];
    dup.splice(43, 0, ls[43]!);
    expect(verifyExport(join(dup)).ok).toBe(false);
    const del = [...ls];
    del.splice(43, 1);
    expect(verifyExport(join(del)).ok).toBe(false);
  });

  it('detects truncation after a checkpoint (records removed, checkpoints kept)', () => {
    const ls = lines();
    const cut = [ls[0]!, ...ls.slice(1, 31), ...ls.slice(41)];
    expect(verifyExport(join(cut)).firstBad?.reason).toContain('header announces 40 records but the file holds 30');
    // even a consistent header cannot hide it: the checkpoints still name records 36 and 40
    cut[0] = cut[0]!.replace('"records":40', '"records":30');
    expect(verifyExport(join(cut)).firstBad?.reason).toContain('refers to records that were removed');
  });

  it('detects a file cut short at any line boundary', () => {
    const ls = lines();
    for (let n = 1; n < ls.length; n++) expect(verifyExport(join(ls.slice(0, n))).ok, `first ${n} lines`).toBe(false);
    expect(verifyExport(content.slice(0, -1)).ok).toBe(false);
  });

  it('rejects an export signed by another key when the trusted key is given', () => {
    const r = verifyExport(content, newSigner().publicKeySpki);
    expect(r.ok).toBe(false);
    expect(r.firstBad?.reason).toContain('not by the trusted audit key');
  });

  it('rejects garbage, an empty file and a lone header', () => {
    expect(verifyExport('').ok).toBe(false);
    expect(verifyExport('hello\n').ok).toBe(false);
    expect(verifyExport(lines()[0] + '\n').ok).toBe(false);
  });
});
