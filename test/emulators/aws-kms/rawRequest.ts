// Hand-built KMS requests for the strictness tests: signed with the SDK's own SigV4 signer (@smithy/signature-v4),
// then optionally spoiled (body, date, secret) before they are sent over real HTTP to the emulator.
import crypto from 'node:crypto';
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { TEST_CREDENTIALS, TEST_REGION } from './testkit.ts';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Buffer =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? Buffer.from(d) : Buffer.from(d.buffer, d.byteOffset, d.byteLength);

/** node:crypto behind the Checksum interface the signer expects (HMAC when given a secret). */
class NodeSha256 {
  private h: crypto.Hash | crypto.Hmac;
  private readonly secret: string | Buffer | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytes(secret);
    this.h = this.secret === undefined ? crypto.createHash('sha256') : crypto.createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.secret === undefined ? crypto.createHash('sha256') : crypto.createHmac('sha256', this.secret);
  }
}

export interface RawOptions {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  signingDate?: Date;
  /** Sign the x-amz-content-sha256 header too (the SDK does). */
  contentSha256?: boolean;
  contentType?: string;
  /** Replaces the body after signing. */
  bodyAfterSigning?: string;
  /** Changes headers after signing. */
  mutateHeaders?: (h: Record<string, string>) => void;
  unsigned?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { __type?: string; message?: string } & Record<string, unknown>;
}

export async function kmsRequest(endpoint: string, target: string, payload: unknown, o: RawOptions = {}): Promise<RawResponse> {
  const url = new URL(endpoint);
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': o.contentType ?? 'application/x-amz-json-1.1',
    'x-amz-target': target,
  };
  let signedHeaders = headers;
  if (!o.unsigned) {
    const signer = new SignatureV4({
      service: 'kms',
      region: o.region ?? TEST_REGION,
      credentials: o.credentials ?? TEST_CREDENTIALS,
      sha256: NodeSha256,
      applyChecksum: o.contentSha256 ?? true,
    });
    const signed = await signer.sign(
      { method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body },
      { signingDate: o.signingDate ?? new Date() },
    );
    signedHeaders = { ...(signed.headers as Record<string, string>) };
  }
  o.mutateHeaders?.(signedHeaders);
  const sent = o.bodyAfterSigning ?? body;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: Number(url.port), method: 'POST', path: '/', headers: { ...signedHeaders, 'content-length': String(Buffer.byteLength(sent)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as RawResponse['body']) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(sent);
  });
}
