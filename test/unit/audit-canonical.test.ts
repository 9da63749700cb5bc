// The byte formats of the audit chain (electron/services/audit/canonical.ts) against docs/audit-log.md, called directly.
// Every expected line below is written out by hand from the documented rules (member order, no spaces, strings
// escaped as JSON.stringify does, detail keys sorted); hashes are SHA-256 computed here with createHash over the
// documented input, and one published test vector.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalDetails,
  checkpointMessage,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  GENESIS_HASH,
  GENESIS_TEXT,
  headerLine,
  keyFingerprint,
  recordLine,
  sealMessage,
  sha256Hex,
  withSignature,
} from '../../electron/services/audit/canonical.ts';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const PREV = 'ab'.repeat(32);

describe('record line (docs/audit-log.md "Chain and checkpoints")', () => {
  it('has the documented members in order, no spaces, prev last', () => {
    expect(recordLine(17, '2026-01-02T03:04:05.006Z', 'alice', 'key.create', 'key', 'k-1', 'success', '{"version":1}', PREV)).toBe(
      `{"seq":17,"ts":"2026-01-02T03:04:05.006Z","actor":"alice","action":"key.create","targetType":"key","targetId":"k-1","outcome":"success","details":{"version":1},"prev":"${PREV}"}`,
    );
  });

  it('writes a missing target as JSON null, unquoted', () => {
    expect(recordLine(1, 't', 'system', 'session.unlock', null, null, 'failure', '{}', PREV)).toBe(
      `{"seq":1,"ts":"t","actor":"system","action":"session.unlock","targetType":null,"targetId":null,"outcome":"failure","details":{},"prev":"${PREV}"}`,
    );
  });

  it('escapes strings exactly as JSON.stringify: quote, backslash, control characters, lone surrogates', () => {
    // [input, its JSON text] written by hand from RFC 8259 / ECMA-262 JSON.stringify (QuoteJSONString).
    const table: Array<[string, string]> = [
      ['', '""'],
      ['plain text 0-9 ~!#$%&\'()*+,-./:;<=>?@[]^_`{|}', '"plain text 0-9 ~!#$%&\'()*+,-./:;<=>?@[]^_`{|}"'],
      ['a"b', '"a\\"b"'],
      ['"', '"\\""'],
      ['a\\b', '"a\\\\b"'],
      ['\\', '"\\\\"'],
      ['x\ny', '"x\\ny"'],
      ['\t', '"\\t"'],
      ['\r\b\f', '"\\r\\b\\f"'],
      ['\u0000', '"\\u0000"'],
      ['\u001f', '"\\u001f"'],
      ['ok then "quoted"', '"ok then \\"quoted\\""'],
      ['\ud800', '"\\ud800"'],
      ['é and ü', '"é and ü"'],
      ['\u007f', '"\u007f"'],
      ['😀', '"😀"'],
    ];
    for (const [input, json] of table) {
      for (const at of ['ts', 'actor', 'action', 'targetType', 'targetId', 'outcome'] as const) {
        const f = { ts: 't', actor: 'a', action: 'x', targetType: 'k', targetId: 'i', outcome: 'o', [at]: input };
        const line = recordLine(2, f.ts, f.actor, f.action, f.targetType, f.targetId, f.outcome, '{}', PREV);
        const q = (k: keyof typeof f) => (k === at ? json : `"${f[k]}"`);
        expect(line, `${at} = ${JSON.stringify(input)}`).toBe(
          `{"seq":2,"ts":${q('ts')},"actor":${q('actor')},"action":${q('action')},"targetType":${q('targetType')},"targetId":${q('targetId')},"outcome":${q('outcome')},"details":{},"prev":"${PREV}"}`,
        );
      }
    }
  });

  it('its hash is SHA-256 of the line as UTF-8', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 vector
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const line = recordLine(3, 't', 'é', 'x', null, null, 'success', '{}', PREV);
    expect(sha256Hex(line)).toBe(sha(Buffer.from(line, 'utf8')));
  });

  it('record 1 links to SHA-256 of the ASCII genesis text (b944fbfe…3a56)', () => {
    expect(GENESIS_TEXT).toBe('ECPS-UV-AUDIT-GENESIS-V1');
    expect(GENESIS_HASH).toBe(sha(Buffer.from('ECPS-UV-AUDIT-GENESIS-V1', 'ascii')));
    expect(GENESIS_HASH.startsWith('b944fbfe')).toBe(true);
    expect(GENESIS_HASH.endsWith('3a56')).toBe(true);
  });
});

describe('details: canonical JSON with sorted keys', () => {
  it('sorts keys, no spaces, values as JSON', () => {
    const table: Array<[Record<string, string | number | boolean | null>, string]> = [
      [{}, '{}'],
      [{ a: 1 }, '{"a":1}'],
      [{ version: 2, state: 'active', code: null, ok: true, no: false }, '{"code":null,"no":false,"ok":true,"state":"active","version":2}'],
      [{ b: 'x', a: 'y', c: 'z' }, '{"a":"y","b":"x","c":"z"}'],
      [{ 'q"k': 'v\\', 'n\nk': -1.5 }, '{"n\\nk":-1.5,"q\\"k":"v\\\\"}'],
      [{ Z: 1, a: 2, _: 3 }, '{"Z":1,"_":3,"a":2}'],
    ];
    for (const [details, json] of table) expect(canonicalDetails(details), json).toBe(json);
  });
});

describe('signed messages and export lines (docs/audit-log.md "Export format")', () => {
  const head = 'cd'.repeat(32);

  it('checkpoint message', () => {
    expect(checkpointMessage(40, head, '2026-01-02T03:04:05.006Z')).toBe(`{"type":"checkpoint","seq":40,"head":"${head}","ts":"2026-01-02T03:04:05.006Z"}`);
    expect(checkpointMessage(1, head, 'a"b')).toBe(`{"type":"checkpoint","seq":1,"head":"${head}","ts":"a\\"b"}`);
  });

  it('seal message', () => {
    expect(sealMessage(head)).toBe(`{"type":"seal","sha256":"${head}"}`);
  });

  it('a signed line is the message with a final "signature" member in canonical base64', () => {
    const sig = Buffer.from([0xfb, 0xff, 0x00, 0x01, 0x02]); // base64 "+/8AAQI=": both non-alphanumeric digits and padding
    expect(withSignature(sealMessage(head), sig)).toBe(`{"type":"seal","sha256":"${head}","signature":"+/8AAQI="}`);
  });

  it('header line', () => {
    const spki = Buffer.from('302a300506032b6570032100' + '11'.repeat(32), 'hex');
    expect(EXPORT_FORMAT).toBe('ecps-uv-audit-export');
    expect(EXPORT_VERSION).toBe(1);
    expect(headerLine('2026-01-02T03:04:05.006Z', spki, 12, 3)).toBe(
      `{"format":"ecps-uv-audit-export","version":1,"exportedAt":"2026-01-02T03:04:05.006Z","publicKey":"${spki.toString('base64')}","records":12,"checkpoints":3}`,
    );
    expect(headerLine('a\\b', Buffer.from([0xfb, 0xff]), 0, 0)).toBe(
      '{"format":"ecps-uv-audit-export","version":1,"exportedAt":"a\\\\b","publicKey":"+/8=","records":0,"checkpoints":0}',
    );
  });

  it('the key fingerprint is SHA-256 (hex) of the DER SPKI', () => {
    const spki = Buffer.from('302a300506032b6570032100' + '22'.repeat(32), 'hex');
    expect(keyFingerprint(spki)).toBe(sha(spki));
    expect(keyFingerprint(spki)).toMatch(/^[0-9a-f]{64}$/);
  });
});
