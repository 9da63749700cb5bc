// A PKCS#11 token as an operator's second factor (issue 14, docs/operators.md "Second factor (PKCS#11 token)"): the
// operator binds a key pair on a token (module, token label, key label): EC P-256, or RSA of 2048 to 4096 bits; the
// console keeps the public key. At unlock, with the passphrase right, the console signs a fresh random challenge with
// the token's private key (logged in with the PIN given with the unlock) through the existing PKCS#11 support, and
// verifies the signature with node:crypto against the kept public key, so a token holding another key, or a wrong PIN,
// does not pass. RSA signs with RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) when the token offers CKM_RSA_PKCS_PSS,
// else with PKCS#1 v1.5 over the SHA-256 DigestInfo (CKM_RSA_PKCS).
import crypto from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { ConsoleError } from '../../../shared/errors.ts';
import { pkcs11Code } from '../../providers/pkcs11/pkcs11Errors.ts';
import { findObjects } from '../../providers/pkcs11/pkcs11Keys.ts';
import { ecPublicPem, rsaPublicPem } from '../../providers/pkcs11/pkcs11Objects.ts';
import { checkPkcs11ModulePath } from '../../providers/pkcs11/modulePolicy.ts';
import { openTokenSession } from '../../providers/pkcs11/pkcs11Session.ts';
import { ProviderError } from '../../providers/types.ts';

/** Where an operator's token key is: the module, the token's label and the key pair's CKA_LABEL. */
export interface TokenKeyRef {
  modulePath: string;
  tokenLabel: string;
  keyLabel: string;
}

/** How the token signed the challenge (the verifier follows it; each is a signature by the kept key). */
export type TokenSignatureScheme = 'ecdsa-p256-sha256' | 'rsa-pss-sha256' | 'rsa-pkcs1-sha256';

const CHALLENGE_BYTES = 32;
/** RSA key sizes accepted: at least 2048 bits; at most 4096, what the stored public key's column (1000 characters of PEM) holds. */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;
/** DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017 section 9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const PSS_PARAMS = { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 };

/** The RSA scheme for a token offering these mechanisms: PSS when it can, else PKCS#1 v1.5. */
export function rsaSchemeFor(mechanisms: readonly number[]): TokenSignatureScheme {
  return mechanisms.includes(pkcs11js.CKM_RSA_PKCS_PSS) ? 'rsa-pss-sha256' : 'rsa-pkcs1-sha256';
}

/** Bits of an RSA modulus given as big-endian bytes (leading zero bytes ignored). */
export function modulusBits(modulus: Buffer): number {
  let i = 0;
  while (i < modulus.length && modulus[i] === 0) i++;
  if (i === modulus.length) return 0;
  return (modulus.length - i - 1) * 8 + (32 - Math.clz32(modulus[i]!));
}

/** The enrolment input each of the token's refusals is about (operators:enrollToken's names); bindToken names it. */
type EnrolmentField = 'modulePath' | 'tokenLabel' | 'pin' | 'keyLabel';
const FIELD_OF = new WeakMap<object, EnrolmentField | undefined>();
function refusal(code: 'wrong_second_factor' | 'provider_unavailable', message: string, field: EnrolmentField | undefined): ConsoleError {
  const e = new ConsoleError(code, message);
  FIELD_OF.set(e, field);
  return e;
}
/** A refusal about the key under keyLabel. */
const keyRefusal = (message: string) => refusal('wrong_second_factor', message, 'keyLabel');

interface TokenSignature {
  signature: Buffer;
  publicKeyPem: string;
  scheme: TokenSignatureScheme;
}

/**
 * Signs `challenge` with the token's private key labelled keyLabel (EC P-256 or RSA) and reads its public key;
 * throws wrong_second_factor when the token refuses the PIN or holds no usable key, provider_unavailable when the
 * module or token cannot be reached.
 */
async function signWithToken(ref: TokenKeyRef, pin: string, challenge: Buffer): Promise<TokenSignature> {
  let modulePath: string;
  try {
    modulePath = checkPkcs11ModulePath(ref.modulePath);
  } catch (e) {
    // invalid_input naming pkcs11_module (a provider's setting): at enrolment the field is the module path.
    FIELD_OF.set(e as object, 'modulePath');
    throw e;
  }
  const token = openTokenSession({ providerId: 'second-factor', modulePath, tokenLabel: ref.tokenLabel, pin: () => pin });
  try {
    return await token.run('sign the sign-in challenge', (session) => {
      const lib = token.lib;
      const find = (cls: number, keyType: number) => findObjects(lib, session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_KEY_TYPE, value: keyType }, { type: pkcs11js.CKA_LABEL, value: ref.keyLabel }]);
      const attribute = (handle: Buffer, type: number) => lib.C_GetAttributeValue(session, handle, [{ type }])[0]?.value;
      const digest = crypto.createHash('sha256').update(challenge).digest();
      for (const keyType of [pkcs11js.CKK_EC, pkcs11js.CKK_RSA]) {
        const [priv] = find(pkcs11js.CKO_PRIVATE_KEY, keyType);
        const [pub] = find(pkcs11js.CKO_PUBLIC_KEY, keyType);
        if (!priv || !pub) continue;
        if (keyType === pkcs11js.CKK_EC) {
          const point = attribute(pub, pkcs11js.CKA_EC_POINT);
          if (!Buffer.isBuffer(point)) throw keyRefusal(`The token's key ${ref.keyLabel} has no public point.`);
          let publicKeyPem: string;
          try {
            publicKeyPem = ecPublicPem(point);
          } catch {
            // Another curve (a P-384 point is 97 bytes): the console verifies P-256 signatures only.
            throw keyRefusal(`The token's key ${ref.keyLabel} is not an EC P-256 key.`);
          }
          lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, priv);
          return { signature: Buffer.from(lib.C_Sign(session, digest, Buffer.alloc(64))), publicKeyPem, scheme: 'ecdsa-p256-sha256' };
        }
        const modulus = attribute(pub, pkcs11js.CKA_MODULUS);
        const exponent = attribute(pub, pkcs11js.CKA_PUBLIC_EXPONENT);
        if (!Buffer.isBuffer(modulus) || !Buffer.isBuffer(exponent)) throw keyRefusal(`The token's RSA key ${ref.keyLabel} has no readable public part.`);
        const bits = modulusBits(modulus);
        if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
          throw keyRefusal(`The token's RSA key ${ref.keyLabel} has ${bits} bits; the console accepts RSA keys of ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits.`);
        }
        const scheme = rsaSchemeFor(token.mechanisms());
        const out = Buffer.alloc(Math.ceil(bits / 8));
        if (scheme === 'rsa-pss-sha256') {
          lib.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter: PSS_PARAMS }, priv);
          return { signature: Buffer.from(lib.C_Sign(session, digest, out)), publicKeyPem: rsaPublicPem(modulus, exponent), scheme };
        }
        lib.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, priv);
        return { signature: Buffer.from(lib.C_Sign(session, Buffer.concat([SHA256_DIGEST_INFO, digest]), out)), publicKeyPem: rsaPublicPem(modulus, exponent), scheme };
      }
      throw keyRefusal(`The token holds no EC P-256 or RSA key pair labelled ${ref.keyLabel}.`);
    });
  } catch (e) {
    if (e instanceof ConsoleError) throw e;
    // The session's failures (module, token, login) are ProviderErrors typed from their PKCS#11 return value
    // (pkcs11Errors.ts); a call of the signing itself throws the binding's Pkcs11Error. Decided by the type and the code,
    // never by the words of a message: a token label or module path may hold "pin" or "login".
    const code = e instanceof ProviderError ? e.providerCode : pkcs11Code(e);
    // The token refused the PIN or the user (AccessDenied: a PIN incorrect, locked, expired, of the wrong length or
    // never set), or the signing found the session's login gone: the factor failing.
    const pinRefused = e instanceof ProviderError ? e.kind === 'AccessDenied' : code === 'CKR_USER_NOT_LOGGED_IN';
    if (pinRefused) throw refusal('wrong_second_factor', 'The token refused the PIN.', 'pin');
    // A key the token will not let sign (CKA_SIGN false) is no usable key.
    if (code === 'CKR_KEY_FUNCTION_NOT_PERMITTED') throw keyRefusal(`The token's key ${ref.keyLabel} may not sign the challenge (${code}).`);
    // Anything else is the token being unreachable; the module that would not load, or the token not present, named.
    const what = e instanceof Error ? e.message : String(e);
    const field = code === 'MODULE_LOAD_FAILED' ? 'modulePath' : code === 'CKR_TOKEN_NOT_PRESENT' ? 'tokenLabel' : undefined;
    throw refusal('provider_unavailable', `The second-factor token could not be used: ${what}`, field);
  } finally {
    await token.close();
  }
}

/**
 * Verifies a challenge signature with node:crypto against a public key (PEM) under the given scheme; false for a
 * signature that does not verify and for a key of another kind than the scheme's (an EC key kept, an RSA one now).
 */
export function verifyTokenSignature(publicKeyPem: string, scheme: TokenSignatureScheme, challenge: Buffer, signature: Buffer): boolean {
  try {
    const key = crypto.createPublicKey(publicKeyPem);
    if (scheme === 'ecdsa-p256-sha256') return key.asymmetricKeyType === 'ec' && crypto.verify('sha256', challenge, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (key.asymmetricKeyType !== 'rsa') return false;
    const padding = scheme === 'rsa-pss-sha256' ? { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { padding: crypto.constants.RSA_PKCS1_PADDING };
    return crypto.verify('sha256', challenge, { key, ...padding }, signature);
  } catch {
    return false;
  }
}

/** Enrolment: proves the key signs (a challenge verified against the token's own public key) and returns that key. */
export async function bindToken(ref: TokenKeyRef, pin: string): Promise<string> {
  const challenge = crypto.randomBytes(CHALLENGE_BYTES);
  try {
    const { signature, publicKeyPem, scheme } = await signWithToken(ref, pin, challenge);
    if (!verifyTokenSignature(publicKeyPem, scheme, challenge, signature)) {
      throw keyRefusal(`The token's key ${ref.keyLabel} did not sign a challenge that its public key verifies: it must be an EC P-256 or RSA key pair.`);
    }
    return publicKeyPem;
  } catch (e) {
    // The enrolment field the refusal is about (the window says it beside that field); an unlock names none.
    const field = FIELD_OF.get(e as object);
    if (field === undefined) throw e;
    const err = e as ConsoleError;
    throw new ConsoleError(err.code, err.message, { ...err.details, field });
  }
}

/** Unlock: the token signs a fresh challenge that the kept public key verifies. */
export async function tokenProves(ref: TokenKeyRef, publicKeyPem: string, pin: string): Promise<boolean> {
  const challenge = crypto.randomBytes(CHALLENGE_BYTES);
  const { signature, scheme } = await signWithToken(ref, pin, challenge);
  return verifyTokenSignature(publicKeyPem, scheme, challenge, signature);
}

/** What kind of key a kept public key is, for the audit record: `ec-p256` or `rsa-<bits>`. */
export function tokenKeyType(publicKeyPem: string): string {
  const key = crypto.createPublicKey(publicKeyPem);
  return key.asymmetricKeyType === 'rsa' ? `rsa-${key.asymmetricKeyDetails?.modulusLength ?? 0}` : 'ec-p256';
}
