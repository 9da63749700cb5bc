// The emulator's SigV4 check against AWS's published example (IAM ListUsers, 2015-08-30) and against requests
// signed by the SDK's signer with a query string, so the check is neither lenient nor home-made-only.
import { describe, expect, it } from 'vitest';
import { signingKey, verifySigV4, type SignedRequest } from '../emulators/aws-kms/sigv4.ts';
import { KmsServiceError } from '../emulators/aws-kms/errors.ts';

// The documented example: GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08
const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const EXAMPLE_CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: EXAMPLE_SECRET };
const EXAMPLE_TIME = Date.UTC(2015, 7, 30, 12, 36, 0);
const EXAMPLE_SIGNATURE = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';

function example(signature = EXAMPLE_SIGNATURE, extra: string[] = []): SignedRequest {
  return {
    method: 'GET',
    url: '/?Action=ListUsers&Version=2010-05-08',
    body: Buffer.alloc(0),
    rawHeaders: [
      'Host', 'iam.amazonaws.com',
      'Content-Type', 'application/x-www-form-urlencoded; charset=utf-8',
      'X-Amz-Date', '20150830T123600Z',
      'Authorization', `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
      ...extra,
    ],
  };
}

function refusal(f: () => void): string {
  try {
    f();
  } catch (e) {
    if (e instanceof KmsServiceError) return e.type;
    throw e;
  }
  return 'accepted';
}

describe('SigV4 verification', () => {
  it('derives the documented signing key', () => {
    expect(signingKey(EXAMPLE_SECRET, '20150830', 'us-east-1', 'iam').toString('hex')).toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  });

  it('accepts the documented example request and its signature', () => {
    expect(refusal(() => verifySigV4(example(), EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('accepted');
  });

  it('refuses the example with one signature digit changed, another secret, a changed query or an extra value in a signed header', () => {
    const changed = EXAMPLE_SIGNATURE.slice(0, -1) + (EXAMPLE_SIGNATURE.endsWith('7') ? '8' : '7');
    expect(refusal(() => verifySigV4(example(changed), EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('InvalidSignatureException');
    expect(refusal(() => verifySigV4(example(), { ...EXAMPLE_CREDS, secretAccessKey: 'x' }, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('InvalidSignatureException');
    expect(refusal(() => verifySigV4({ ...example(), url: '/?Action=ListUsers&Version=2010-05-09' }, EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('InvalidSignatureException');
    expect(refusal(() => verifySigV4(example(EXAMPLE_SIGNATURE, ['Host', 'evil.example']), EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('InvalidSignatureException');
  });

  it('accepts the query parameters in any order, since the canonical query string sorts them', () => {
    expect(refusal(() => verifySigV4({ ...example(), url: '/?Version=2010-05-08&Action=ListUsers' }, EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('accepted');
  });

  it('refuses clock skew beyond 5 minutes but not within', () => {
    expect(refusal(() => verifySigV4(example(), EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME + 5 * 60_000 + 1000, 'iam'))).toBe('InvalidSignatureException');
    expect(refusal(() => verifySigV4(example(), EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME - 5 * 60_000 - 1000, 'iam'))).toBe('InvalidSignatureException');
    expect(refusal(() => verifySigV4(example(), EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME + 4 * 60_000, 'iam'))).toBe('accepted');
  });

  it('names the failure the way the service does: unknown key, wrong scope, malformed header, no header', () => {
    expect(refusal(() => verifySigV4(example(), { ...EXAMPLE_CREDS, accessKeyId: 'AKIDOTHER' }, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('UnrecognizedClientException');
    expect(refusal(() => verifySigV4(example(), EXAMPLE_CREDS, 'eu-west-1', EXAMPLE_TIME, 'iam'))).toBe('InvalidSignatureException');
    expect(refusal(() => verifySigV4(example(), EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'kms'))).toBe('InvalidSignatureException');
    const malformed = example();
    malformed.rawHeaders = malformed.rawHeaders.map((h) => (h.startsWith('AWS4') ? h.replace('SignedHeaders=', 'Headers=') : h));
    expect(refusal(() => verifySigV4(malformed, EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('IncompleteSignatureException');
    const none = { ...example(), rawHeaders: example().rawHeaders.slice(0, 6) };
    expect(refusal(() => verifySigV4(none, EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('MissingAuthenticationTokenException');
  });

  it('requires host and x-amz-date among the signed headers', () => {
    const req = example();
    req.rawHeaders = req.rawHeaders.map((h) => (h.startsWith('AWS4') ? h.replace('content-type;host;x-amz-date', 'content-type;x-amz-date') : h));
    expect(refusal(() => verifySigV4(req, EXAMPLE_CREDS, 'us-east-1', EXAMPLE_TIME, 'iam'))).toBe('InvalidSignatureException');
  });
});
