// Checks an AWS Signature Version 4 (header form) the way the service does, written from AWS's published algorithm:
// canonical request -> string to sign -> signing key derived from the secret, date, region and service.
import crypto from 'node:crypto';
import { kmsErr } from './errors.ts';

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query as received on the wire. */
  url: string;
  /** Node's rawHeaders: name, value, name, value, ... */
  rawHeaders: readonly string[];
  body: Buffer;
}

const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const sha256Hex = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 percent-encoding: everything but unreserved characters. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw kmsErr.invalidSignatureAuth('The request path or query is not validly percent-encoded.');
  }
}

/** Header values by lower-case name; repeated headers joined by ',' with whitespace trimmed and collapsed. */
export function groupHeaders(rawHeaders: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!.trim().replace(/\s+/g, ' ');
    const prev = out.get(name);
    out.set(name, prev === undefined ? value : `${prev},${value}`);
  }
  return out;
}

export function canonicalRequest(req: SignedRequest, headers: Map<string, string>, signedHeaders: readonly string[]): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  // Non-S3 services encode each path segment once more (the wire form is already encoded once).
  const canonicalUri = path === '' ? '/' : path.split('/').map((seg) => uriEncode(uriEncode(safeDecode(seg)))).join('/');
  const pairs = query === '' ? [] : query.split('&').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    return [uriEncode(safeDecode(name)), uriEncode(safeDecode(value))] as const;
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const canonicalQuery = pairs.map(([n, v]) => `${n}=${v}`).join('&');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headers.get(h) ?? ''}\n`).join('');
  return [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), sha256Hex(req.body)].join('\n');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
}

/** Throws the service's authentication error when the request is not signed by `creds` for this region and "kms". */
export function verifySigV4(req: SignedRequest, creds: TestCredentials, region: string, nowMs: number, service = 'kms'): void {
  const headers = groupHeaders(req.rawHeaders);
  const auth = headers.get('authorization');
  if (auth === undefined) throw kmsErr.missingAuth();
  const m = AUTH_RE.exec(auth);
  if (!m) throw kmsErr.incompleteSignature('Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256).');
  const [, credential, signedHeaderList, signature] = m as unknown as [string, string, string, string];

  const scopeParts = credential.split('/');
  if (scopeParts.length !== 5) throw kmsErr.incompleteSignature('Credential must have the form <key>/<date>/<region>/<service>/aws4_request.');
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = scopeParts as [string, string, string, string, string];
  if (accessKeyId !== creds.accessKeyId) throw kmsErr.unrecognizedClient();

  const token = headers.get('x-amz-security-token');
  if ((creds.sessionToken ?? null) !== (token ?? null)) throw kmsErr.unrecognizedClient();

  const signed = signedHeaderList.split(';');
  const sorted = [...signed].sort();
  if (signed.some((h, i) => h !== sorted[i] || h === '' || h !== h.toLowerCase() || (i > 0 && h === signed[i - 1])))
    throw kmsErr.incompleteSignature('SignedHeaders must be lower-case, sorted and unique.');
  for (const required of ['host', 'x-amz-date', ...(token === undefined ? [] : ['x-amz-security-token'])]) {
    if (!signed.includes(required)) throw kmsErr.invalidSignatureAuth(`The header ${required} must be signed.`);
  }
  for (const h of signed) if (!headers.has(h)) throw kmsErr.invalidSignatureAuth(`Signed header ${h} is missing from the request.`);

  const amzDate = headers.get('x-amz-date')!;
  const d = AMZ_DATE_RE.exec(amzDate);
  if (!d) throw kmsErr.incompleteSignature('X-Amz-Date must have the form YYYYMMDDTHHMMSSZ.');
  const requestMs = Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!);
  if (Number.isNaN(requestMs)) throw kmsErr.incompleteSignature('X-Amz-Date is not a valid time.');
  if (Math.abs(nowMs - requestMs) > MAX_SKEW_MS)
    throw kmsErr.invalidSignatureAuth(`Signature expired or not yet current: ${amzDate} is more than 5 minutes from the server time.`);
  if (scopeDate !== amzDate.slice(0, 8)) throw kmsErr.invalidSignatureAuth('Credential scope date does not match X-Amz-Date.');
  if (scopeRegion !== region) throw kmsErr.invalidSignatureAuth(`Credential should be scoped to a valid region (${region}).`);
  if (scopeService !== service) throw kmsErr.invalidSignatureAuth(`Credential should be scoped to the correct service (${service}).`);
  if (terminator !== 'aws4_request') throw kmsErr.incompleteSignature('Credential scope must end with aws4_request.');

  const claimedHash = headers.get('x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== sha256Hex(req.body))
    throw kmsErr.invalidSignatureAuth('X-Amz-Content-Sha256 does not match the request body.');

  const creq = canonicalRequest(req, headers, signed);
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, `${scopeDate}/${scopeRegion}/${scopeService}/aws4_request`, sha256Hex(creq)].join('\n');
  const expected = crypto.createHmac('sha256', signingKey(creds.secretAccessKey, scopeDate, scopeRegion, scopeService)).update(stringToSign).digest();
  const given = Buffer.from(signature, 'hex');
  if (!crypto.timingSafeEqual(expected, given))
    throw kmsErr.invalidSignatureAuth('The request signature we calculated does not match the signature you provided.');
}
