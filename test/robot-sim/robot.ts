// Robot simulator: node test/robot-sim/robot.ts --port /dev/pts/N --device-id R --keystore DIR --ca-cert CA.pem
//   or: node test/robot-sim/robot.ts --install-bundle FILE --device-id R --keystore DIR --ca-cert CA.pem (installBundle.ts)
//   or: node test/robot-sim/robot.ts --apply-order FILE [--emergency-key PEM] --device-id R --keystore DIR
//         (lockdown.ts; without --emergency-key, the one stored at provisioning or by a bundle)
//   or: node test/robot-sim/robot.ts --apply-crl FILE --keystore DIR --ca-cert CA.pem  (a CRL from a USB stick, DER: kept
//         when a trusted CA signed it and its number is above the one held of that CA; caTrust.ts)
//   or: node test/robot-sim/robot.ts --operate --keystore DIR  (refused with locked_down under a stop_operating order;
//         distrustedCas: the CA key ids accepted distrust_ca orders named, when there are any, as --apply-order shows them)
//   or: node test/robot-sim/robot.ts --check-peer SERIAL --keystore DIR  (refused with peer_revoked when a CRL held lists it)
//   or: node test/robot-sim/robot.ts --check-peer-cert PEM --keystore DIR --ca-cert CA.pem  (a peer's certificate: refused
//         with peer_untrusted unless a trusted CA issued it, the factory one or a successor it endorsed (reissue.ts), and
//         with peer_ca_distrusted when its issuer is a CA an accepted distrust_ca order named (distrust.ts), and with
//         peer_revoked when the CRL held of its issuer lists it)
//   or: node test/robot-sim/robot.ts --field HOST:PORT --device-id R --keystore DIR --ca-cert CA.pem  (one poll of the
//         field link over mutual TLS with the certificate from provisioning, fieldClient.ts; exit 0 unless refused or failed)
//   [--site S] [--model M] [--firmware F] [--tags a,b]: what the robot knows of itself, to check an order's scope (on the
//   link, in a bundle and from a file); a site, model or tags not given are unknown. [--now ISO]: the robot's clock for
//   order checks (a robot whose clock runs ahead; default the real time).
//   [--key-type ec|rsa] [--misbehave corrupt-frame|stall|drop|forged-csr|wrong-nonce-key|replay|wrong-id|bad-confirm|bad-install-mac|forged-ack|replay-ack|reissue-other-key|reissue-bad-signature|reissue-forged-renewed]
//   [--timeout-ms N] [--think-ms N] [--wait-signal]
//   [--one-frame-bundles]: plays an older firmware whose HELLO announces no BUNDLE_CHUNK frames (one-frame bundles only)
//   [--max-chunked-item BYTES]: the largest chunked item the robot takes, announced in its HELLO (without it: none
//   announced, 2 MiB taken, as a firmware of before the field)
// On the link the console decides the session: CHALLENGE = provisioning, BUNDLE = key bundle installation (after a
// RENEW: a certificate re-issue, reissue.ts).
// Prints one JSON line with the result on stdout; exit code 0 when provisioned or the bundle is installed.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import { pollForEveryWaiter } from '../../electron/station/serialPoller.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { installBundle } from './installBundle.ts';
import { pollField } from './fieldClient.ts';
import { applyCrl, checkPeer } from './caTrust.ts';
import { applyLockdownOrder, operate } from './lockdown.ts';
import { checkPeerCertificate, trustedCaPems } from './reissue.ts';
import { MISBEHAVIOURS, runRobot, warmUp, type Misbehaviour } from './robotSession.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'device-id': { type: 'string' },
    keystore: { type: 'string' },
    'ca-cert': { type: 'string' },
    'key-type': { type: 'string', default: 'ec' },
    misbehave: { type: 'string' },
    firmware: { type: 'string', default: 'sim-1.0.0' },
    'timeout-ms': { type: 'string', default: '10000' },
    baud: { type: 'string', default: '115200' },
    'think-ms': { type: 'string', default: '0' },
    'wait-signal': { type: 'boolean', default: false },
    'one-frame-bundles': { type: 'boolean', default: false },
    'max-chunked-item': { type: 'string' },
    'install-bundle': { type: 'string' },
    'apply-order': { type: 'string' },
    'apply-crl': { type: 'string' },
    'emergency-key': { type: 'string' },
    site: { type: 'string' },
    model: { type: 'string' },
    tags: { type: 'string' },
    operate: { type: 'boolean', default: false },
    'check-peer': { type: 'string' },
    'check-peer-cert': { type: 'string' },
    now: { type: 'string' },
    field: { type: 'string' },
  },
});
const need = (k: 'port' | 'device-id' | 'keystore' | 'ca-cert' | 'emergency-key'): string => {
  const v = values[k];
  if (!v) {
    process.stderr.write(`missing --${k}\n`);
    process.exit(2);
  }
  return v;
};
const misbehave = values.misbehave;
if (misbehave !== undefined && !(MISBEHAVIOURS as readonly string[]).includes(misbehave)) {
  process.stderr.write(`unknown --misbehave ${misbehave}\n`);
  process.exit(2);
}
/** One JSON line and an exit code: the offline commands (a file from a USB stick, a question to the robot). */
function answer(fn: () => object): never {
  try {
    process.stdout.write(JSON.stringify({ ok: true, ...fn() }) + '\n');
    process.exit(0);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'internal';
    process.stdout.write(JSON.stringify({ ok: false, code, message: e instanceof Error ? e.message : String(e) }) + '\n');
    process.exit(1);
  }
}
// The robot always knows its firmware (--firmware, default sim-1.0.0, as it reports at provisioning).
const now = values.now === undefined ? undefined : new Date(values.now);
if (now !== undefined && Number.isNaN(now.getTime())) {
  process.stderr.write('--now must be an ISO-8601 time\n');
  process.exit(2);
}
const facts = { site: values.site ?? null, model: values.model ?? null, tags: values.tags === undefined ? null : values.tags.split(',').filter((t) => t !== '') };
const orderFile = values['apply-order'];
if (orderFile !== undefined) {
  const emergencyKey = values['emergency-key'];
  answer(() => {
    const { order, state } = applyLockdownOrder({
      keystore: need('keystore'), facts: { deviceId: need('device-id'), firmware: values.firmware ?? null, ...facts },
      ...(emergencyKey === undefined ? {} : { emergencyKeyPem: readFileSync(emergencyKey, 'utf8') }), file: readFileSync(orderFile), now: now ?? new Date(),
    });
    return { kind: order.kind, sequence: order.sequence, locked: state.locked !== null, ...(state.distrustedCas !== undefined && state.distrustedCas.length > 0 ? { distrustedCas: state.distrustedCas } : {}) };
  });
}
const crlFile = values['apply-crl'];
if (crlFile !== undefined) answer(() => applyCrl({ keystore: need('keystore'), caCertPem: readFileSync(need('ca-cert'), 'utf8'), der: readFileSync(crlFile) }));
/** A question to the robot: one JSON line, exit code 0 when it says yes. */
function reply(r: { ok: boolean }): never {
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(r.ok ? 0 : 1);
}
if (values.operate) reply(operate(need('keystore'), now ?? new Date()));
const peer = values['check-peer'];
if (peer !== undefined) reply(checkPeer(need('keystore'), peer));
const peerCert = values['check-peer-cert'];
if (peerCert !== undefined) reply(checkPeerCertificate(need('keystore'), readFileSync(need('ca-cert'), 'utf8'), readFileSync(peerCert, 'utf8'), now ?? new Date()));
const bundleFile = values['install-bundle'];
if (bundleFile !== undefined) {
  const o = { keystore: need('keystore'), deviceId: need('device-id'), caCertPem: trustedCaPems(need('keystore'), readFileSync(need('ca-cert'), 'utf8')), file: readFileSync(bundleFile), ...(now ? { now } : {}), facts: { deviceId: need('device-id'), firmware: values.firmware ?? null, ...facts } };
  answer(() => installBundle(o));
}
const field = values.field;
if (field !== undefined) {
  const m = /^(.+):(\d{1,5})$/.exec(field);
  if (!m) {
    process.stderr.write('--field must be HOST:PORT\n');
    process.exit(2);
  }
  const out = await pollField({
    host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), deviceId: need('device-id'), keystore: need('keystore'), caCertPem: readFileSync(need('ca-cert'), 'utf8'),
    firmware: values.firmware ?? 'sim-1.0.0', stepTimeoutMs: Number(values['timeout-ms']), facts, ...(now ? { now } : {}),
  });
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(out.ok && (out.result === 'up_to_date' || out.robot.ok) ? 0 : 1);
}
const portPath = need('port');
const port = new SerialPort({ path: portPath, baudRate: Number(values.baud), autoOpen: false });
await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
// As the console's ports: keep reading while a write waits (electron/station/serialPoller.ts).
pollForEveryWaiter(port);
const channel = new FrameChannel(port, undefined, { probeIntervalMs: 250 });
if (values['wait-signal']) {
  // Booted (crypto paths warmed, as compiled firmware needs no warm-up) and attached: announce it, then wait for the
  // "power on" signal before saying HELLO.
  // The CA file is read only when the session needs it: a console may create the CA after the robot is attached.
  await warmUp({ deviceId: need('device-id'), keyType: values['key-type'] === 'rsa' ? 'rsa' : 'ec' });
  const start = new Promise<void>((resolve) => process.once('SIGUSR1', () => resolve()));
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  await start;
}
const maxChunkedItem = values['max-chunked-item'] === undefined ? undefined : Number(values['max-chunked-item']);
if (maxChunkedItem !== undefined && !(Number.isInteger(maxChunkedItem) && maxChunkedItem >= 1 && maxChunkedItem <= 0xffffffff)) {
  process.stderr.write('--max-chunked-item must be a whole number of bytes, 1 to 4294967295\n');
  process.exit(2);
}
const result = await runRobot(channel, {
  deviceId: need('device-id'),
  keystore: need('keystore'),
  caCertPem: readFileSync(need('ca-cert'), 'utf8'),
  keyType: values['key-type'] === 'rsa' ? 'rsa' : 'ec',
  firmware: values.firmware ?? 'sim-1.0.0',
  misbehave: misbehave as Misbehaviour | undefined,
  stepTimeoutMs: Number(values['timeout-ms']),
  thinkMs: Number(values['think-ms']),
  oneFrameBundles: values['one-frame-bundles'] ?? false,
  ...(maxChunkedItem === undefined ? {} : { maxChunkedItem }),
  facts,
  ...(now ? { now } : {}),
});
process.stdout.write(JSON.stringify(result) + '\n');
channel.detach();
await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
process.exit(result.ok ? 0 : 1);
