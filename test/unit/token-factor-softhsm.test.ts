// The token factor's signing side (electron/services/secondFactor/tokenFactor.ts: bindToken, tokenProves,
// tokenKeyType) in-process against a real SoftHSM2 token, from docs/operators.md "Second factor (PKCS#11 token)": an
// EC P-256 pair or an RSA pair of 2048 to 4096 bits signs a random challenge (ECDSA over its SHA-256; RSA-PSS, which
// SoftHSM2 offers); binding returns the token's public key, checked here against the key pkcs11-tool reads out; each
// refusal names the enrolment field it is about (modulePath, tokenLabel, pin, keyLabel); an unlock's refusal names
// none. test/unit/token-signature.test.ts covers the verifier with node:crypto signatures. A token without
// CKM_RSA_PKCS_PSS (PKCS#1 v1.5 over the SHA-256 DigestInfo) is SoftHSM2 with `slots.mechanisms` restricted in its
// configuration file (softhsm2.conf(5)), read again at C_Initialize: the console never finalises the module (another
// provider may share it), so the test does, before and after.
//
// Under Stryker: SoftHSM2 reads SOFTHSM2_CONF from the real process environment, which a worker thread's process.env
// does not change; start the run with SOFTHSM2_CONF already pointing at an `ecps-softhsm-*` folder (the kit reuses it;
// docs/mutation-testing.md, round (r)). The tokens and keys are made by softhsm2-util and pkcs11-tool (child
// processes) in beforeAll: no console code runs there; with SOFTHSM2_CONF preset they are made once and reused.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { bindToken, tokenKeyType, tokenProves } from '../../electron/services/secondFactor/tokenFactor.ts';
import { createSoftHsmToken, removeSoftHsmFolder, SOFTHSM_MODULE, type SoftHsmToken } from '../integration/softhsm-kit.ts';

const presetConf = process.env['SOFTHSM2_CONF'];
/** What the tests need of a token. */
type Tok = Pick<SoftHsmToken, 'modulePath' | 'confPath' | 'label' | 'pin'>;
let token: Tok;
let other: Tok;
/** The label of a token initialised by its security officer whose user PIN was never set (C_InitToken without C_InitPIN). */
let noUserPin: string;
const made: SoftHsmToken[] = [];

/** The public key pkcs11-tool reads from the token (DER SubjectPublicKeyInfo), as node:crypto sees it. */
const publicKeyOnToken = (t: Tok, label: string) =>
  crypto.createPublicKey({
    key: execFileSync('pkcs11-tool', ['--module', t.modulePath, '--token-label', t.label, '--read-object', '--type', 'pubkey', '--label', label], { env: { ...process.env, SOFTHSM2_CONF: t.confPath }, stdio: 'pipe' }),
    format: 'der',
    type: 'spki',
  });
const keypair = (t: SoftHsmToken, label: string, type: string) => t.pkcs11Tool(['--login', '--pin', t.pin, '--keypairgen', '--key-type', type, '--label', label]);

/** Ends this process's use of SoftHSM2 (C_Finalize), so the next C_Initialize reads softhsm2.conf and the tokens again. */
function finalizeModule(): void {
  const lib = new pkcs11js.PKCS11();
  lib.load(SOFTHSM_MODULE);
  try {
    lib.C_Finalize();
  } catch {
    // Not initialised in this process.
  }
  lib.close();
}

/**
 * An EC P-256 pair whose private key may not sign (CKA_SIGN false; pkcs11-tool always sets CKA_SIGN on a pair it
 * makes), through the PKCS#11 library itself.
 */
function pairThatMayNotSign(t: SoftHsmToken, label: string): void {
  finalizeModule();
  const lib = new pkcs11js.PKCS11();
  lib.load(SOFTHSM_MODULE);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === t.label)!;
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    lib.C_Login(session, pkcs11js.CKU_USER, t.pin);
    const P256 = Buffer.from('06082a8648ce3d030107', 'hex'); // OID 1.2.840.10045.3.1.7 (RFC 5480)
    lib.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [{ type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_LABEL, value: label }, { type: pkcs11js.CKA_EC_PARAMS, value: P256 }, { type: pkcs11js.CKA_VERIFY, value: true }],
      [{ type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_LABEL, value: label }, { type: pkcs11js.CKA_PRIVATE, value: true }, { type: pkcs11js.CKA_SENSITIVE, value: true }, { type: pkcs11js.CKA_SIGN, value: false }],
    );
    lib.C_CloseSession(session);
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

/** A token in the free slot initialised with the SO PIN only: C_Login as the user answers CKR_USER_PIN_NOT_INITIALIZED. */
function tokenWithoutUserPin(label: string): void {
  finalizeModule();
  const lib = new pkcs11js.PKCS11();
  lib.load(SOFTHSM_MODULE);
  lib.C_Initialize();
  try {
    const free = lib.C_GetSlotList(true).find((s) => (lib.C_GetTokenInfo(s).flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0)!;
    // CK_TOKEN_INFO's label is 32 bytes padded with blanks (PKCS#11 v2.40); the binding passes the string as it is.
    lib.C_InitToken(free, `so-${crypto.randomBytes(6).toString('hex')}`, label.padEnd(32, ' '));
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

function makeTokens(): { token: Tok; other: Tok; noUserPin: string } {
  const a = createSoftHsmToken('tf');
  const b = createSoftHsmToken('tf-other');
  made.push(a, b);
  keypair(a, 'ec', 'EC:prime256v1');
  keypair(a, 'p384', 'EC:secp384r1');
  keypair(a, 'rsa', 'rsa:2048');
  keypair(a, 'rsa-short', 'rsa:1024');
  keypair(a, 'rsa-4096', 'rsa:4096');
  keypair(a, 'rsa-4104', 'rsa:4104');
  // A private key whose public object is gone.
  keypair(a, 'half', 'EC:prime256v1');
  a.pkcs11Tool(['--login', '--pin', a.pin, '--delete-object', '--type', 'pubkey', '--label', 'half']);
  // A private key whose public object under the same label is another key's (the 'ec' pair's public key).
  keypair(a, 'mismatch', 'EC:prime256v1');
  a.pkcs11Tool(['--login', '--pin', a.pin, '--delete-object', '--type', 'pubkey', '--label', 'mismatch']);
  const der = path.join(path.dirname(a.confPath), `ec-${a.label}.der`);
  a.pkcs11Tool(['--read-object', '--type', 'pubkey', '--label', 'ec', '-o', der]);
  a.pkcs11Tool(['--login', '--pin', a.pin, '--write-object', der, '--type', 'pubkey', '--label', 'mismatch']);
  fs.rmSync(der);
  keypair(b, 'ec', 'EC:prime256v1');
  keypair(b, 'rsa', 'rsa:2048');
  pairThatMayNotSign(a, 'no-sign');
  const noPin = `tf-no-user-pin-${crypto.randomBytes(4).toString('hex')}`;
  tokenWithoutUserPin(noPin);
  const pick = (t: SoftHsmToken): Tok => ({ modulePath: t.modulePath, confPath: t.confPath, label: t.label, pin: t.pin });
  return { token: pick(a), other: pick(b), noUserPin: noPin };
}

beforeAll(() => {
  if (!presetConf) {
    ({ token, other, noUserPin } = makeTokens());
    return;
  }
  // A mutation run re-runs this file for every mutant: the tokens of the first run are kept in the preset folder
  // and reused (removed with the folder after the run).
  const cache = path.join(path.dirname(presetConf), 'token-factor-tokens-v4.json');
  if (fs.existsSync(cache)) {
    ({ token, other, noUserPin } = JSON.parse(fs.readFileSync(cache, 'utf8')) as { token: Tok; other: Tok; noUserPin: string });
    return;
  }
  ({ token, other, noUserPin } = makeTokens());
  made.length = 0;
  fs.writeFileSync(cache, JSON.stringify({ token, other, noUserPin }));
}, 120_000);

afterAll(async () => {
  for (const t of made.splice(0)) await t.cleanup();
  if (!presetConf) removeSoftHsmFolder();
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; field: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConsoleError) return { code: e.code, message: e.message, field: e.details?.field };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

describe('bindToken (enrolment)', () => {
  it('an EC P-256 pair: the public key returned is the token\'s, ec-p256', async () => {
    const pem = await bindToken({ modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'ec' }, token.pin);
    const kept = crypto.createPublicKey(pem);
    expect(kept.asymmetricKeyType).toBe('ec');
    expect(kept.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(kept.export({ format: 'der', type: 'spki' }).equals(publicKeyOnToken(token, 'ec').export({ format: 'der', type: 'spki' }))).toBe(true);
    expect(tokenKeyType(pem)).toBe('ec-p256');
  });

  it('an RSA 2048 pair: the public key returned is the token\'s, rsa-2048', async () => {
    const pem = await bindToken({ modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'rsa' }, token.pin);
    const kept = crypto.createPublicKey(pem);
    expect(kept.asymmetricKeyType).toBe('rsa');
    expect(kept.export({ format: 'der', type: 'spki' }).equals(publicKeyOnToken(token, 'rsa').export({ format: 'der', type: 'spki' }))).toBe(true);
    expect(tokenKeyType(pem)).toBe('rsa-2048');
  });

  it('RSA 4096 bits, the largest accepted, is bound: rsa-4096', async () => {
    const pem = await bindToken({ modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'rsa-4096' }, token.pin);
    expect(tokenKeyType(pem)).toBe('rsa-4096');
  });

  it('each refusal names its field (the table of docs/operators.md)', async () => {
    const ref = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'ec' };
    // [input, pin, code, field, message] written from the docs and the module's messages.
    const CASES: Array<[typeof ref, string, string, string, RegExp]> = [
      [{ ...ref, modulePath: 'relative/libsofthsm2.so' }, token.pin, 'invalid_input', 'modulePath', /must be an absolute path/],
      [{ ...ref, modulePath: '/usr/lib/no-such-pkcs11-module.so' }, token.pin, 'invalid_input', 'modulePath', /does not exist/],
      [{ ...ref, modulePath: '/usr/lib/x86_64-linux-gnu/libz.so.1' }, token.pin, 'provider_unavailable', 'modulePath', /^The second-factor token could not be used: .*could not be loaded/],
      [{ ...ref, tokenLabel: 'no such token' }, token.pin, 'provider_unavailable', 'tokenLabel', /^The second-factor token could not be used: .*is not present in module/],
      [ref, 'not-the-pin', 'wrong_second_factor', 'pin', /^The token refused the PIN\.$/],
      [{ ...ref, keyLabel: 'no such key' }, token.pin, 'wrong_second_factor', 'keyLabel', /^The token holds no EC P-256 or RSA key pair labelled no such key\.$/],
      [{ ...ref, keyLabel: 'p384' }, token.pin, 'wrong_second_factor', 'keyLabel', /^The token's key p384 is not an EC P-256 key\.$/],
      [{ ...ref, keyLabel: 'rsa-short' }, token.pin, 'wrong_second_factor', 'keyLabel', /^The token's RSA key rsa-short has 1024 bits; the console accepts RSA keys of 2048 to 4096 bits\.$/],
      [{ ...ref, keyLabel: 'rsa-4104' }, token.pin, 'wrong_second_factor', 'keyLabel', /^The token's RSA key rsa-4104 has 4104 bits; the console accepts RSA keys of 2048 to 4096 bits\.$/],
      [{ ...ref, keyLabel: 'half' }, token.pin, 'wrong_second_factor', 'keyLabel', /^The token holds no EC P-256 or RSA key pair labelled half\.$/],
      [{ ...ref, keyLabel: 'mismatch' }, token.pin, 'wrong_second_factor', 'keyLabel', /^The token's key mismatch did not sign a challenge that its public key verifies: it must be an EC P-256 or RSA key pair\.$/],
    ];
    for (const [input, pin, code, field, message] of CASES) {
      const r = await refusal(bindToken(input, pin));
      expect(r, JSON.stringify(input)).toMatchObject({ code, field });
      expect(r.message, JSON.stringify(input)).toMatch(message);
    }
  });
});

describe('tokenProves (unlock)', () => {
  it('the token\'s key proves against its own kept public key (EC and RSA), not against another key\'s', async () => {
    const ec = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'ec' };
    const rsa = { ...ec, keyLabel: 'rsa' };
    const pem = (t: Tok, label: string) => publicKeyOnToken(t, label).export({ format: 'pem', type: 'spki' }).toString();
    expect(await tokenProves(ec, pem(token, 'ec'), token.pin)).toBe(true);
    expect(await tokenProves(rsa, pem(token, 'rsa'), token.pin)).toBe(true);
    // Another token holding a key under the same label: the kept key decides.
    expect(await tokenProves({ ...ec, tokenLabel: other.label }, pem(token, 'ec'), other.pin)).toBe(false);
    expect(await tokenProves({ ...rsa, tokenLabel: other.label }, pem(token, 'rsa'), other.pin)).toBe(false);
    // A kept key of the other kind.
    expect(await tokenProves(ec, pem(token, 'rsa'), token.pin)).toBe(false);
    expect(await tokenProves(rsa, pem(token, 'ec'), token.pin)).toBe(false);
  });

  it('a refused PIN is wrong_second_factor with no field; a token not present is provider_unavailable', async () => {
    const ec = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'ec' };
    const kept = publicKeyOnToken(token, 'ec').export({ format: 'pem', type: 'spki' }).toString();
    expect(await refusal(tokenProves(ec, kept, 'not-the-pin'))).toEqual({ code: 'wrong_second_factor', message: 'The token refused the PIN.', field: undefined });
    const gone = await refusal(tokenProves({ ...ec, tokenLabel: 'no such token' }, kept, token.pin));
    expect(gone).toMatchObject({ code: 'provider_unavailable', field: undefined });
  });
});

describe('tokenKeyType', () => {
  it('names RSA keys by their modulus size', () => {
    const rsa3072 = crypto.generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(tokenKeyType(rsa3072)).toBe('rsa-3072');
  });
});

/** Runs fn with the token's softhsm2.conf holding `lines` more, SoftHSM2 re-initialised from it; restores both after. */
async function withSoftHsmConf<T>(t: Tok, lines: (conf: string) => string, fn: () => Promise<T>): Promise<T> {
  const conf = fs.readFileSync(t.confPath, 'utf8');
  try {
    fs.writeFileSync(t.confPath, lines(conf));
    finalizeModule();
    return await fn();
  } finally {
    fs.writeFileSync(t.confPath, conf);
    finalizeModule();
  }
}

/** The mechanisms SoftHSM2 now offers for the token (a fresh C_Initialize), to check the set-up. */
function mechanismsOf(t: Tok): number[] {
  const lib = new pkcs11js.PKCS11();
  lib.load(SOFTHSM_MODULE);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === t.label)!;
    return lib.C_GetMechanismList(slot);
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

describe('a token that does not offer CKM_RSA_PKCS_PSS (docs/operators.md, the third row of the signing table)', () => {
  it('RSA signs with CKM_RSA_PKCS over the SHA-256 DigestInfo: bound and proven against the token\'s own key; EC unchanged', async () => {
    const spki = (label: string) => publicKeyOnToken(token, label).export({ format: 'der', type: 'spki' });
    // [key label, keyType recorded] (docs/operators.md: ec-p256 or rsa-<bits>).
    const KEYS: Array<[string, string]> = [['rsa', 'rsa-2048'], ['rsa-4096', 'rsa-4096'], ['ec', 'ec-p256']];
    const onToken = new Map(KEYS.map(([label]) => [label, spki(label)]));
    const otherRsa = publicKeyOnToken(other, 'rsa').export({ format: 'pem', type: 'spki' }).toString();
    // softhsm2.conf(5): slots.mechanisms lists the mechanisms offered (a "-" list did not take effect in SoftHSM 2.6.1).
    await withSoftHsmConf(token, (conf) => `${conf}slots.mechanisms = CKM_RSA_PKCS,CKM_ECDSA\n`, async () => {
      const offered = mechanismsOf(token);
      expect(offered).not.toContain(pkcs11js.CKM_RSA_PKCS_PSS);
      expect(offered).toContain(pkcs11js.CKM_RSA_PKCS);
      for (const [label, keyType] of KEYS) {
        const ref = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: label };
        const pem = await bindToken(ref, token.pin);
        expect(crypto.createPublicKey(pem).export({ format: 'der', type: 'spki' }).equals(onToken.get(label)!), label).toBe(true);
        expect(tokenKeyType(pem)).toBe(keyType);
        expect(await tokenProves(ref, pem, token.pin), label).toBe(true);
      }
      // The kept key decides under v1.5 too.
      expect(await tokenProves({ modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'rsa' }, otherRsa, token.pin)).toBe(false);
    });
  });
});

describe('refusals are decided by the PKCS#11 code, not by the words of a label, a path or a message', () => {
  it('binding: each refusal with its code and field; an unlock: the same code, no field (docs/operators.md)', async () => {
    // A module whose path holds "pin" and "login" that is no PKCS#11 library (not even ELF).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecps-tf-pin-login-'));
    const notAModule = path.join(dir, 'libpin-login.so');
    fs.writeFileSync(notAModule, 'not a shared library\n');
    fs.chmodSync(notAModule, 0o644);
    const ref = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'ec' };
    // [input, code, field at binding, message] from docs/operators.md: a token not present or a module that cannot be
    // loaded is provider_unavailable (not counted at an unlock), whatever its name holds; a key that may not sign is
    // no usable key, wrong_second_factor.
    const CASES: Array<[typeof ref, string, string, RegExp]> = [
      [{ ...ref, tokenLabel: 'PIN pad (not inserted)' }, 'provider_unavailable', 'tokenLabel', /^The second-factor token could not be used: .*is not present in module/],
      [{ ...ref, tokenLabel: 'login token' }, 'provider_unavailable', 'tokenLabel', /^The second-factor token could not be used: .*is not present in module/],
      [{ ...ref, modulePath: notAModule }, 'provider_unavailable', 'modulePath', /^The second-factor token could not be used: .*could not be loaded/],
      [{ ...ref, keyLabel: 'no-sign' }, 'wrong_second_factor', 'keyLabel', /^The token's key no-sign may not sign the challenge \(CKR_KEY_FUNCTION_NOT_PERMITTED\)\.$/],
      [{ ...ref, keyLabel: 'refused the PIN' }, 'wrong_second_factor', 'keyLabel', /^The token holds no EC P-256 or RSA key pair labelled refused the PIN\.$/],
      // A token whose user PIN was never set: C_Login answers CKR_USER_PIN_NOT_INITIALIZED, the PIN refused.
      [{ ...ref, tokenLabel: noUserPin }, 'wrong_second_factor', 'pin', /^The token refused the PIN\.$/],
    ];
    const kept = publicKeyOnToken(token, 'ec').export({ format: 'pem', type: 'spki' }).toString();
    try {
      for (const [input, code, field, message] of CASES) {
        const bound = await refusal(bindToken(input, token.pin));
        expect(bound, JSON.stringify(input)).toEqual({ code, message: expect.stringMatching(message), field });
        const unlock = await refusal(tokenProves(input, kept, token.pin));
        expect(unlock, JSON.stringify(input)).toEqual({ code, message: bound.message, field: undefined });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a module that fails to start (SoftHSM2 without its token folder: C_Initialize answers CKR_GENERAL_ERROR) is provider_unavailable naming no field', async () => {
    const ref = { modulePath: token.modulePath, tokenLabel: token.label, keyLabel: 'ec' };
    const missing = path.join(path.dirname(token.confPath), 'no-such-token-folder');
    await withSoftHsmConf(token, (conf) => conf.replace(/^directories\.tokendir = .*$/m, `directories.tokendir = ${missing}`), async () => {
      try {
        await bindToken(ref, token.pin);
        expect.unreachable('the binding should fail');
      } catch (e) {
        expect(e).toBeInstanceOf(ConsoleError);
        const err = e as ConsoleError;
        expect(err.code).toBe('provider_unavailable');
        expect(err.message).toMatch(/^The second-factor token could not be used: .*C_Initialize.*CKR_GENERAL_ERROR/);
        // Names no input: no details at all (a `field` key, even undefined, would be said beside some field).
        expect(err.details).toBeUndefined();
      }
    });
    // The module works again with its own configuration.
    expect(await tokenProves(ref, publicKeyOnToken(token, 'ec').export({ format: 'pem', type: 'spki' }).toString(), token.pin)).toBe(true);
  });
});
