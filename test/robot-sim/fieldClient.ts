// The simulator's side of the field link (docs/field-link.md): one poll over mutual TLS. The robot connects with its
// fleet certificate and identity key (identity.cert.pem / identity.key.pem in its key store, from provisioning),
// checks the console's server certificate against the fleet CAs it trusts (the one it was provisioned with and every
// successor it learnt endorsed, caTrust.ts; and the host name or address it dialled), reads the console's status line, and when the console opens a session runs the same robot side as on
// a station's serial link (robotSession.ts runRobot: ORDER frames, the BUNDLE, the INSTALLED proof) over the TLS stream.
// A console certificate issued by a CA an accepted lockdown order distrusted is refused before the status line
// (peer_ca_distrusted, distrust.ts). `identity: 'none'` connects without a certificate; `identity: {certPem, keyPem}` with another one (a foreign robot).
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import type { FieldGreeting } from '../../electron/services/field/fieldLink.ts';
import { tlsByteLink } from '../../electron/services/field/fieldLink.ts';
import { FrameChannel } from '../../electron/station/transport.ts';
import { trustedCaPems } from './caTrust.ts';
import { caKeyIdOf, distrustedBecause, isDistrusted } from './distrust.ts';
import { runRobot, type Misbehaviour, type RobotOptions, type RobotResult } from './robotSession.ts';

export interface FieldPollOptions extends Omit<RobotOptions, 'keyType' | 'misbehave'> {
  /** Of the misbehaviours, the re-issue's (a session over the link re-issues as a station does). */
  misbehave?: Extract<Misbehaviour, 'reissue-other-key' | 'reissue-bad-signature' | 'reissue-forged-renewed'>;
  host: string;
  port: number;
  /** The robot's own certificate (default), none, or another one. */
  identity?: 'own' | 'none' | { certPem: string; keyPem: string };
}

export type FieldPollResult =
  | { ok: true; result: 'up_to_date' }
  | { ok: true; result: 'session'; robot: RobotResult }
  | { ok: false; code: string; message: string };

function credentials(o: FieldPollOptions): { cert?: string; key?: string } {
  if (o.identity === 'none') return {};
  if (o.identity !== undefined && o.identity !== 'own') return { cert: o.identity.certPem, key: o.identity.keyPem };
  const certFile = path.join(o.keystore, 'identity.cert.pem');
  if (!existsSync(certFile)) return {};
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(path.join(o.keystore, 'identity.key.pem'), 'utf8') };
}

/** Reads the console's first line and pauses the stream, so the frame channel attached next loses no byte. */
function readGreeting(s: TLSSocket, timeoutMs: number): Promise<FieldGreeting> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error('the console sent no status line')), timeoutMs);
    const done = (err: Error | null, g?: FieldGreeting) => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) reject(err);
      else resolve(g!);
    };
    const onClose = () => done(new Error('the console closed the connection before its status line'));
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      s.pause();
      const rest = buf.subarray(nl + 1);
      if (rest.length > 0) s.unshift(rest);
      try {
        done(null, JSON.parse(buf.subarray(0, nl).toString('utf8')) as FieldGreeting);
      } catch (e) {
        done(e as Error);
      }
    };
    s.on('data', onData);
    s.on('close', onClose);
  });
}

/** The key id of the distrusted CA that issued the console's certificate (distrust.ts), or null. */
function distrustedIssuer(o: FieldPollOptions, socket: TLSSocket): string | null {
  const server = socket.getPeerX509Certificate();
  if (server === undefined) return null;
  const issuer = trustedCaPems(o.keystore, o.caCertPem).find((pem) => { const ca = new X509Certificate(pem); return server.checkIssued(ca) && server.verify(ca.publicKey); });
  if (issuer === undefined) return null;
  const id = caKeyIdOf(issuer);
  return isDistrusted(o.keystore, id) ? id : null;
}

export async function pollField(o: FieldPollOptions): Promise<FieldPollResult> {
  let socket: TLSSocket | undefined;
  try {
    socket = await new Promise<TLSSocket>((resolve, reject) => {
      // The CAs the robot trusts (caTrust.ts): the factory one and every successor it learnt endorsed.
      const s = tls.connect({ host: o.host, port: o.port, ca: trustedCaPems(o.keystore, o.caCertPem), ...credentials(o), minVersion: 'TLSv1.3' }, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('error', () => undefined);
    // The console's server certificate is a peer like any other: not one a CA this robot was told to distrust issued.
    const distrusted = distrustedIssuer(o, socket);
    if (distrusted !== null) return { ok: false, code: 'peer_ca_distrusted', message: `the console's certificate is issued by ${distrustedBecause(distrusted)}` };
    const greeting = await readGreeting(socket, o.stepTimeoutMs);
    if (greeting.result === 'refused') return { ok: false, code: greeting.code, message: greeting.message };
    if (greeting.result === 'up_to_date') return { ok: true, result: 'up_to_date' };
    const channel = new FrameChannel(tlsByteLink(socket));
    socket.resume();
    const robot = await runRobot(channel, { ...o, keyType: 'ec' });
    return { ok: true, result: 'session', robot };
  } catch (e) {
    const code = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : 'field_failed';
    return { ok: false, code, message: e instanceof Error ? e.message : String(e) };
  } finally {
    socket?.end();
  }
}
