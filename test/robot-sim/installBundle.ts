// The simulator's key store side of field key distribution: verifies a bundle file (electron/station/bundle.ts)
// with the CA certificate received at provisioning and the robot's identity key, then installs every key and the
// new sequence in one atomic write of keys.json + bundle-state.json (all or nothing; nothing written on refusal).
// Used by `robot.ts --install-bundle FILE` (USB stick) and by robotSession.ts when a BUNDLE frame arrives (serial).
// A v2 bundle's emergency material is applied after the keys, with the checks of the other deliveries (lockdown.ts):
// the emergency key it names becomes the trusted one (the bundle is signed by the fleet CA), then each order, then the
// CRL; a refused order or CRL is reported in `items` and does not undo the keys. A v3 bundle signed by a CA the robot
// does not trust yet carries that CA's certificate endorsed by the robot's (retired) CA: once the bundle verified and
// its keys are installed, the robot trusts the new CA (caTrust.ts), so the bundle's CRL of the new CA is then accepted.
// A v4 bundle carries several CRLs (crls[]): each is applied to the slot of the CA that signed it, in the bundle's order.
// A bundle signed by a CA that an accepted lockdown order distrusted, or that needs an endorsement by one, is refused
// before anything of it is checked or written (distrust.ts: CaDistrustedError, ca_distrusted): such a bundle could
// otherwise replace the emergency key that signs lift orders.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RobotFacts } from '../../electron/services/emergency/lockdownOrder.ts';
import { bundleEmergency, signerKeyId, verifyBundle, type VerifiedBundle } from '../../electron/station/bundle.ts';
import { addTrustedCa, compromisedCaPems } from './caTrust.ts';
import { refuseDistrustedBundle } from './distrust.ts';
import { receiveItem, storeEmergencyKey } from './lockdown.ts';

export interface InstallResult {
  bundleId: string;
  sequence: number;
  installed: Array<{ keyId: string; version: number }>;
  /** The CA the robot trusts from this bundle on (a v3 bundle's endorsed signer; its signerKeyId), or null. */
  trustedCa: string | null;
  /** The emergency material's outcome (v2 bundles): whether an emergency key was stored, each order's and the CRL's result. */
  emergency?: { emergencyKey: boolean; items: Array<{ kind: 'order' | 'crl'; result: string }> };
}

export function lastSequence(keystore: string): number {
  const f = path.join(keystore, 'bundle-state.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { lastSequence: number }).lastSequence : 0;
}

function writeAtomic(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * `onVerified` sees the verified bundle (with its unwrapped key material) before the material is zeroed: the serial
 * link's key confirmation (Kb) is derived there.
 */
export function installBundle(o: { keystore: string; deviceId: string; caCertPem: string | readonly string[]; file: Buffer; facts?: RobotFacts; now?: Date }, onVerified?: (v: VerifiedBundle) => void): InstallResult {
  const trustedPems = typeof o.caCertPem === 'string' ? [o.caCertPem] : o.caCertPem;
  refuseDistrustedBundle(o.keystore, trustedPems, o.file);
  const identityPrivateKey = createPrivateKey(readFileSync(path.join(o.keystore, 'identity.key.pem')));
  const factoryCaPem = trustedPems[0]!;
  const compromisedCaPem = compromisedCaPems(o.keystore, factoryCaPem);
  const v = verifyBundle(o.file, { caCertPem: o.caCertPem, compromisedCaPem, deviceId: o.deviceId, identityPrivateKey, lastSequence: lastSequence(o.keystore) });
  const keysFile = path.join(o.keystore, 'keys.json');
  const current = existsSync(keysFile) ? (JSON.parse(readFileSync(keysFile, 'utf8')) as Array<{ keyId: string; version: number; material: string }>) : [];
  const kept = current.filter((k) => !v.keys.some((n) => n.keyId === k.keyId && n.version === k.version));
  const next = [...kept, ...v.keys.map((k) => ({ keyId: k.keyId, version: k.version, material: k.material.toString('base64') }))];
  try {
    onVerified?.(v);
  } finally {
    for (const k of v.keys) k.material.fill(0);
  }
  // Keys first, then the sequence: a crash between the two leaves the keys installed and the bundle re-installable.
  writeAtomic(keysFile, JSON.stringify(next));
  writeAtomic(path.join(o.keystore, 'bundle-state.json'), JSON.stringify({ lastSequence: v.body.sequence, bundleId: v.body.bundleId }));
  // The endorsed signer is trusted once its bundle is installed (a refused bundle changes nothing), before its CRL is read.
  if (v.endorsedCaPem !== null) addTrustedCa(o.keystore, factoryCaPem, v.endorsedCaPem);
  const out: InstallResult = { bundleId: v.body.bundleId, sequence: v.body.sequence, installed: v.keys.map((k) => ({ keyId: k.keyId, version: k.version })), trustedCa: v.endorsedCaPem === null ? null : signerKeyId(new X509Certificate(v.endorsedCaPem).publicKey) };
  if (v.body.v === 1) return out;
  const em = bundleEmergency(v.body);
  if (em.emergencyKeyDer) storeEmergencyKey(o.keystore, em.emergencyKeyDer);
  const items: Array<{ kind: 'order' | 'crl'; result: string }> = [];
  // Each CRL goes to its own CA's slot (caTrust.ts): a newer number per CA wins, a CA the robot does not trust is crl_foreign.
  const all = [...em.orders.map((content) => ({ kind: 'order' as const, content })), ...em.crls.map((content) => ({ kind: 'crl' as const, content }))];
  // A robot that was told nothing of itself knows its device id only (a site-wide order then follows the order's mode).
  const facts = o.facts ?? { deviceId: o.deviceId, site: null, model: null, firmware: null, tags: null };
  for (const item of all) items.push({ kind: item.kind, result: receiveItem({ keystore: o.keystore, facts, caCertPem: factoryCaPem, ...item, now: o.now ?? new Date() }).result });
  return { ...out, emergency: { emergencyKey: em.emergencyKeyDer !== null, items } };
}
