// A PKCS#11 token as an operator's second factor (issue 14, docs/operators.md "Second factor (PKCS#11 token)"): the
// operator binds an EC P-256 key pair on a token (module, token label, key label); the console keeps the public key.
// At unlock, with the passphrase right, the console signs a fresh random challenge with the token's private key
// (logged in with the PIN given with the unlock) through the existing PKCS#11 support, and verifies the signature
// against the kept public key, so a token holding another key, or a wrong PIN, does not pass.
import crypto from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { ConsoleError } from '../../../shared/errors.ts';
import { findObjects } from '../../providers/pkcs11/pkcs11Keys.ts';
import { ecPublicPem } from '../../providers/pkcs11/pkcs11Objects.ts';
import { checkPkcs11ModulePath } from '../../providers/pkcs11/modulePolicy.ts';
import { openTokenSession } from '../../providers/pkcs11/pkcs11Session.ts';

/** Where an operator's token key is: the module, the token's label and the key pair's CKA_LABEL. */
export interface TokenKeyRef {
  modulePath: string;
  tokenLabel: string;
  keyLabel: string;
}

const CHALLENGE_BYTES = 32;

/**
 * Signs `challenge` (SHA-256, CKM_ECDSA) with the token's EC private key labelled keyLabel and reads its public key;
 * throws wrong_second_factor when the token refuses the PIN or holds no such key, provider_unavailable when the
 * module or token cannot be reached.
 */
async function signWithToken(ref: TokenKeyRef, pin: string, challenge: Buffer): Promise<{ signature: Buffer; publicKeyPem: string }> {
  const modulePath = checkPkcs11ModulePath(ref.modulePath);
  const token = openTokenSession({ providerId: 'second-factor', modulePath, tokenLabel: ref.tokenLabel, pin: () => pin });
  try {
    return await token.run('sign the sign-in challenge', (session) => {
      const lib = token.lib;
      const find = (cls: number) => findObjects(lib, session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC }, { type: pkcs11js.CKA_LABEL, value: ref.keyLabel }]);
      const [priv] = find(pkcs11js.CKO_PRIVATE_KEY);
      const [pub] = find(pkcs11js.CKO_PUBLIC_KEY);
      if (!priv || !pub) throw new ConsoleError('wrong_second_factor', `The token holds no EC P-256 key pair labelled ${ref.keyLabel}.`);
      const point = lib.C_GetAttributeValue(session, pub, [{ type: pkcs11js.CKA_EC_POINT }])[0]?.value;
      if (!Buffer.isBuffer(point)) throw new ConsoleError('wrong_second_factor', `The token's key ${ref.keyLabel} has no public point.`);
      let publicKeyPem: string;
      try {
        publicKeyPem = ecPublicPem(point);
      } catch {
        // Another curve (a P-384 point is 97 bytes): the console verifies P-256 signatures only.
        throw new ConsoleError('wrong_second_factor', `The token's key ${ref.keyLabel} is not an EC P-256 key.`);
      }
      lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, priv);
      const digest = crypto.createHash('sha256').update(challenge).digest();
      const signature = Buffer.from(lib.C_Sign(session, digest, Buffer.alloc(64)));
      return { signature, publicKeyPem };
    });
  } catch (e) {
    if (e instanceof ConsoleError) throw e;
    const what = e instanceof Error ? e.message : String(e);
    // A refused PIN (or a locked one) is the factor failing; anything else is the token being unreachable.
    if (/PIN|LOGIN|USER_NOT_LOGGED_IN|AccessDenied/i.test(what) || (e as { kind?: string }).kind === 'AccessDenied') {
      throw new ConsoleError('wrong_second_factor', 'The token refused the PIN.');
    }
    throw new ConsoleError('provider_unavailable', `The second-factor token could not be used: ${what}`);
  } finally {
    await token.close();
  }
}

const verifies = (publicKeyPem: string, challenge: Buffer, signature: Buffer) =>
  crypto.verify('sha256', challenge, { key: publicKeyPem, dsaEncoding: 'ieee-p1363' }, signature);

/**
 * The enrolment field a refusal is about (operators:enrollToken's input names), so the window says it beside that
 * field: the module path, the token label, the PIN, or the key label. Only at enrolment: an unlock says no more than
 * that the factor failed.
 */
function enrolmentField(e: ConsoleError): string | undefined {
  if (e.code === 'invalid_input' && e.details?.field === 'pkcs11_module') return 'modulePath';
  if (e.code === 'wrong_second_factor') return /refused the PIN/.test(e.message) ? 'pin' : 'keyLabel';
  if (e.code === 'provider_unavailable' && /is not present in module/.test(e.message)) return 'tokenLabel';
  if (e.code === 'provider_unavailable' && /module/i.test(e.message) && /not found|could not be loaded/.test(e.message)) return 'modulePath';
  return undefined;
}

/** Enrolment: proves the key signs (a challenge verified against the token's own public key) and returns that key. */
export async function bindToken(ref: TokenKeyRef, pin: string): Promise<string> {
  const challenge = crypto.randomBytes(CHALLENGE_BYTES);
  try {
    const { signature, publicKeyPem } = await signWithToken(ref, pin, challenge);
    if (!verifies(publicKeyPem, challenge, signature)) throw new ConsoleError('wrong_second_factor', `The token's key ${ref.keyLabel} did not sign a challenge that its public key verifies: it must be an EC P-256 key pair.`);
    return publicKeyPem;
  } catch (e) {
    const field = e instanceof ConsoleError ? enrolmentField(e) : undefined;
    if (field === undefined) throw e;
    const err = e as ConsoleError;
    throw new ConsoleError(err.code, err.message, { ...err.details, field });
  }
}

/** Unlock: the token signs a fresh challenge that the kept public key verifies. */
export async function tokenProves(ref: TokenKeyRef, publicKeyPem: string, pin: string): Promise<boolean> {
  const challenge = crypto.randomBytes(CHALLENGE_BYTES);
  const { signature } = await signWithToken(ref, pin, challenge);
  return verifies(publicKeyPem, challenge, signature);
}
