// What the key lifecycle must do, written out by hand from NIST SP 800-57 Part 1 Rev. 5 (section 7, figure 3) and the
// project's documented rules (docs/key-store.md, docs/providers.md "Keys on providers"). Nothing here is read from
// shared/domain.ts or the services under test: the tests compare the console's behaviour against these tables.
import { parseEnvelope, envelopeHeader } from '../../electron/crypto/envelope.ts';
import { isConsoleError } from '../../shared/errors.ts';

export const STATES = ['pre_activation', 'active', 'suspended', 'deactivated', 'compromised', 'destroyed'] as const;
export type State = (typeof STATES)[number];

const Y = true;
const N = false;
const row = (...to: boolean[]): Record<State, boolean> => Object.fromEntries(STATES.map((s, i) => [s, to[i]!])) as Record<State, boolean>;

/**
 * Legal state changes, all 36 pairs. SP 800-57 figure 3: pre-activation -> active / compromised / destroyed; active
 * <-> suspended; active, suspended -> deactivated; every state but destroyed -> compromised; deactivated, compromised
 * -> destroyed. The project's documented rule is stricter in one place: destruction needs a deactivated or compromised
 * key first, so pre-activation -> destroyed is refused (marked below). No state changes to itself.
 */
export const EXPECTED_TRANSITIONS: Readonly<Record<State, Record<State, boolean>>> = {
  //                  to: pre_act active susp  deact  compr  destr
  pre_activation: row(N, Y, N, N, Y, N /* SP 800-57: Y; project rule: N */),
  active: row(N, N, Y, Y, Y, N),
  suspended: row(N, Y, N, Y, Y, N),
  deactivated: row(N, N, N, N, Y, Y),
  compromised: row(N, N, N, N, N, Y),
  destroyed: row(N, N, N, N, N, N),
};

export const OPERATIONS = ['encrypt', 'decrypt', 'sign', 'verify', 'publicKey', 'rotate', 'backup'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Outcome = 'ok' | 'key_disabled' | 'key_destroyed';

const ok = 'ok';
const D = 'key_disabled';
const X = 'key_destroyed';
const ops = (...o: Outcome[]): Record<Operation, Outcome> => Object.fromEntries(OPERATIONS.map((op, i) => [op, o[i]!])) as Record<Operation, Outcome>;

/**
 * What the console allows in each state, whatever the provider would. SP 800-57 7.1-7.3: only an active key applies
 * protection (encrypt, sign, and rotation, which makes a version to protect with); a deactivated key still processes
 * (decrypt, verify); a suspended or pre-activation key does neither; a compromised key is refused everything (the
 * console offers no "highly controlled conditions": it disables the key everywhere); a destroyed key has nothing left.
 * The public key may be read while the key is not compromised; 'backup' copies local key material under a provider.
 */
export const EXPECTED_OPERATIONS: Readonly<Record<State, Record<Operation, Outcome>>> = {
  //                 encrypt decrypt sign verify publicKey rotate backup
  pre_activation: ops(D, D, D, D, ok, D, ok),
  active: ops(ok, ok, ok, ok, ok, ok, ok),
  suspended: ops(D, D, D, D, ok, D, ok),
  deactivated: ops(D, ok, D, ok, ok, D, ok),
  compromised: ops(D, D, D, D, D, D, D),
  destroyed: ops(X, X, X, X, X, X, X),
};

/** What every provider location of a key must report after the console reaches each state (docs/providers.md). */
export const EXPECTED_AT_PROVIDER: Readonly<Record<State, readonly string[]>> = {
  pre_activation: ['disabled'],
  active: ['enabled'],
  suspended: ['disabled'],
  deactivated: ['enabled'],
  compromised: ['disabled'],
  destroyed: ['pending_deletion', 'destroyed', 'gone'],
};

/** The legal steps from a new active key to each state (pre-activation: create with activate false). */
export const PATH_FROM_ACTIVE: Readonly<Record<State, readonly State[]>> = {
  pre_activation: [],
  active: [],
  suspended: ['suspended'],
  deactivated: ['deactivated'],
  compromised: ['compromised'],
  destroyed: ['deactivated', 'destroyed'],
};

/**
 * A copy of an envelope whose only recipient names another key (provider id + key reference), the wrapped data key
 * left as it was: it cannot decrypt, but it makes the console look the named key up and check its state first.
 */
export function envelopeNaming(ciphertext: Buffer, provider: string, keyRef: string): Buffer {
  const env = parseEnvelope(ciphertext);
  const entry = { provider, keyRef, keyVersion: 1, wrapped: env.entries[0]!.wrapped };
  return Buffer.concat([envelopeHeader(env.storeId, [entry], env.bodyNonce, env.aadTag), env.body, env.bodyTag]);
}

/** The ConsoleError a promise rejects with (code, message, details); fails when it resolves or throws anything else. */
export async function consoleRefusal(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected a refusal');
}
