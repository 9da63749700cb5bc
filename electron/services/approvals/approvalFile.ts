// Approval files (docs/two-person-control.md, "Approval files"): an approver at another workstation approves without
// the console. The console exports a request file (what is asked: store, request id, channel, input hash, summary,
// expiry); the approver signs it offline with their own Ed25519 approval key (`ecps-console approvals sign`, the
// private key kept in a passphrase-encrypted PKCS#8 file on their workstation); the console checks the signature
// against the public key that operator enrolled while signed in as themselves, and that every bound field matches.
import crypto from 'node:crypto';
import { z } from 'zod';
import { ConsoleError } from '../../../shared/errors.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';

export const REQUEST_FILE_FORMAT = 'ecps-approval-request/v1';
export const APPROVAL_FILE_FORMAT = 'ecps-approval/v1';
const SIGNING_CONTEXT = 'ecps/approval/v1\n';

const Hash = z.string().regex(/^[0-9a-f]{64}$/);
const Iso = z.string().datetime({ offset: true });

export const RequestFile = z
  .object({
    format: z.literal(REQUEST_FILE_FORMAT),
    storeId: z.string().min(1).max(64),
    requestId: z.string().uuid(),
    action: z.string().max(32),
    channel: z.string().max(64),
    inputHash: Hash,
    summary: z.record(z.string(), z.string()),
    requester: z.string().max(64),
    createdAt: Iso,
    expiresAt: Iso,
    required: z.number().int().nonnegative(),
  })
  .strict();
export type RequestFile = z.infer<typeof RequestFile>;

export const ApprovalFile = z
  .object({
    format: z.literal(APPROVAL_FILE_FORMAT),
    storeId: z.string().min(1).max(64),
    requestId: z.string().uuid(),
    channel: z.string().max(64),
    inputHash: Hash,
    expiresAt: Iso,
    approver: z.string().min(1).max(64),
    signedAt: Iso,
    /** Ed25519 over SIGNING_CONTEXT + the canonical JSON of every other field, base64. */
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
  })
  .strict();
export type ApprovalFile = z.infer<typeof ApprovalFile>;

const signedBytes = (file: Omit<ApprovalFile, 'signature'>) => Buffer.from(SIGNING_CONTEXT + canonicalJson(file), 'utf8');

function parseJson<T>(text: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConsoleError('invalid_input', `The ${what} is not JSON.`, { field: 'content' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConsoleError('invalid_input', `The ${what} is not in the expected format (${parsed.error.issues[0]?.path.join('.') || 'file'}).`, { field: 'content' });
  return parsed.data;
}

export const readRequestFile = (text: string): RequestFile => parseJson(text, RequestFile, 'approval request file');
export const readApprovalFile = (text: string): ApprovalFile => parseJson(text, ApprovalFile, 'approval file');

/** The approval of a request file by `approver`, signed with their approval key (runs anywhere, without the store). */
export function signApproval(request: RequestFile, approver: string, privateKey: crypto.KeyObject, now: Date): string {
  const body = {
    format: APPROVAL_FILE_FORMAT,
    storeId: request.storeId,
    requestId: request.requestId,
    channel: request.channel,
    inputHash: request.inputHash,
    expiresAt: request.expiresAt,
    approver,
    signedAt: now.toISOString(),
  } as const;
  const signature = crypto.sign(null, signedBytes(body), privateKey).toString('base64');
  return `${JSON.stringify({ ...body, signature }, null, 2)}\n`;
}

export function approvalSignatureValid(file: ApprovalFile, publicSpki: Buffer): boolean {
  const { signature, ...body } = file;
  try {
    const key = crypto.createPublicKey({ key: publicSpki, format: 'der', type: 'spki' });
    return crypto.verify(null, signedBytes(body), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** An Ed25519 public key in PEM as DER (SPKI) and its fingerprint (SHA-256 of the DER); invalid_input otherwise. */
export function readApprovalPublicKey(pem: string): { spki: Buffer; fingerprint: string } {
  // Node derives a public key from a private one: a pasted private key would be taken (and would have reached the
  // console). Refused by its PEM label, before any parsing, whatever the key type.
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new ConsoleError('invalid_input', 'This is a private key: never give it to the console. Enrol the public key that approvals keygen printed.', { field: 'publicKeyPem' });
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new ConsoleError('invalid_input', 'The approval key is not a PEM public key.', { field: 'publicKeyPem' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConsoleError('invalid_input', 'The approval key must be an Ed25519 public key.', { field: 'publicKeyPem' });
  const spki = key.export({ format: 'der', type: 'spki' });
  return { spki, fingerprint: sha256Hex(spki) };
}

/** A new approval key pair: the private key as PKCS#8 PEM encrypted under the passphrase (PKCS#8 PBES2, AES-256-CBC). */
export function generateApprovalKey(passphrase: string): { privatePem: string; publicPem: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

/** Opens an approval private key file; invalid_input when the passphrase is wrong or it is not an Ed25519 key. */
export function loadApprovalPrivateKey(pem: string, passphrase: string): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new ConsoleError('wrong_passphrase', 'The approval key file does not open with this passphrase (or is not a private key).');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConsoleError('invalid_input', 'The approval key must be an Ed25519 private key.', { field: 'key' });
  return key;
}
