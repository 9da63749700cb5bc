// Resource names exactly as the service accepts them; anything else is INVALID_ARGUMENT.
import { rpc } from './status.ts';

const PROJECT = '(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})';
const LOCATION = '(?:global|[a-z]+|[a-z]+-[a-z]+[0-9]+)';
const ID = '[a-zA-Z0-9_-]{1,63}';

const LOCATION_RE = new RegExp(`^projects/${PROJECT}/locations/${LOCATION}$`);
const RING_RE = new RegExp(`^projects/${PROJECT}/locations/${LOCATION}/keyRings/${ID}$`);
const KEY_RE = new RegExp(`^(projects/${PROJECT}/locations/${LOCATION}/keyRings/${ID})/cryptoKeys/${ID}$`);
const VERSION_RE = new RegExp(`^((projects/${PROJECT}/locations/${LOCATION}/keyRings/${ID})/cryptoKeys/${ID})/cryptoKeyVersions/([1-9][0-9]{0,9})$`);
export const ID_RE = new RegExp(`^${ID}$`);

function check(re: RegExp, value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || value === '') throw rpc.invalid(`${field} is required.`);
  if (!re.test(value)) throw rpc.invalid(`Resource name [${value}] does not match any known ${what} pattern (field ${field}).`);
  return value;
}

export const names = {
  location: (v: unknown, field = 'parent') => check(LOCATION_RE, v, field, 'location'),
  keyRing: (v: unknown, field = 'name') => check(RING_RE, v, field, 'key ring'),
  cryptoKey: (v: unknown, field = 'name') => check(KEY_RE, v, field, 'crypto key'),
  version: (v: unknown, field = 'name') => check(VERSION_RE, v, field, 'crypto key version'),
  isVersion: (v: string) => VERSION_RE.test(v),
  isCryptoKey: (v: string) => KEY_RE.test(v),
  /** "…/cryptoKeys/k/cryptoKeyVersions/3" -> ["…/cryptoKeys/k", 3]. */
  splitVersion(v: string): [string, number] {
    const m = VERSION_RE.exec(v)!;
    return [m[1]!, Number(m[3])];
  },
  ringOfKey: (v: string) => KEY_RE.exec(v)![1]!,
};
