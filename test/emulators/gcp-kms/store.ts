// The emulator's state: key rings, crypto keys and their versions, with the service's lifecycle rules (asymmetric
// versions generate asynchronously, destruction is scheduled and completes on the clock, automatic rotation).
import crypto from 'node:crypto';
import { names } from './names.ts';
import { rpc } from './status.ts';

export type Purpose = 'ENCRYPT_DECRYPT' | 'ASYMMETRIC_SIGN';
export type Algorithm = 'GOOGLE_SYMMETRIC_ENCRYPTION' | 'RSA_SIGN_PSS_2048_SHA256' | 'EC_SIGN_P256_SHA256';
export type VersionState = 'PENDING_GENERATION' | 'ENABLED' | 'DISABLED' | 'DESTROY_SCHEDULED' | 'DESTROYED';
export type ProtectionLevel = 'SOFTWARE' | 'HSM';

export interface Version {
  name: string;
  number: number;
  state: VersionState;
  algorithm: Algorithm;
  protectionLevel: ProtectionLevel;
  createTime: number;
  generateAt: number;
  destroyTime: number | null;
  destroyEventTime: number | null;
  /** AES-256 material (symmetric) or the private key (asymmetric); dropped when destroyed. */
  secret: Buffer | null;
  privateKey: crypto.KeyObject | null;
  publicPem: string | null;
}

export interface CryptoKey {
  name: string;
  purpose: Purpose;
  algorithm: Algorithm;
  protectionLevel: ProtectionLevel;
  createTime: number;
  rotationPeriodS: number | null;
  nextRotationTime: number | null;
  destroyScheduledS: number;
  labels: Record<string, string>;
  primary: number | null;
  versions: Version[];
}

export interface KeyRing {
  name: string;
  createTime: number;
}

export const SYMMETRIC: Algorithm = 'GOOGLE_SYMMETRIC_ENCRYPTION';

export function createStore(now: () => number, generationDelayMs: number) {
  const rings = new Map<string, KeyRing>();
  const keys = new Map<string, CryptoKey>();

  function material(algorithm: Algorithm): Pick<Version, 'secret' | 'privateKey' | 'publicPem'> {
    if (algorithm === SYMMETRIC) return { secret: crypto.randomBytes(32), privateKey: null, publicPem: null };
    const pair =
      algorithm === 'EC_SIGN_P256_SHA256'
        ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { secret: null, privateKey: pair.privateKey, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  }

  function addVersion(key: CryptoKey): Version {
    const number = key.versions.length + 1;
    const t = now();
    const asymmetric = key.purpose !== 'ENCRYPT_DECRYPT';
    const v: Version = {
      name: `${key.name}/cryptoKeyVersions/${number}`,
      number,
      state: asymmetric && generationDelayMs > 0 ? 'PENDING_GENERATION' : 'ENABLED',
      algorithm: key.algorithm,
      protectionLevel: key.protectionLevel,
      createTime: t,
      generateAt: asymmetric ? t + generationDelayMs : t,
      destroyTime: null,
      destroyEventTime: null,
      ...material(key.algorithm),
    };
    key.versions.push(v);
    return v;
  }

  /** Moves time-driven state forward: generation, scheduled destruction, automatic rotation. */
  function tick(): void {
    const t = now();
    for (const key of keys.values()) {
      for (const v of key.versions) {
        if (v.state === 'PENDING_GENERATION' && t >= v.generateAt) v.state = 'ENABLED';
        if (v.state === 'DESTROY_SCHEDULED' && v.destroyTime !== null && t >= v.destroyTime) {
          v.state = 'DESTROYED';
          // destroy_time is "Only present if state is DESTROY_SCHEDULED"; destroy_event_time "Only present if state is DESTROYED"
          v.destroyEventTime = v.destroyTime;
          v.destroyTime = null;
          v.secret?.fill(0);
          v.secret = null;
          v.privateKey = null;
        }
      }
      while (key.rotationPeriodS !== null && key.nextRotationTime !== null && t >= key.nextRotationTime) {
        key.primary = addVersion(key).number;
        key.nextRotationTime += key.rotationPeriodS * 1000;
      }
    }
  }

  return {
    rings,
    keys,
    addVersion,
    tick,
    ring(name: string): KeyRing {
      const r = rings.get(name);
      if (!r) throw rpc.notFound(name);
      return r;
    },
    key(name: string): CryptoKey {
      const k = keys.get(name);
      if (!k) throw rpc.notFound(name);
      return k;
    },
    version(name: string): { key: CryptoKey; version: Version } {
      const [keyName, number] = names.splitVersion(name);
      const key = keys.get(keyName);
      const version = key?.versions[number - 1];
      if (!key || !version) throw rpc.notFound(name);
      return { key, version };
    },
  };
}

export type Store = ReturnType<typeof createStore>;

export const requireEnabled = (v: Version) => {
  if (v.state !== 'ENABLED') throw rpc.precondition(`${v.name} is not enabled, current state is: ${v.state}.`);
};
