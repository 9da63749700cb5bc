// PKCS#11 return values (CKR_*) -> normalised ProviderError kinds. pkcs11js throws Pkcs11Error with `code` (the CK_RV)
// and a message that starts with the CKR_ name. The PIN is never part of any message built here.
import pkcs11js from 'pkcs11js';
import { ProviderError, type ProviderErrorKind } from '../types.ts';

/** What the caller was doing; decides how ambiguous codes read (a failed tag check is an integrity failure on decrypt). */
export type Pkcs11Context = 'login' | 'decrypt' | 'verify' | 'other';

const CKR = pkcs11js as unknown as Record<string, number>;

/** PKCS#11 3.0 return values the binding has no constant for (values from the OASIS pkcs11t.h). */
const CKR_3_0: Readonly<Record<number, string>> = { 0x42: 'CKR_AEAD_DECRYPT_FAILED' };

/** CK_RV -> its CKR_ name (from the binding's constants), for providerCode. */
export function ckrName(code: number): string {
  for (const [name, value] of Object.entries(CKR)) if (name.startsWith('CKR_') && value === code) return name;
  return CKR_3_0[code] ?? `CKR_0x${code.toString(16).padStart(8, '0')}`;
}

const REMOVED = new Set(['CKR_TOKEN_NOT_PRESENT', 'CKR_DEVICE_REMOVED', 'CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_TOKEN_NOT_RECOGNIZED', 'CKR_SLOT_ID_INVALID']);
const DEVICE = new Set(['CKR_DEVICE_ERROR', 'CKR_DEVICE_MEMORY', 'CKR_CRYPTOKI_NOT_INITIALIZED', 'CKR_HOST_MEMORY', 'CKR_FUNCTION_FAILED']);
const INTEGRITY = new Set(['CKR_ENCRYPTED_DATA_INVALID', 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_SIGNATURE_INVALID', 'CKR_SIGNATURE_LEN_RANGE', 'CKR_AEAD_DECRYPT_FAILED']);
const INVALID = new Set([
  'CKR_KEY_FUNCTION_NOT_PERMITTED', 'CKR_KEY_TYPE_INCONSISTENT', 'CKR_MECHANISM_INVALID', 'CKR_MECHANISM_PARAM_INVALID',
  'CKR_DATA_LEN_RANGE', 'CKR_DATA_INVALID', 'CKR_ATTRIBUTE_VALUE_INVALID', 'CKR_TEMPLATE_INCONSISTENT', 'CKR_TEMPLATE_INCOMPLETE',
  'CKR_ARGUMENTS_BAD', 'CKR_KEY_SIZE_RANGE', 'CKR_ATTRIBUTE_READ_ONLY',
]);
const NOT_FOUND = new Set(['CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID']);
const DENIED = new Set(['CKR_USER_NOT_LOGGED_IN', 'CKR_PIN_EXPIRED', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE', 'CKR_USER_PIN_NOT_INITIALIZED', 'CKR_TOKEN_WRITE_PROTECTED']);

/** The CKR_ name of a pkcs11js error, or null for anything else. */
export function pkcs11Code(e: unknown): string | null {
  if (e instanceof pkcs11js.Pkcs11Error) return ckrName(e.code);
  return null;
}

export function toProviderError(e: unknown, providerId: string, what: string, context: Pkcs11Context = 'other'): ProviderError {
  if (e instanceof ProviderError) return e;
  const code = pkcs11Code(e);
  const make = (kind: ProviderErrorKind, message: string) => new ProviderError(kind, message, { providerId, providerCode: code, cause: e });
  if (code === null) {
    const detail = e instanceof Error ? e.message : String(e);
    return new ProviderError('Unavailable', `PKCS#11 ${what} failed: ${detail}`, { providerId, providerCode: 'PKCS11_NATIVE', cause: e });
  }
  if (code === 'CKR_PIN_INCORRECT') return make('AccessDenied', `PKCS#11 ${what}: the token rejected the PIN (CKR_PIN_INCORRECT).`);
  if (code === 'CKR_PIN_LOCKED')
    return make('AccessDenied', `PKCS#11 ${what}: the user PIN is locked (CKR_PIN_LOCKED); the token's security officer (SO) must unblock or reset it.`);
  if (REMOVED.has(code)) return make('Unavailable', `PKCS#11 ${what}: the token is not present or was removed (${code}).`);
  if (DEVICE.has(code)) return make('Unavailable', `PKCS#11 ${what}: the token or module failed (${code}).`);
  if (INTEGRITY.has(code)) return make('IntegrityFailure', `PKCS#11 ${what}: the data did not verify (${code}).`);
  // SoftHSM2 reports a failed AES-GCM tag check as CKR_GENERAL_ERROR from C_Decrypt.
  if (context === 'decrypt' && code === 'CKR_GENERAL_ERROR') return make('IntegrityFailure', `PKCS#11 ${what}: the ciphertext or associated data did not verify (${code}).`);
  if (INVALID.has(code)) return make('InvalidInput', `PKCS#11 ${what}: the token refused the request (${code}).`);
  if (NOT_FOUND.has(code)) return make('NotFound', `PKCS#11 ${what}: the key object no longer exists (${code}).`);
  if (DENIED.has(code)) return make('AccessDenied', `PKCS#11 ${what}: not permitted (${code}).`);
  return make('Unavailable', `PKCS#11 ${what} failed (${code}).`);
}
