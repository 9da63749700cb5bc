// PKCS#11 adapter overhead: encrypt / decrypt / sign latency through createPkcs11Provider versus the raw pkcs11js calls
// doing the same work (same SoftHSM2 token, same key objects, fresh GCM nonce, SHA-256 digest), interleaved; best round.
import crypto from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { createPkcs11Provider } from '../../electron/providers/pkcs11/pkcs11Provider.ts';
import { createSoftHsmToken, removeSoftHsmFolder } from '../integration/softhsm-kit.ts';
import { compareInterleaved } from './interleave.ts';
import type { BenchResult } from './types.ts';

const ROUNDS = 25;
const ITERATIONS = 200;
const TARGET = 1.15;

function findOne(lib: pkcs11js.PKCS11, session: Buffer, cls: number, label: string): Buffer {
  lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_LABEL, value: label }]);
  const [h] = lib.C_FindObjects(session, 1);
  lib.C_FindObjectsFinal(session);
  if (!h) throw new Error(`no object ${label}`);
  return h;
}

export async function run(): Promise<BenchResult[]> {
  const token = createSoftHsmToken('bench');
  const provider = createPkcs11Provider({ id: 'bench', modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin });
  const lib = new pkcs11js.PKCS11();
  let session: Buffer | null = null;
  try {
    await provider.createKey({ name: 'bench-aes', spec: 'AES_256', usage: 'encrypt' });
    await provider.createKey({ name: 'bench-ec', spec: 'EC_P256', usage: 'sign' });
    lib.load(token.modulePath);
    try {
      lib.C_Initialize();
    } catch (e) {
      if (!(e instanceof pkcs11js.Pkcs11Error && e.code === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED)) throw e;
    }
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === token.label)!;
    const s = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    session = s;
    try {
      lib.C_Login(s, pkcs11js.CKU_USER, token.pin);
    } catch (e) {
      if (!(e instanceof pkcs11js.Pkcs11Error && e.code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN)) throw e;
    }
    const aesKey = findOne(lib, s, pkcs11js.CKO_SECRET_KEY, 'ecps/bench-aes/v1');
    const ecKey = findOne(lib, s, pkcs11js.CKO_PRIVATE_KEY, 'ecps/bench-ec/v1');

    const plaintext = crypto.randomBytes(256);
    const aad = Buffer.from('robot-0042|telemetry');
    const { ciphertext } = await provider.encrypt('bench-aes', plaintext, aad);
    const rawIv = crypto.randomBytes(12);
    const gcm = (iv: Buffer) => ({ mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: 96, tagBits: 128 } });
    lib.C_EncryptInit(s, gcm(rawIv), aesKey);
    const rawCiphertext = lib.C_Encrypt(s, plaintext, Buffer.alloc(plaintext.length + 16));
    const message = crypto.randomBytes(64);

    const cases: Array<{ name: string; adapter: () => Promise<unknown>; sdk: () => Promise<unknown> }> = [
      {
        name: 'PKCS#11 adapter encrypt 256 B (AES-256-GCM in SoftHSM2)',
        adapter: () => provider.encrypt('bench-aes', plaintext, aad),
        sdk: async () => {
          lib.C_EncryptInit(s, gcm(crypto.randomBytes(12)), aesKey);
          return lib.C_Encrypt(s, plaintext, Buffer.alloc(plaintext.length + 16));
        },
      },
      {
        name: 'PKCS#11 adapter decrypt 256 B (AES-256-GCM in SoftHSM2)',
        adapter: () => provider.decrypt('bench-aes', ciphertext, aad),
        sdk: async () => {
          lib.C_DecryptInit(s, gcm(rawIv), aesKey);
          return lib.C_Decrypt(s, rawCiphertext, Buffer.alloc(rawCiphertext.length));
        },
      },
      {
        name: 'PKCS#11 adapter sign 64 B (ECDSA P-256 in SoftHSM2)',
        adapter: () => provider.sign('bench-ec', message),
        sdk: async () => {
          lib.C_SignInit(s, { mechanism: pkcs11js.CKM_ECDSA }, ecKey);
          return lib.C_Sign(s, crypto.createHash('sha256').update(message).digest(), Buffer.alloc(64));
        },
      },
    ];

    return await compareInterleaved(cases, {
      warmup: 100, rounds: ROUNDS, iterations: ITERATIONS, targetRatio: TARGET, baselineName: 'the raw pkcs11js calls',
      note: 'same SoftHSM2 token and key objects; raw side: C_*Init + C_* with a fresh nonce / SHA-256 digest',
    });
  } finally {
    if (session !== null) lib.C_CloseSession(session);
    lib.close();
    await provider.close();
    await token.cleanup();
    removeSoftHsmFolder();
  }
}
