// verifyExport against exports this test writes itself from docs/audit-log.md ("Export format"): header, record
// lines, signed checkpoint lines, one seal. Each rule of the format is broken on its own, and the verdict must name
// the line, the record and the reason, so an auditor can find what was changed.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyExport } from '../../electron/services/audit/verifyExport.ts';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const GENESIS = sha('ECPS-UV-AUDIT-GENESIS-V1');
const AT = '2026-03-01T10:00:00.000Z';
const audit = generateKeyPairSync('ed25519');
const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' });

const headerOf = (records: number, checkpoints: number, o: { at?: string; key?: string } = {}) =>
  `{"format":"ecps-uv-audit-export","version":1,"exportedAt":"${o.at ?? AT}","publicKey":"${o.key ?? spki(audit.publicKey).toString('base64')}","records":${records},"checkpoints":${checkpoints}}`;
const recordOf = (seq: number, prev: string, details = `{"n":${seq}}`) =>
  `{"seq":${seq},"ts":"2026-02-01T00:00:00.000Z","actor":"alice","action":"key.rotate","targetType":"key","targetId":"k-${seq}","outcome":"success","details":${details},"prev":"${prev}"}`;
/** A signed line: Ed25519 over the message, which is the line without its final ,"signature" member. */
const signed = (message: string, key: KeyObject = audit.privateKey) => `${message.slice(0, -1)},"signature":"${sign(null, Buffer.from(message), key).toString('base64')}"}`;
const checkpointOf = (seq: number, head: string, key?: KeyObject) => signed(`{"type":"checkpoint","seq":${seq},"head":"${head}","ts":"2026-02-02T00:00:00.000Z"}`, key);
const sealOf = (before: string, key?: KeyObject) => signed(`{"type":"seal","sha256":"${sha(before)}"}`, key);

interface Parts { header: string; records: string[]; hashes: string[]; checkpoints: string[] }

/** n records, a checkpoint every `every` records (and at the end). */
function parts(n: number, every: number): Parts {
  const records: string[] = [];
  const hashes: string[] = [];
  let prev = GENESIS;
  for (let s = 1; s <= n; s++) {
    const line = recordOf(s, prev);
    records.push(line);
    prev = sha(line);
    hashes.push(prev);
  }
  const checkpoints: string[] = [];
  for (let s = every; s <= n; s += every) checkpoints.push(checkpointOf(s, hashes[s - 1]!));
  if (n % every) checkpoints.push(checkpointOf(n, hashes[n - 1]!));
  return { header: headerOf(n, checkpoints.length), records, hashes, checkpoints };
}

/** The file: every line ends with \n; the seal signs SHA-256 of everything before it. */
function file(p: { header: string; records: string[]; checkpoints: string[] }, sealLine?: (before: string) => string): string {
  const before = [p.header, ...p.records, ...p.checkpoints].map((l) => `${l}\n`).join('');
  return `${before}${(sealLine ?? sealOf)(before)}\n`;
}

const bad = (content: string | Uint8Array, trusted?: Buffer) => {
  const r = verifyExport(content, trusted);
  expect(r.ok).toBe(false);
  return r.firstBad;
};

const big = parts(120, 10); // 120 records, 12 checkpoints: three-digit and two-digit counts in the header
const small = parts(5, 2); // checkpoints at 2, 4, 5

describe('verifyExport: a good export', () => {
  it('is accepted with its counts, last checkpoint, key fingerprint and export time', () => {
    expect(verifyExport(file(big))).toEqual({
      ok: true, checkedRecords: 120, checkpoints: 12, lastCheckpointSeq: 120, firstBad: null,
      publicKeyFingerprint: sha256Hex(spki(audit.publicKey)), exportedAt: AT,
    });
    expect(verifyExport(Buffer.from(file(small)), spki(audit.publicKey))).toMatchObject({ ok: true, checkedRecords: 5, checkpoints: 3, lastCheckpointSeq: 5 });
    const empty = { header: headerOf(0, 0), records: [], checkpoints: [] };
    expect(verifyExport(file(empty))).toMatchObject({ ok: true, checkedRecords: 0, checkpoints: 0, lastCheckpointSeq: null });
  });
});

function sha256Hex(b: Buffer) {
  return createHash('sha256').update(b).digest('hex');
}

describe('verifyExport: the file and its header', () => {
  it('bytes that are not UTF-8 are refused before anything else', () => {
    const bytes = Buffer.from(file(small));
    bytes[bytes.indexOf('"n":3') + 1] = 0xff;
    expect(bad(bytes)).toEqual({ seq: 0, line: 0, reason: 'line 0: the file is not valid UTF-8 text' });
  });

  it('a file without its final line break', () => {
    expect(bad(file(small).slice(0, -1))).toEqual({ seq: 0, line: 0, reason: 'line 0: the file does not end with a line break (it was truncated or extended)' });
  });

  it.each([
    ['text before it', (h: string) => `x${h}`],
    ['text after it', (h: string) => `${h} `],
    ['another format name', (h: string) => h.replace('ecps-uv-audit-export', 'ecps-uv-audit-exp0rt')],
    ['a leading zero in a count', (h: string) => h.replace('"records":5', '"records":05')],
  ])('a header with %s is not a header', (_what, edit) => {
    expect(bad(file({ ...small, header: edit(small.header) }))).toEqual({ seq: 0, line: 1, reason: 'line 1: not an ECPS-UV audit export header' });
  });

  it('the header key must be an Ed25519 SPKI in canonical base64', () => {
    const ec = spki(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey).toString('base64');
    const unpadded = spki(audit.publicKey).toString('base64').replace(/=+$/, '');
    expect(unpadded).not.toBe(spki(audit.publicKey).toString('base64'));
    for (const key of [ec, unpadded, 'AAAA']) {
      expect(bad(file({ ...small, header: headerOf(5, 3, { key }) })), key).toEqual({ seq: 0, line: 1, reason: 'line 1: the header public key is not an Ed25519 key in DER SPKI base64' });
    }
  });

  it.each(['2026-13-01T00:00:00.000Z', '2026-03-01T10:00:00Z', '2026-03-01T10:00:00.000', '0'])('export time %s is not an ISO time', (at) => {
    expect(bad(file({ ...small, header: headerOf(5, 3, { at }) }))).toEqual({ seq: 0, line: 1, reason: 'line 1: the export time is not an ISO time' });
  });

  it('names both fingerprints when the export is not signed by the trusted key', () => {
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(bad(file(small), spki(other))).toEqual({
      seq: 0, line: 1, reason: `line 1: the export is signed by key ${sha256Hex(spki(audit.publicKey))}, not by the trusted audit key ${sha256Hex(spki(other))}`,
    });
  });
});

describe('verifyExport: records', () => {
  it('a record line that is not a record', () => {
    const records = [...small.records];
    records[2] = `${records[2]}x`;
    expect(bad(file({ ...small, records }))).toEqual({ seq: 3, line: 4, reason: 'line 4: record 3 is malformed' });
    records[2] = records[2]!.replace(/,"prev":"[0-9a-f]{64}"\}x$/, '}');
    expect(bad(file({ ...small, records }))).toEqual({ seq: 3, line: 4, reason: 'line 4: record 3 is malformed' });
  });

  it('a missing record and a repeated one', () => {
    const missing = [...small.records];
    missing.splice(2, 1);
    expect(bad(file({ ...small, records: missing }))).toEqual({ seq: 3, line: 4, reason: 'line 4: record 3 is missing (deleted or reordered)' });
    const repeated = [...small.records];
    repeated.splice(2, 0, repeated[1]!);
    expect(bad(file({ ...small, records: repeated }))).toEqual({ seq: 3, line: 4, reason: 'line 4: record 2 appears out of order (inserted, duplicated or reordered)' });
  });

  it('a changed record is named at the record that no longer links to it', () => {
    const records = [...small.records];
    records[3] = recordOf(4, small.hashes[2]!, '{"n":"changed"}');
    expect(bad(file({ ...small, records }))).toEqual({ seq: 4, line: 5, reason: 'line 5: record 4 was modified (record 5 no longer links to it), or the link in record 5 was' });
    const first = [recordOf(1, '0'.repeat(64)), ...small.records.slice(1)];
    expect(bad(file({ ...small, records: first }))).toEqual({ seq: 0, line: 1, reason: 'line 1: record 1 does not start the chain' });
  });

  it('the header record count must match', () => {
    expect(bad(file({ ...small, header: headerOf(6, 3) }))).toEqual({ seq: 6, line: 7, reason: 'line 7: the header announces 6 records but the file holds 5 (records were removed or added)' });
    expect(bad(file({ ...small, header: headerOf(4, 3) }))).toMatchObject({ line: 7, reason: 'line 7: the header announces 4 records but the file holds 5 (records were removed or added)' });
  });
});

describe('verifyExport: checkpoints', () => {
  const cps = small.checkpoints; // at 2, 4, 5 (lines 7, 8, 9)

  it('a checkpoint line that is not a checkpoint, or is followed by one', () => {
    expect(bad(file({ ...small, checkpoints: [cps[0]!, `${cps[1]} `, cps[2]!] }))).toEqual({ seq: 5, line: 8, reason: 'line 8: a checkpoint line is malformed' });
    expect(bad(file({ ...small, checkpoints: [cps[0]!, cps[1]!.replace('"seq":4', '"seq":04'), cps[2]!] }))).toEqual({ seq: 5, line: 8, reason: 'line 8: a checkpoint line is malformed' });
  });

  it('a signature in another base64 spelling is not canonical', () => {
    const unpadded = cps[1]!.replace(/=+"\}$/, '"}');
    expect(unpadded).not.toBe(cps[1]);
    expect(bad(file({ ...small, checkpoints: [cps[0]!, unpadded, cps[2]!] }))).toEqual({ seq: 4, line: 8, reason: 'line 8: the checkpoint at record 4 is not in canonical form' });
  });

  it('checkpoints ascend: an earlier or repeated one is refused', () => {
    expect(bad(file({ ...small, header: headerOf(5, 3), checkpoints: [cps[1]!, cps[0]!, cps[2]!] }))).toEqual({ seq: 2, line: 8, reason: 'line 8: the checkpoint at record 2 is out of order or duplicated' });
    expect(bad(file({ ...small, header: headerOf(5, 4), checkpoints: [cps[0]!, cps[1]!, cps[1]!, cps[2]!] }))).toEqual({ seq: 4, line: 9, reason: 'line 9: the checkpoint at record 4 is out of order or duplicated' });
  });

  it('a checkpoint beyond the last record: the records after it were removed', () => {
    const cut = { header: headerOf(3, 3), records: small.records.slice(0, 3), checkpoints: cps };
    expect(bad(file(cut))).toEqual({ seq: 4, line: 6, reason: 'line 6: the checkpoint at record 4 refers to records that were removed (records 4 to 4 are missing)' });
  });

  it('a checkpoint whose head is not that record\'s hash, even correctly signed', () => {
    const wrongHead = checkpointOf(4, small.hashes[2]!);
    expect(bad(file({ ...small, checkpoints: [cps[0]!, wrongHead, cps[2]!] }))).toEqual({ seq: 4, line: 8, reason: 'line 8: the checkpoint at record 4 does not match the chain (records up to 4 were changed)' });
  });

  it('a checkpoint signed by another key', () => {
    const forged = checkpointOf(4, small.hashes[3]!, generateKeyPairSync('ed25519').privateKey);
    expect(bad(file({ ...small, checkpoints: [cps[0]!, forged, cps[2]!] }))).toEqual({ seq: 4, line: 8, reason: 'line 8: the checkpoint at record 4 has an invalid signature' });
  });

  it('the header checkpoint count must match (also when the file has none)', () => {
    expect(bad(file({ ...small, header: headerOf(5, 4) }))).toEqual({ seq: 5, line: 10, reason: 'line 10: the header announces 4 checkpoints but the file holds 3' });
    expect(bad(file({ ...small, header: headerOf(5, 1), checkpoints: [] }))).toEqual({ seq: 0, line: 7, reason: 'line 7: the header announces 1 checkpoints but the file holds 0' });
  });
});

describe('verifyExport: the seal', () => {
  const before = [small.header, ...small.records, ...small.checkpoints].map((l) => `${l}\n`).join('');

  it('exactly one seal line ends the file', () => {
    // The seal removed: the last checkpoint is then the last line, which is not counted as a checkpoint.
    expect(bad(before)).toEqual({ seq: 4, line: 9, reason: 'line 9: the header announces 3 checkpoints but the file holds 2' });
    const twoSeals = `${before}${sealOf(before)}\n${sealOf(before)}\n`;
    expect(bad(twoSeals)).toEqual({ seq: 5, line: 10, reason: 'line 10: unexpected line (the file must end with exactly one seal line)' });
    const stray = `${before}{"note":"x"}\n${sealOf(before)}\n`;
    expect(bad(stray)).toEqual({ seq: 5, line: 10, reason: 'line 10: unexpected line (the file must end with exactly one seal line)' });
  });

  it.each([
    ['text before it', (s: string) => ` ${s}`],
    ['text after it', (s: string) => `${s} `],
    ['a short hash', (s: string) => s.replace(/"sha256":"[0-9a-f]/, '"sha256":"')],
  ])('a seal line with %s is malformed', (_what, edit) => {
    expect(bad(`${before}${edit(sealOf(before))}\n`)).toEqual({ seq: 5, line: 10, reason: 'line 10: the seal line is missing or malformed (the export was truncated or edited)' });
  });

  it('a seal signature in another base64 spelling is not canonical', () => {
    const unpadded = sealOf(before).replace(/=+"\}$/, '"}');
    expect(bad(`${before}${unpadded}\n`)).toEqual({ seq: 5, line: 10, reason: 'line 10: the seal is not in canonical form' });
  });

  it('a seal over other bytes, and a seal signed by another key', () => {
    expect(bad(`${before}${sealOf(`${before}x`)}\n`)).toEqual({ seq: 5, line: 10, reason: 'line 10: the seal does not match the file: a line before it was changed' });
    expect(bad(`${before}${sealOf(before, generateKeyPairSync('ed25519').privateKey)}\n`)).toEqual({ seq: 5, line: 10, reason: 'line 10: the seal signature is invalid' });
  });
});
