// The compliance report's PDF prints names as stored (issue 14, docs/compliance-report.md "The files"): operators and
// key labels (where site names go: "Hải Phòng xưởng", "上海 仓库") in Latin-1, Latin Extended (Vietnamese too), Greek,
// Cyrillic, Chinese, Japanese and Korean, the operator who generated it and a failed sign-in's name, read back with
// the real `pdftotext -layout`. DejaVu prints the first scripts; Noto Sans SC (Han, kana) and KR (Hangul) the others.
// An emoji and an Egyptian hieroglyph, which no font of the report has, print as U+FFFD, and the header says so once,
// naming them; the CSV keeps them. The signature still verifies with the real openssl. Expected text comes from the
// table below, never from the renderer.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { CTX, open, removeTempDirs, tempDir } from '../unit/store-testkit.ts';

/** Each script: an operator (role), a key label, and how the PDF must print them (as stored, or with U+FFFD). */
const NAMES = [
  { script: 'Latin-1', operator: 'Zoë Ångström', role: 'viewer', label: 'Zürich dépôt, façade Nord', printed: null },
  { script: 'Latin Extended-A', operator: 'Łukasz Dvořák', role: 'key_custodian', label: 'Łódź plant', printed: null },
  { script: 'Latin Extended-B', operator: 'Ștefan Țurcanu', role: 'viewer', label: 'Timișoara depozit, ǎ ƒ', printed: null },
  // Vietnamese: DejaVu Sans Mono has ị ư ơ but not ả ễ ở (Latin Extended Additional): those come from DejaVu Sans.
  { script: 'Vietnamese', operator: 'Nguyễn Thị Hương', role: 'viewer', label: 'Hải Phòng xưởng', printed: null },
  { script: 'Greek', operator: 'Αλέξανδρος Παπαδόπουλος', role: 'viewer', label: 'Θεσσαλονίκη αποθήκη', printed: null },
  { script: 'Cyrillic', operator: 'Дмитрий Шостакович', role: 'viewer', label: 'Новосибирск склад №2', printed: null },
  // No ligature glyph may stand for "ffi" or "fi": each letter is printed and extracted as itself (the officer too).
  { script: 'ligature letters', operator: 'Fifi Office', role: 'viewer', label: 'office fit-out', printed: null },
  { script: 'Chinese', operator: '王小明', role: 'viewer', label: '上海 仓库 2号', printed: null },
  { script: 'Japanese', operator: '山田 はなこ', role: 'viewer', label: '東京 倉庫 カタカナ', printed: null },
  { script: 'Korean', operator: '김민준', role: 'viewer', label: '부산 창고', printed: null },
  // No font of the report has an Egyptian hieroglyph (U+13000, a letter: an operator's name may have it) or an emoji
  // (U+1F916, in a key label; operator names are letters and digits): each prints as U+FFFD.
  { script: 'hieroglyph, emoji', operator: 'Ramses \u{13000}', role: 'viewer', label: 'Luxor \u{1F916} site', printed: { operator: 'Ramses \uFFFD', label: 'Luxor \uFFFD site' } },
] as const;
/** The one header note, written from the table: the two characters above, by code point. */
const MISSING_NOTE = "Characters this PDF's fonts lack are printed as \uFFFD (2: U+13000 U+1F916); the CSV report has them as stored.";
// The header is proportional text (DejaVu Sans): the Japanese surname comes from Noto Sans SC there too.
const OFFICER = 'Ægir Griffin-Søndergård 田中';
const OFFICER_PASS = 'Ægir Griffin has a long passphrase';
const pass = (name: string) => `${name} has a long passphrase`;

const clock = manualClock(Date.parse('2026-07-01T08:00:00Z'));
const work = tempDir('ecps-report-unicode-');
let c: FleetConsole;
const call = contractCaller(() => c);
const keyIds: Record<string, string> = {};
let pdfFile = '';
let text = '';
let lines: string[] = [];
let csv = '';

const printedOperator = (n: (typeof NAMES)[number]) => n.printed?.operator ?? n.operator;
const printedLabel = (n: (typeof NAMES)[number]) => n.printed?.label ?? n.label;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The lines that hold these cells in this order, each whole (pdftotext may set a column one space after a full cell). */
const rowsWith = (...items: string[]) => lines.filter((l) => new RegExp(`^\\s*${items.map(escape).join('\\s+')}(\\s|$)`, 'u').test(l));

beforeAll(async () => {
  c = await open(join(work, 'store'), { clock, rotation: { scheduler: false } });
  await c.handlers['session:init']({ operator: OFFICER, passphrase: OFFICER_PASS }, CTX);
  for (const n of NAMES) {
    await call('operators:add', { name: n.operator, role: n.role, passphrase: pass(n.operator) });
    keyIds[n.script] = (await call('keys:create', { type: 'storage', label: n.label })).id;
  }
  // Failed sign-ins under a Cyrillic and a Korean name, then the officer again.
  clock.advance(60_000);
  await c.handlers['session:lock']({}, CTX);
  expect((await failure(call('session:unlock', { operator: 'Дмитрий Шостакович', passphrase: 'not his passphrase at all' }))).code).toBe('wrong_passphrase');
  expect((await failure(call('session:unlock', { operator: '김민준', passphrase: 'not his passphrase at all' }))).code).toBe('wrong_passphrase');
  await call('session:unlock', { operator: OFFICER, passphrase: OFFICER_PASS });
  clock.advance(60_000);

  const report = await call('report:generate', { from: '2026-07-01', to: '2026-07-01', format: 'pdf' });
  pdfFile = join(work, report.fileName);
  writeFileSync(pdfFile, Buffer.from(report.content, 'base64'));
  writeFileSync(`${pdfFile}.sig`, Buffer.from(report.signature, 'base64'));
  writeFileSync(`${pdfFile}.audit-key.pem`, report.publicKeyPem);
  text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', pdfFile, '-'], { encoding: 'utf8' });
  lines = text.split('\n');
  csv = Buffer.from((await call('report:generate', { from: '2026-07-01', to: '2026-07-01', format: 'csv' })).content, 'base64').toString('utf8');
});

afterAll(() => {
  c.close();
  removeTempDirs();
});

describe('names in the compliance report PDF', () => {
  it('prints every operator as stored, with their role, in the operators table', () => {
    for (const n of NAMES) expect(rowsWith(printedOperator(n), n.role), `${n.script}: a row for ${n.operator}`).toHaveLength(1);
  });

  it('prints every key label as stored in the key inventory', () => {
    for (const n of NAMES) expect(rowsWith(keyIds[n.script]!, printedLabel(n), 'storage'), `${n.script}: the row of key ${n.label}`).toHaveLength(1);
  });

  it('prints the officer who generated it in the header and the failed sign-ins\' names in their table', () => {
    expect(lines.map((l) => l.trim())).toContain(`Generated: 2026-07-01T08:02:00.000Z by ${OFFICER}`);
    expect(rowsWith('Дмитрий Шостакович', 'wrong_passphrase', '1')).toHaveLength(1);
    expect(rowsWith('김민준', 'wrong_passphrase', '1')).toHaveLength(1);
  });

  it('says once, in the header, which characters it could not print; the CSV keeps them', () => {
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain(MISSING_NOTE);
    expect(flat.split("fonts lack").length - 1, 'said once').toBe(1);
    expect(flat.indexOf(MISSING_NOTE), 'in the header, before the first section').toBeLessThan(flat.indexOf('1. Key inventory'));
    for (const n of NAMES) {
      expect(csv, n.script).toContain(n.operator);
      expect(csv, n.script).toContain(n.label);
    }
    expect(csv).not.toContain('\uFFFD');
  });

  it('is signed: openssl verifies the PDF with the audit key', () => {
    const v = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', `${pdfFile}.audit-key.pem`, '-rawin', '-in', pdfFile, '-sigfile', `${pdfFile}.sig`], { encoding: 'utf8' });
    expect(v.stdout.trim()).toBe('Signature Verified Successfully');
    expect(v.status).toBe(0);
  });
});
