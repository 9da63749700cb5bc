// Input checks shared by the local provider (and usable by any adapter): key names, spec/usage pairs, page tokens.
import type { CreateKeyInput, ProviderCapabilities, ProviderError, ProviderKeySpec, ProviderKeyUsage } from '../types.ts';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SPECS: readonly ProviderKeySpec[] = ['AES_256', 'RSA_2048', 'EC_P256'];

export interface ValidCreateInput {
  name: string;
  spec: ProviderKeySpec;
  usage: ProviderKeyUsage;
  description: string | null;
}

export function validateCreateInput(
  input: CreateKeyInput,
  caps: ProviderCapabilities,
  invalid: (message: string, code: string) => ProviderError,
): ValidCreateInput {
  if (typeof input !== 'object' || input === null) throw invalid('createKey needs an input object.', 'InvalidInput');
  if (typeof input.name !== 'string' || !NAME.test(input.name)) {
    throw invalid('A key name is 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-".', 'InvalidName');
  }
  if (!SPECS.includes(input.spec)) throw invalid(`Unknown key spec ${String(input.spec)}.`, 'InvalidKeySpec');
  if (input.usage !== 'encrypt' && input.usage !== 'sign') throw invalid(`Unknown key usage ${String(input.usage)}.`, 'InvalidKeyUsage');
  if (!caps.specs[input.usage].includes(input.spec)) {
    throw invalid(`This provider makes no ${input.spec} keys for ${input.usage}.`, 'UnsupportedKeySpec');
  }
  if (input.rotationPeriodDays !== undefined && input.rotationPeriodDays !== null && !caps.automaticRotation) {
    throw invalid('This provider does not rotate keys by itself; leave rotationPeriodDays empty.', 'AutomaticRotationUnsupported');
  }
  if (input.description !== undefined && (typeof input.description !== 'string' || input.description.length > 500)) {
    throw invalid('A key description is text of at most 500 characters.', 'InvalidDescription');
  }
  return { name: input.name, spec: input.spec, usage: input.usage, description: input.description ?? null };
}

export function encodePageToken(last: { createdAt: string; keyRef: string }): string {
  return Buffer.from(JSON.stringify([last.createdAt, last.keyRef]), 'utf8').toString('base64url');
}

export function decodePageToken(token: string, invalid: (message: string) => ProviderError): { createdAt: string; keyRef: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return { createdAt: v[0], keyRef: v[1] };
  } catch {
    // fall through to the one error below
  }
  throw invalid('The page token is not one this provider issued.');
}
