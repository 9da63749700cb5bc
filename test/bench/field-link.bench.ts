// The field link's poll (docs/field-link.md; docs/benchmarks.md "Field link"): robots answered per second over mutual
// TLS 1.3 on 127.0.0.1, against a plain mutual-TLS 1.3 server measured in the same run that presents a certificate of
// the same fleet CA, asks for the robot's certificate and writes one line. Both sides: a fresh connection per poll (a
// robot polls, then hangs up), 8 robots polling at once, the same robot certificate (P-256, issued by the console's
// fleet CA) and server certificates from that CA. What the link adds per poll: its own check of the robot's
// certificate (chain to a trusted CA, validity at the console's clock, the CA's record and revocation, the registry
// record and status), the "is anything due" check, the contact record and its JSON status line. The registry, CA
// record and contact lookups are in memory here (a robot that is up to date), so this row measures the link's own
// work on top of the handshake, not SQLite. Target >= 0.8x: a handshake costs the server an ECDHE and an ECDSA
// signature (and the client's certificate verify), about a millisecond; the link's own checks add one ECDSA verify and
// a few lookups, a small fraction of that.
// Run: npm run bench -- field-link
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { createConsole } from '../../electron/app.ts';
import { silentLogger } from '../../electron/logger.ts';
import { createFieldLink, type FieldLink } from '../../electron/services/field/fieldLink.ts';
import type { FieldContactRepo } from '../../electron/store/fieldContactRepo.ts';
import { robotCsr } from '../integration/fleetca-kit.ts';
import type { BenchResult } from './types.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const CALLERS = 8;
const POLLS = Number(process.env.FIELD_BENCH_POLLS ?? 400);
const ROUNDS = Number(process.env.FIELD_BENCH_ROUNDS ?? 5);
const DEVICE = 'uv-bench-1';

/** One poll: connect with the robot's certificate, read the first line, hang up. Rejects unless `expect` is in it. */
function poll(port: number, cert: string, key: string, ca: string, expect: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, cert, key, ca, minVersion: 'TLSv1.3', checkServerIdentity: () => undefined });
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      if (!buf.includes('\n')) return;
      s.destroy();
      if (buf.includes(expect)) resolve();
      else reject(new Error(`unexpected answer: ${buf.trim()}`));
    });
    s.on('error', reject);
  });
}

async function throughput(port: number, cert: string, key: string, ca: string, expect: string): Promise<number> {
  let started = 0;
  const loop = async () => {
    while (started < POLLS) {
      started++;
      await poll(port, cert, key, ca, expect);
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CALLERS }, loop));
  return POLLS / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecps-bench-field-'));
  const c = await createConsole({ dataDir: path.join(dir, 'store'), kdf: KDF, logger: silentLogger, rotation: { scheduler: false } });
  let link: FieldLink | null = null;
  let plain: tls.Server | null = null;
  try {
    await c.handlers['session:init']({ operator: 'Bench Officer', passphrase: 'bench passphrase 0123' }, { transport: 'test' });
    const status = await c.handlers['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'Bench Field CA' }, { transport: 'test' });
    const caPem = status.certificatePem!;
    const ca = await c.ca.require();
    const issued = await ca.issueDeviceCertificate(robotCsr(dir, `/CN=${DEVICE}`, 'ec', 'robot'), { deviceId: DEVICE });
    const robotCert = issued.pem;
    const robotKey = readFileSync(path.join(dir, 'robot.key'), 'utf8');
    const serial = new X509Certificate(robotCert).serialNumber.toLowerCase();
    const contacts = new Map<string, number>();
    const contactRepo: FieldContactRepo = {
      record: (r) => void contacts.set(r.deviceId, (contacts.get(r.deviceId) ?? 0) + 1),
      setResult: () => undefined,
      get: () => null,
      list: () => [],
    };
    const session = { require: () => undefined as never, actor: () => 'Bench Officer' };
    link = createFieldLink({
      session,
      audit: c.audit,
      clock: { now: () => Date.now() },
      logger: silentLogger,
      ca: () => c.ca.require(),
      trustedCas: () => [{ caId: 'bench-ca', pem: caPem }],
      caCertificate: (_caId, s) => (s === serial ? { deviceId: DEVICE, revokedAt: null } : null),
      fleetRepo: {
        get: (id) => (id === DEVICE ? ({ deviceId: DEVICE, status: 'deployed' } as never) : null),
        certificatesOf: () => [],
      },
      contacts: contactRepo,
      due: () => false,
      distribution: () => {
        throw new Error('nothing is due in this benchmark');
      },
      stepTimeoutMs: 10_000,
      currentCaId: () => 'bench-ca',
      renewCheckMs: null,
    });
    const started = await link.start({ host: '127.0.0.1', port: 0 });

    // The baseline: a mutual-TLS server with its own certificate from the same CA, one line per connection.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const serverCert = await ca.issueServerCertificate(publicKey.export({ format: 'der', type: 'spki' }), { hosts: ['127.0.0.1'], validityDays: 1 });
    plain = tls.createServer({ key: privateKey.export({ format: 'pem', type: 'pkcs8' }), cert: serverCert.pem, ca: [caPem], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (s: TLSSocket) => {
      s.on('error', () => undefined);
      s.end('{"v":1,"result":"up_to_date"}\n');
    });
    await new Promise<void>((r) => plain!.listen(0, '127.0.0.1', r));
    const plainPort = (plain.address() as { port: number }).port;

    const sides = {
      link: () => throughput(started.port!, robotCert, robotKey, caPem, '"up_to_date"'),
      plain: () => throughput(plainPort, robotCert, robotKey, caPem, '"up_to_date"'),
    };
    await sides.link();
    await sides.plain();
    const best = { link: 0, plain: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['link', 'plain'] as const) : (['plain', 'link'] as const);
      for (const n of order) best[n] = Math.max(best[n], await sides[n]());
    }
    const polled = contacts.get(DEVICE) ?? 0;
    if (polled < POLLS * (ROUNDS + 1)) throw new Error(`the link recorded ${polled} polls, fewer than it answered`);
    const ratio = best.link / best.plain;
    return [
      {
        name: `field link poll (mutual TLS 1.3, robot up to date), ${CALLERS} robots at once: link vs plain mutual-TLS server`,
        unit: 'polls/s',
        baseline: best.plain,
        measured: best.link,
        ratio,
        target: '>= 0.8x a plain mutual-TLS 1.3 handshake and one line',
        pass: ratio >= 0.8,
        note: `best of ${ROUNDS} interleaved rounds of ${POLLS}; P-256 certificates of the console's fleet CA on both sides; registry and contact lookups in memory; load average ${os.loadavg()[0]!.toFixed(1)}`,
      },
    ];
  } finally {
    await link?.stop();
    await new Promise<void>((r) => (plain ? plain.close(() => r()) : r()));
    c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
