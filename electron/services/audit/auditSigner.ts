// An AuditSigner over an Ed25519 private key held in memory while the console is unlocked.
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { ConsoleError } from '../../../shared/errors.ts';
import type { AuditSigner } from './auditLog.ts';

export function createAuditSigner(privateKey: KeyObject): AuditSigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConsoleError('invalid_input', 'The audit key must be an Ed25519 private key');
  }
  const publicKeySpki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    publicKeySpki,
    sign: (message: Buffer) => sign(null, message, privateKey),
  };
}
