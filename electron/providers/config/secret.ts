// A configuration secret (Vault token, AWS secret key, Azure client secret, PKCS#11 PIN). It prints, serialises and
// inspects as "[redacted]", so a config object that reaches a logger, JSON.stringify or an IPC response leaks nothing;
// only reveal() gives the value, to the one adapter that needs it.
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}
