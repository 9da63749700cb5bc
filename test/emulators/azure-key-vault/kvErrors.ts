// A Key Vault error answer: {"error": {"code", "message", "innererror"?: {"code"}}} with the service's HTTP status
// (KeyVaultError of the REST specification; the service tells a disabled key from a refused caller by innererror.code).
export class KvError extends Error {
  readonly status: number;
  readonly code: string;
  readonly innerCode: string | null;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}, innerCode: string | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.innerCode = innerCode;
    this.headers = headers;
  }

  body(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return { error: { code: this.code, message: this.message, ...(this.innerCode === null ? {} : { innererror: { code: this.innerCode } }) } };
  }
}

/** 403 Forbidden with an inner code, as the service answers a key state that forbids the operation. */
export const forbidden = (message: string, innerCode: string) => new KvError(403, 'Forbidden', message, {}, innerCode);
