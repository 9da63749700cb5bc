// The simulator's side of the distrust_ca action (docs/lockdown-orders.md, "Version 2" and "A distrusted CA on the
// robot"): a v2 lockdown order the robot accepted (lockdown.ts) adds CA key ids (SHA-256 hex of the CA certificate's
// SubjectPublicKeyInfo DER, as a bundle's signerKeyId) to `distrustedCas` in lockdown-state.json, and from then on the
// robot refuses whatever such a CA signs: a peer certificate (reissue.ts checkPeerCertificate: peer_ca_distrusted), a
// CRL (caTrust.ts applyCrl: crl_foreign), an endorsement of a new CA certificate (RENEW, reissue.ts; a v3+ bundle's
// caEndorsement) and a key bundle (installBundle.ts): CaDistrustedError, code ca_distrusted (bundle_ca_distrusted over
// the serial link). The state file is read here (lockdown.ts writes it) so that caTrust.ts needs no import of
// lockdown.ts, which imports it. Only re-provisioning ends the distrust (endDistrust, at a completed provisioning).
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distrustsCa, UNLOCKED, type RobotLockdownState } from '../../electron/services/emergency/lockdownOrder.ts';
import { signerKeyId } from '../../electron/station/bundle.ts';

export const lockdownStateFile = (keystore: string) => path.join(keystore, 'lockdown-state.json');

/** The robot's lockdown state: UNLOCKED when it never accepted an order. */
export function lockdownState(keystore: string): RobotLockdownState {
  const f = lockdownStateFile(keystore);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RobotLockdownState) : UNLOCKED;
}

/**
 * Re-provisioning ends the distrust (the robot starts again from the CA it was provisioned with): a completed
 * provisioning session drops `distrustedCas` from lockdown-state.json (one atomic write), keeping the rest (the last
 * order sequence, so no older order can be replayed, and any standing lockdown).
 */
export function endDistrust(keystore: string): void {
  const { distrustedCas, ...rest } = lockdownState(keystore);
  if (distrustedCas === undefined) return;
  const f = lockdownStateFile(keystore);
  writeFileSync(`${f}.tmp`, JSON.stringify(rest), { mode: 0o600 });
  renameSync(`${f}.tmp`, f);
}

/** A CA certificate's key id as orders name it (and CRL files and bundles): SHA-256 (hex) of its SubjectPublicKeyInfo DER. */
export const caKeyIdOf = (caPem: string): string => signerKeyId(new X509Certificate(caPem).publicKey);

/** Whether an accepted distrust_ca order named the CA with this key id. */
export const isDistrusted = (keystore: string, caKeyId: string): boolean => distrustsCa(lockdownState(keystore), caKeyId);

/** The end of every refusal message: which CA, and why the robot no longer takes it. */
export const distrustedBecause = (caKeyId: string) => `CA ${caKeyId}, which a lockdown order (distrust_ca) told this robot to distrust`;

/**
 * A refusal of an endorsement or a key bundle of a distrusted CA; nothing was written. `inBundle`: refused while
 * installing a key bundle, so the serial link's ERROR reads bundle_ca_distrusted, as other bundle refusals read
 * bundle_<code>; a RENEW's refusal reads ca_distrusted.
 */
export class CaDistrustedError extends Error {
  readonly code = 'ca_distrusted' as const;
  readonly caKeyId: string;
  readonly inBundle: boolean;
  constructor(caKeyId: string, message: string, inBundle: boolean) {
    super(message);
    this.name = 'CaDistrustedError';
    this.caKeyId = caKeyId;
    this.inBundle = inBundle;
  }
}

/** What a key bundle file says of its signer and its endorser, read before anything is checked; null when it does not parse (verifyBundle refuses it then). */
function bundleClaims(file: Buffer): { signerKeyId: string; endorserKeyId: string | null } | null {
  try {
    const outer = JSON.parse(file.toString('utf8')) as { body?: unknown };
    if (typeof outer.body !== 'string') return null;
    const body = JSON.parse(Buffer.from(outer.body, 'base64').toString('utf8')) as { signerKeyId?: unknown; caEndorsement?: { endorserKeyId?: unknown } | null };
    if (typeof body.signerKeyId !== 'string') return null;
    const endorser = body.caEndorsement?.endorserKeyId;
    return { signerKeyId: body.signerKeyId, endorserKeyId: typeof endorser === 'string' ? endorser : null };
  } catch {
    return null;
  }
}

/**
 * Refuses a key bundle before anything of it is checked, unwrapped or written: signed by a distrusted CA (a bundle can
 * carry a new emergency key: a compromised CA must not replace the key that signs lift orders), or signed by a CA the
 * robot does not trust yet whose certificate it carries endorsed by a distrusted CA (the endorsement would be the only
 * reason to take it). `trustedPems`: the CAs the robot trusts (an endorsement is not needed for their bundles).
 */
export function refuseDistrustedBundle(keystore: string, trustedPems: readonly string[], file: Buffer): void {
  const claims = bundleClaims(file);
  if (claims === null) return;
  if (isDistrusted(keystore, claims.signerKeyId)) {
    throw new CaDistrustedError(claims.signerKeyId, `the key bundle is signed by ${distrustedBecause(claims.signerKeyId)}: nothing installed`, true);
  }
  const signerTrusted = trustedPems.some((pem) => caKeyIdOf(pem) === claims.signerKeyId);
  if (!signerTrusted && claims.endorserKeyId !== null && isDistrusted(keystore, claims.endorserKeyId)) {
    throw new CaDistrustedError(claims.endorserKeyId, `the key bundle's new CA certificate is endorsed by ${distrustedBecause(claims.endorserKeyId)}: nothing installed`, true);
  }
}
