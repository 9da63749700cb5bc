// The compliance report (issue 14, docs/compliance-report.md) over a real console, store and fleet: keys on the local
// store and on an AWS KMS emulator in known states, rotations on time, late and overdue (the scheduler run with the
// clock moved by hand), certificates issued to simulated robots by the fleet CA and one revoked, a key marked
// compromised, a viewer's refused calls and failed sign-ins. The expected figures are the table below, written from
// that scenario (never computed by the report code). The PDF is read back with the real `pdftotext -layout`, the CSV
// parsed, and the detached signature checked with the real `openssl` (and refused after one byte of the PDF changes).
// Slow tier (about 25 s: three robots provisioned by the simulator, the emulators); the fast tier has cli-report.test.ts.
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelOutput, KeySummary } from '../../shared/contract.ts';
import type { FleetConsole } from '../../electron/app.ts';
import { manualClock } from '../../electron/clock.ts';
import { removeTempDirs, tempDir } from '../unit/store-testkit.ts';
import { contractCaller, failure } from './support/consoleCalls.ts';
import { awsConfig, type Emulators, startEmulators } from './providers-kit.ts';
import { createStationConsole, initStationFleet, OPERATOR, PASS, provisionWithSimulator, robotBench, type StationProgress } from './support/stationRig.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// The fleet CA checks certificates against the real time (the simulator does): the console's clock starts there.
const T0 = Math.floor(Date.now() / 1000) * 1000;
const at = (ms: number) => new Date(ms).toISOString();
const VIEWER = 'Vera';
const VIEWER_PASS = 'Vera has a long passphrase';

type Figures = Record<string, string>;
/**
 * What each report must say, per section, written from the scenario in beforeAll:
 * - keys: fleet comm + uplink-b (communication, active, local), fleet storage (active, local), sig-dev (device
 *   identity, suspended, local), disk-old (storage on aws-primary, marked compromised at T0+4d);
 * - rotations (communication, 24 h, no jitter): both v1 due T0+1d, run at T0+1d+30min (on time); both v2 due
 *   T0+2d+30min; the scheduler paused; at T0+4d fleet comm is run by hand (late), uplink-b still waits (overdue);
 * - usage: 4 encryptions with uplink-b v2 against a limit of 5 (80 %);
 * - certificates: uv-1..uv-3 issued at T0 (365 days), uv-3's revoked at T0+4d;
 * - at T0+4d: Vera (viewer) added, refused three times (keys:create, certs:revoke, report:generate); two wrong
 *   passphrases (Vera, Ada);
 * - marking disk-old compromised is a guarded action (docs/two-person-control.md) that no one but Ada could approve
 *   (Vera is a viewer): it runs, and one approval.waived record says so.
 */
const EXPECTED: Record<'whole' | 'early' | 'late', Record<string, Figures>> = {
  // [T0-1h, T0+10d]
  whole: {
    inventory: { Keys: '5', 'Keys active': '3', 'Keys compromised': '1', 'Keys suspended': '1', 'Keys on provider local': '4', 'Keys on provider aws-primary': '1' },
    rotation: { 'Rotations due': '4', 'On time': '2', Late: '1', Overdue: '1', Superseded: '0', 'On-time rate': '50.0%' },
    usage: { 'Key versions with usage': '1', 'At 80% of their limit or more': '1', 'At their limit': '0' },
    certificates: { 'Certificates issued': '3', 'Certificates revoked': '1', 'Expiring within 30 days after the period': '0' },
    incidents: { 'Keys marked compromised': '1', 'Keys destroyed': '0', 'Certificate revocations': '1', 'Lockdown orders': '0' },
    operators: { Operators: '2', 'Role admin': '1', 'Role viewer': '1', 'Operator changes in the period': '1', 'Approval records': '1' },
    access: { 'Denied calls': '3', 'Failed sign-ins': '2' },
    audit: { 'Chain verified': 'yes', 'First failure': 'none' },
  },
  // [T0-1h, T0+2d]: only the first rotations, the issuance; nothing of day 4.
  early: {
    inventory: { Keys: '5' },
    rotation: { 'Rotations due': '2', 'On time': '2', Late: '0', Overdue: '0', 'On-time rate': '100.0%' },
    certificates: { 'Certificates issued': '3', 'Certificates revoked': '0' },
    incidents: { 'Keys marked compromised': '0', 'Certificate revocations': '0' },
    operators: { 'Operator changes in the period': '0', 'Approval records': '0' },
    access: { 'Denied calls': '0', 'Failed sign-ins': '0' },
  },
  // [T0+2d, T0+10d]: the late and the overdue rotation, day 4's events, no issuance.
  late: {
    rotation: { 'Rotations due': '2', 'On time': '0', Late: '1', Overdue: '1', 'On-time rate': '0.0%' },
    certificates: { 'Certificates issued': '0', 'Certificates revoked': '1' },
    incidents: { 'Keys marked compromised': '1', 'Certificate revocations': '1' },
    operators: { 'Approval records': '1' },
    access: { 'Denied calls': '3', 'Failed sign-ins': '2' },
  },
};
const PERIODS = { whole: [at(T0 - HOUR), at(T0 + 10 * DAY)], early: [at(T0 - HOUR), at(T0 + 2 * DAY)], late: [at(T0 + 2 * DAY), at(T0 + 10 * DAY)] } as const;

/** Section headings as the PDF numbers them, and the controls each must name (the CC6 / CC7 and Annex A list). */
const SECTIONS: Array<{ id: string; heading: string; controls: string[] }> = [
  { id: 'inventory', heading: '1. Key inventory', controls: ['SOC 2 CC6.1', 'ISO/IEC 27001:2022 A.8.24'] },
  { id: 'rotation', heading: '2. Rotation compliance', controls: ['SOC 2 CC6.1', 'ISO/IEC 27001:2022 A.8.24'] },
  { id: 'usage', heading: '3. Usage against limits', controls: ['SOC 2 CC6.1', 'ISO/IEC 27001:2022 A.8.24'] },
  { id: 'certificates', heading: '4. Fleet certificates', controls: ['SOC 2 CC6.1', 'SOC 2 CC6.2', 'ISO/IEC 27001:2022 A.8.5', 'ISO/IEC 27001:2022 A.8.24'] },
  { id: 'incidents', heading: '5. Compromise and revocation actions', controls: ['SOC 2 CC7.4', 'SOC 2 CC6.2', 'ISO/IEC 27001:2022 A.8.24'] },
  { id: 'operators', heading: '6. Operators, roles and two-person approvals', controls: ['SOC 2 CC6.1', 'SOC 2 CC6.2', 'SOC 2 CC6.3', 'ISO/IEC 27001:2022 A.5.15', 'ISO/IEC 27001:2022 A.5.18'] },
  { id: 'access', heading: '7. Denied access and failed sign-ins', controls: ['SOC 2 CC6.1', 'SOC 2 CC7.2', 'ISO/IEC 27001:2022 A.5.15', 'ISO/IEC 27001:2022 A.8.5'] },
  { id: 'audit', heading: '8. Audit log verification', controls: ['SOC 2 CC7.2', 'ISO/IEC 27001:2022 A.8.15'] },
];

/** RFC 4180: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

function openssl(dir: string, args: string[]): { status: number; out: string } {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The PDF's text as `pdftotext -layout` gives it. */
function pdfText(dir: string, pdf: Buffer): string {
  writeFileSync(join(dir, 'read.pdf'), pdf);
  const r = spawnSync('pdftotext', ['-layout', 'read.pdf', '-'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The text of one section: from its heading to the next one's. */
function sectionText(text: string, id: string): string {
  const i = SECTIONS.findIndex((s) => s.id === id);
  const start = text.indexOf(SECTIONS[i]!.heading);
  expect(start, `${SECTIONS[i]!.heading} in the PDF`).toBeGreaterThan(-1);
  const next = SECTIONS[i + 1] ? text.indexOf(SECTIONS[i + 1]!.heading, start) : text.length;
  return text.slice(start, next);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\%]/g, '\\$&');

describe('compliance report', () => {
  const dir = tempDir('ecps-report-');
  const work = tempDir('ecps-report-work-');
  const clock = manualClock(T0);
  const progress: StationProgress[] = [];
  let caFile = '';
  const bench = robotBench(() => caFile);
  let emu: Emulators;
  let c: FleetConsole;
  const call = contractCaller(() => c);
  const ids: Record<string, string> = {};
  const reports: Partial<Record<keyof typeof PERIODS, { pdf: ChannelOutput<'report:generate'>; csv: ChannelOutput<'report:generate'> }>> = {};

  beforeAll(async () => {
    emu = await startEmulators();
    c = await createStationConsole({ dataDir: dir, clock, env: {}, station: { stepTimeoutMs: 20_000, pollIntervalMs: 200 }, progress, rotation: { scheduler: false, usageBlock: 1 } });
    const fleet = await initStationFleet(call, { ca: { commonName: 'Report CA', work }, robots: { 'uv-1': 'One', 'uv-2': 'Two', 'uv-3': 'Three' } });
    caFile = fleet.caFile;
    ids.comm = fleet.ids.comm;
    await call('rotation:setTypePolicy', { type: 'communication', policy: { mode: 'scheduled', periodSeconds: 24 * 3600, jitterSeconds: 0, usageLimit: 5 } });
    const created: KeySummary[] = [
      await call('keys:create', { type: 'communication', label: 'uplink-b' }),
      await call('keys:create', { type: 'device_identity', label: 'sig-dev' }),
    ];
    // From here new keys go to the AWS provider (use_kms_for_storage): only disk-old is made there.
    await call('providers:save', { config: awsConfig(emu) });
    created.push(await call('keys:create', { type: 'storage', label: 'disk-old', provider: 'aws-primary' }));
    for (const [i, name] of ['uplink', 'sig', 'disk'].entries()) ids[name] = created[i]!.id;
    await call('keys:setState', { keyId: ids.sig!, state: 'suspended', reason: 'spare' });
    for (const deviceId of ['uv-1', 'uv-2', 'uv-3']) {
      const { result } = await provisionWithSimulator(c, bench, progress, deviceId);
      expect(result.ok, JSON.stringify(result)).toBe(true);
    }

    // Day 1, 30 minutes after the due time: both communication keys rotate on time.
    clock.set(T0 + DAY + 30 * MINUTE);
    expect((await c.rotation.scheduler.tick()).ran.map((r) => r.outcome)).toEqual(['success', 'success']);
    // The next rotations are due at T0+2d+30min; the scheduler is paused and they wait.
    await call('rotation:pause', {});
    clock.set(T0 + 4 * DAY);
    expect((await c.rotation.scheduler.tick()).ran).toEqual([]);
    await call('rotation:runNow', { keyId: ids.comm });
    for (let i = 0; i < 4; i++) await call('keys:encrypt', { keyId: ids.uplink!, plaintext: new Uint8Array(Buffer.from(`message ${i}`)) });
    await call('keys:setState', { keyId: ids.disk!, state: 'compromised', reason: 'backup tape lost' });
    const serial = (await call('certs:list', {})).certificates.find((x) => x.deviceId === 'uv-3')!.serial;
    expect(await call('certs:revoke', { serial, reason: 'keyCompromise' })).toEqual({ revoked: true });

    // A viewer is refused twice; two wrong passphrases.
    await call('operators:add', { name: VIEWER, role: 'viewer', passphrase: VIEWER_PASS });
    await call('session:lock', {});
    expect((await failure(call('session:unlock', { operator: VIEWER, passphrase: 'not her passphrase' }))).code).toBe('wrong_passphrase');
    await call('session:unlock', { operator: VIEWER, passphrase: VIEWER_PASS });
    expect((await failure(call('keys:create', { type: 'storage', label: 'nope' }))).code).toBe('forbidden');
    expect((await failure(call('certs:revoke', { serial, reason: 'keyCompromise' }))).code).toBe('forbidden');
    expect((await failure(call('report:generate', { from: PERIODS.whole[0], to: PERIODS.whole[1], format: 'csv' }))).code).toBe('forbidden');
    await call('session:lock', {});
    expect((await failure(call('session:unlock', { operator: OPERATOR, passphrase: 'not the passphrase' }))).code).toBe('wrong_passphrase');
    clock.set(T0 + 4 * DAY + 10 * MINUTE);
    await call('session:unlock', { operator: OPERATOR, passphrase: PASS });

    for (const [name, [from, to]] of Object.entries(PERIODS) as Array<[keyof typeof PERIODS, readonly [string, string]]>) {
      reports[name] = { pdf: await call('report:generate', { from, to, format: 'pdf' }), csv: await call('report:generate', { from, to, format: 'csv' }) };
    }
  }, 120_000);
  afterAll(async () => {
    bench.release();
    c?.close();
    await emu?.close();
    removeTempDirs();
  });

  it('the PDF states each period\'s figures, read back with pdftotext -layout', () => {
    for (const [name, sections] of Object.entries(EXPECTED) as Array<[keyof typeof PERIODS, Record<string, Figures>]>) {
      const text = pdfText(work, Buffer.from(reports[name]!.pdf.content, 'base64'));
      expect(text).toContain(`${PERIODS[name][0]} to ${PERIODS[name][1]}`);
      for (const [id, figures] of Object.entries(sections)) {
        const section = sectionText(text, id);
        for (const [label, value] of Object.entries(figures)) {
          expect(section, `${name} / ${id} / ${label}`).toMatch(new RegExp(`^\\s*${escape(label)}\\s+${escape(value)}\\s*$`, 'm'));
        }
      }
    }
  });

  it('the PDF maps every section to its SOC 2 and ISO/IEC 27001:2022 controls, lists the keys and the waived approval', () => {
    const text = pdfText(work, Buffer.from(reports.whole!.pdf.content, 'base64'));
    for (const s of SECTIONS) {
      const section = sectionText(text, s.id);
      for (const control of s.controls) expect(section, `${s.heading}: ${control}`).toContain(`${control}:`);
    }
    const line = (needle: string) => text.split('\n').find((l) => l.includes(needle)) ?? '';
    expect(line(ids.disk!)).toMatch(/disk-old\s+storage\s+\S+\s+compromised\s+aws-primary\s+1\s+audit$/);
    expect(line(ids.sig!)).toMatch(/sig-dev\s+device_identity\s+\S+\s+suspended\s+local\s+1\s+audit$/);
    expect(line(ids.comm!)).toMatch(/fleet comm\s+communication\s+\S+\s+active\s+local\s+3\s+audit$/);
    expect(sectionText(text, 'operators')).toMatch(/approval\.waived\s+success\s+1\s*$/m);
    expect(sectionText(text, 'operators')).not.toContain('No approvals recorded in the period');
    expect(sectionText(pdfText(work, Buffer.from(reports.early!.pdf.content, 'base64')), 'operators')).toContain('No approvals recorded in the period');
    expect(text).toMatch(/page 1 of \d+/);
  });

  it('the CSV carries the same figures and mappings', () => {
    for (const [name, sections] of Object.entries(EXPECTED) as Array<[keyof typeof PERIODS, Record<string, Figures>]>) {
      const rows = parseCsv(Buffer.from(reports[name]!.csv.content, 'base64').toString('utf8'));
      expect(rows[0]).toEqual(['kind', 'section', 'table', 'item', 'field', 'value']);
      expect(rows.every((r) => r.length === 6)).toBe(true);
      expect(rows.filter((r) => r[0] === 'meta' && (r[4] === 'from' || r[4] === 'to')).map((r) => r[5])).toEqual([...PERIODS[name]]);
      for (const [id, figures] of Object.entries(sections)) {
        for (const [label, value] of Object.entries(figures)) {
          expect(rows.filter((r) => r[0] === 'summary' && r[1] === id && r[4] === label).map((r) => r[5]), `${name} / ${id} / ${label}`).toEqual([value]);
        }
      }
      const controls = rows.filter((r) => r[0] === 'control').map((r) => [r[1], `${r[3]} ${r[4]}`]);
      expect(controls).toEqual(SECTIONS.flatMap((s) => s.controls.map((cn) => [s.id, cn])));
    }
    const rows = parseCsv(Buffer.from(reports.whole!.csv.content, 'base64').toString('utf8'));
    const cellsOf = (table: string, match: string) => {
      const item = rows.find((r) => r[2] === table && r[5] === match)?.[3];
      return Object.fromEntries(rows.filter((r) => r[2] === table && r[3] === item).map((r) => [r[4], r[5]]));
    };
    expect(cellsOf('keys', ids.disk!)).toMatchObject({ Label: 'disk-old', State: 'compromised', Provider: 'aws-primary' });
    expect(cellsOf('usage', ids.uplink!)).toEqual({ 'Key id': ids.uplink, Version: '2', Used: '4', Limit: '5', Share: '80.0%', 'Limit reached': '' });
    // The late rotation of fleet comm (v2, due T0+2d+30min, run at T0+4d) under its 24 h policy.
    const jobs = rows.filter((r) => r[2] === 'jobs');
    const lateItem = jobs.find((r) => r[4] === 'Verdict' && r[5] === 'late')?.[3];
    expect(Object.fromEntries(jobs.filter((r) => r[3] === lateItem).map((r) => [r[4], r[5]]))).toEqual({
      'Key id': ids.comm, 'Policy now': 'every 24 h', 'From version': '2', Reason: 'schedule', Due: at(T0 + 2 * DAY + 30 * MINUTE), State: 'done', 'Late (h)': '47.5', Verdict: 'late',
    });
    expect(cellsOf('denied', 'keys:create')).toEqual({ Operator: VIEWER, Role: 'viewer', Channel: 'keys:create', Count: '1' });
  });

  it('the checkpoint heads the report lists are the chain\'s own (as an audit export carries them)', () => {
    const rows = parseCsv(Buffer.from(reports.whole!.csv.content, 'base64').toString('utf8')).filter((r) => r[2] === 'checkpoints');
    const listed = new Map<string, Record<string, string>>();
    for (const r of rows) listed.set(r[3]!, { ...listed.get(r[3]!), [r[4]!]: r[5]! });
    expect(listed.size).toBeGreaterThan(0);
    const exported = new Map(
      c.audit.exportJsonl().content.split('\n').filter((l) => l.startsWith('{"type":"checkpoint"')).map((l) => JSON.parse(l) as { seq: number; head: string }).map((cp) => [String(cp.seq), cp.head]),
    );
    for (const cp of listed.values()) expect(exported.get(cp.Record!), `checkpoint ${cp.Record}`).toBe(cp['Head (SHA-256)']);
  });

  it('the signature verifies with openssl under the audit key, and fails once one byte of the PDF changes', async () => {
    const r = reports.whole!.pdf;
    const pdf = Buffer.from(r.content, 'base64');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    writeFileSync(join(work, 'report.pdf'), pdf);
    writeFileSync(join(work, 'report.pdf.sig'), Buffer.from(r.signature, 'base64'));
    writeFileSync(join(work, 'audit-key.pem'), r.publicKeyPem);
    const verify = (file: string) => openssl(work, ['pkeyutl', '-verify', '-pubin', '-inkey', 'audit-key.pem', '-rawin', '-in', file, '-sigfile', 'report.pdf.sig']);
    expect(verify('report.pdf')).toMatchObject({ status: 0, out: expect.stringContaining('Signature Verified Successfully') });
    // The key is the console's audit key (the fingerprint the Audit screen shows) and the hash is the file's.
    const der = createPublicKey(r.publicKeyPem).export({ format: 'der', type: 'spki' });
    expect(createHash('sha256').update(der).digest('hex')).toBe((await call('audit:keyFingerprint', {})).fingerprint);
    expect(r.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
    for (const offset of [0, Math.floor(pdf.length / 2), pdf.length - 1]) {
      const changed = Buffer.from(pdf);
      changed[offset] = changed[offset]! ^ 0x01;
      writeFileSync(join(work, 'changed.pdf'), changed);
      expect(verify('changed.pdf'), `byte ${offset}`).toMatchObject({ status: 1, out: expect.stringContaining('Signature Verification Failure') });
    }
    // The CSV's signature too.
    writeFileSync(join(work, 'report.csv'), Buffer.from(reports.whole!.csv.content, 'base64'));
    writeFileSync(join(work, 'report.pdf.sig'), Buffer.from(reports.whole!.csv.signature, 'base64'));
    expect(verify('report.csv').status).toBe(0);
  });

  it('each report is audited as report.generate with its period, format and SHA-256', () => {
    const records = c.audit.query({ action: 'report.generate', limit: 50 }).records.filter((x) => x.outcome === 'success');
    expect(records).toHaveLength(6);
    expect(records.map((x) => x.details.sha256).sort()).toEqual(Object.values(reports).flatMap((x) => [x!.pdf.sha256, x!.csv.sha256]).sort());
    expect(records.every((x) => x.actor === OPERATOR)).toBe(true);
  });

  it('bad periods are refused with typed errors naming the field, and audited', async () => {
    const bad: Array<[string, string, string]> = [
      [at(T0 + DAY), at(T0), 'from'],
      ['yesterday', at(T0), 'from'],
      ['2026-01-01', '2026-02-30', 'to'],
      ['2026-01-01', '2026-03-01T10:00:00', 'to'],
    ];
    for (const [from, to, field] of bad) {
      const err = await failure(call('report:generate', { from, to, format: 'pdf' }));
      expect(err, `${from} .. ${to}`).toMatchObject({ code: 'invalid_input', details: { field } });
    }
    const failures = c.audit.query({ action: 'report.generate', limit: 50 }).records.filter((x) => x.outcome === 'failure');
    expect(failures.map((x) => x.details.code)).toEqual(['invalid_input', 'invalid_input', 'invalid_input', 'invalid_input']);
  });

  it('a date is a whole day in UTC: from its first to its last millisecond', async () => {
    const r = await call('report:generate', { from: '2026-03-01', to: '2026-03-01', format: 'csv' });
    expect([r.from, r.to]).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-01T23:59:59.999Z']);
    expect(r.fileName).toBe('ecps-compliance-2026-03-01-to-2026-03-01.csv');
  });
});
