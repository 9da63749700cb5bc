// The simulator's side of a certificate re-issue after a CA replacement (RENEW -> CSR -> CERT -> RENEWED, spec:
// docs/provisioning-protocol.md, "Re-issue after a CA replacement"), with the CA trust it keeps (caTrust.ts: the
// factory CA and every CA certificate a CA it trusts endorsed). The robot checks the endorsement before answering
// (bundle.ts checkCaEndorsement, as for a bundle that carries one), makes its CSR with the identity key it already holds, and
// stores the new certificate only once it chains to the endorsed CA and carries its own key. Peer checks
// (--check-peer-cert) accept a certificate of any trusted CA that no accepted lockdown order distrusted (distrust.ts):
// a RENEW whose new CA certificate a distrusted CA endorsed is refused (ca_distrusted), and so is a peer it issued
// (peer_ca_distrusted).
import 'reflect-metadata';
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { BundleError, checkCaEndorsement } from '../../electron/station/bundle.ts';
import { signWithIdentity } from '../../electron/station/csr.ts';
import { StationError } from '../../electron/station/errors.ts';
import { MessageType, encodeFrame } from '../../electron/station/frame.ts';
import {
  RENEW_SEQ, decodeCert, decodeError, decodeRenew, encodeCsr, encodeRenewed, reissueSignatureInput, renewedSignatureInput,
} from '../../electron/station/protocol.ts';
import type { FrameChannel, Received } from '../../electron/station/transport.ts';
import { addTrustedCa, checkPeerOfIssuer, compromisedCaPems, trustedCaPems } from './caTrust.ts';
import { CaDistrustedError, caKeyIdOf, distrustedBecause, isDistrusted } from './distrust.ts';

export { trustedCaPems };

export interface ReissueRobot {
  deviceId: string;
  keystore: string;
  caCertPem: string;
  misbehave?: string | undefined;
  stepTimeoutMs: number;
}

/**
 * Answers a RENEW frame. Refusals (the robot's ERROR code): certificate_rejected (no trusted CA endorsed the new CA
 * certificate, or the CERT does not chain to the endorsed CA or is not for this key), not_provisioned (no identity key). Misbehaviours: reissue-other-key (a CSR for a fresh key, the session signed with it),
 * reissue-bad-signature (the session signature made with another key than the CSR's), reissue-forged-renewed (the
 * certificate is taken, but RENEWED is signed with another key: the console refuses it after it issued the certificate).
 */
export async function answerRenew(ch: FrameChannel, o: ReissueRobot, robotNonce: Buffer, renewFrame: Received, verifyChain: (certDer: Buffer, chainDer: Buffer[], caCertPem: string, publicKey: KeyObject, deviceId: string) => void): Promise<void> {
  const renew = decodeRenew(renewFrame.frame.payload);
  // Before the endorsement is checked: a distrusted CA's word on a new CA is worth nothing (nothing is written).
  if (isDistrusted(o.keystore, renew.endorserKeyId)) {
    throw new CaDistrustedError(renew.endorserKeyId, `the new CA certificate is endorsed by ${distrustedBecause(renew.endorserKeyId)}`, false);
  }
  const toX509 = (pems: string[]) => pems.map((pem) => new X509Certificate(pem));
  let newCa: X509Certificate;
  try {
    newCa = checkCaEndorsement(renew, { trusted: toX509(trustedCaPems(o.keystore, o.caCertPem)), compromised: toX509(compromisedCaPems(o.keystore, o.caCertPem)) });
  } catch (e) {
    if (e instanceof BundleError) throw new StationError('certificate_rejected', e.message);
    throw e;
  }
  const keyFile = path.join(o.keystore, 'identity.key.pem');
  if (!existsSync(keyFile)) throw new StationError('not_provisioned', 'this robot holds no identity key: it was never provisioned');
  const identity = createPrivateKey(readFileSync(keyFile));
  const csrKey = o.misbehave === 'reissue-other-key' ? await freshKeyLike(identity) : identity;
  const csrDer = await makeCsr(csrKey, o.deviceId);
  const sessionKey = o.misbehave === 'reissue-bad-signature' ? await freshKeyLike(identity) : csrKey;
  const nonceSignature = signWithIdentity(sessionKey, reissueSignatureInput(o.deviceId, robotNonce, renew.consoleNonce, csrDer, renew.caCertDer));
  await ch.send({ type: MessageType.CSR, seq: RENEW_SEQ.CSR, payload: encodeCsr({ robotNonce, consoleNonce: renew.consoleNonce, csrDer, nonceSignature }) });

  const got = await ch.receive(o.stepTimeoutMs, 'the re-issued CERT');
  if (got.frame.type === MessageType.ERROR) throw new StationError('robot_error', `console reported ${decodeError(got.frame.payload).code}`);
  if (got.frame.type !== MessageType.CERT || got.frame.seq !== RENEW_SEQ.CERT) throw new StationError('unexpected_message', `unexpected frame type ${got.frame.type} seq ${got.frame.seq}`);
  const cert = decodeCert(got.frame.payload);
  // The certificate must chain to the endorsed CA (not merely to one the chain names) and carry this robot's own key.
  verifyChain(cert.certDer, cert.chainDer, newCa.toString(), createPublicKey(identity), o.deviceId);
  writeFileSync(path.join(o.keystore, 'identity.cert.pem.tmp'), new X509Certificate(cert.certDer).toString());
  renameSync(path.join(o.keystore, 'identity.cert.pem.tmp'), path.join(o.keystore, 'identity.cert.pem'));
  addTrustedCa(o.keystore, o.caCertPem, newCa.toString());
  const renewedKey = o.misbehave === 'reissue-forged-renewed' ? await freshKeyLike(identity) : identity;
  const signature = signWithIdentity(renewedKey, renewedSignatureInput(o.deviceId, robotNonce, renew.consoleNonce, cert.certDer));
  await ch.sendRaw(encodeFrame({ type: MessageType.RENEWED, seq: RENEW_SEQ.RENEWED, payload: encodeRenewed({ signature }) }));
}

async function freshKeyLike(key: KeyObject): Promise<KeyObject> {
  const { generateKeyPairSync } = await import('node:crypto');
  return key.asymmetricKeyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

/** A PKCS#10 CSR for `CN=deviceId` made with an existing key pair (the identity key a robot keeps across CAs). */
async function makeCsr(privateKey: KeyObject, deviceId: string): Promise<Buffer> {
  const rsa = privateKey.asymmetricKeyType === 'rsa';
  const alg = rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = { privateKey: privateKey.toCryptoKey(alg, false, ['sign']), publicKey: createPublicKey(privateKey).toCryptoKey(alg, true, ['verify']) };
  return Buffer.from((await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${deviceId}`, keys, signingAlgorithm: alg })).rawData);
}

/**
 * Whether the robot talks to a peer presenting this certificate: it must be issued by a CA the robot trusts (the
 * factory CA or an endorsed successor) that no accepted lockdown order distrusted, valid now, and not on the CRL the
 * robot holds of that issuer.
 */
export function checkPeerCertificate(keystore: string, factoryCaPem: string, certPem: string, now: Date): { ok: true } | { ok: false; code: 'peer_untrusted' | 'peer_ca_distrusted' | 'peer_revoked'; message: string } {
  const cert = new X509Certificate(certPem);
  const issuer = trustedCaPems(keystore, factoryCaPem).find((pem) => { const ca = new X509Certificate(pem); return cert.checkIssued(ca) && cert.verify(ca.publicKey); });
  if (issuer === undefined) return { ok: false, code: 'peer_untrusted', message: 'the peer certificate is not issued by a CA this robot trusts' };
  const issuerKeyId = caKeyIdOf(issuer);
  if (isDistrusted(keystore, issuerKeyId)) return { ok: false, code: 'peer_ca_distrusted', message: `the peer certificate is issued by ${distrustedBecause(issuerKeyId)}` };
  if (Date.parse(cert.validFrom) > now.getTime() || Date.parse(cert.validTo) < now.getTime()) return { ok: false, code: 'peer_untrusted', message: 'the peer certificate is not valid now' };
  return checkPeerOfIssuer(keystore, factoryCaPem, issuer, cert.serialNumber);
}
