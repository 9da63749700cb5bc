// What the PKCS#11 adapter leaves in a real SoftHSM2 token, checked from outside with pkcs11-tool (opensc): the keys
// exist under their versioned labels, are sensitive and never extractable, their secret value cannot be read, and a
// destroyed key is gone from the token. Also the slot list for the Providers screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPkcs11Provider, listSlots } from '../../electron/providers/pkcs11/pkcs11Provider.ts';
import type { KmsProvider } from '../../electron/providers/types.ts';
import { createSoftHsmToken, removeSoftHsmFolder, type SoftHsmToken } from './softhsm-kit.ts';

/** pkcs11-tool --list-objects output, split into one block per object. */
function objectBlocks(listing: string): string[] {
  return listing.split(/\n(?=\S)/).filter((b) => b.trim().length > 0);
}

function blockFor(listing: string, kind: RegExp, label: string): string {
  const block = objectBlocks(listing).find((b) => kind.test(b) && new RegExp(`label:\\s+'?${label.replace(/[/]/g, '\\/')}'?\\s*$`, 'm').test(b));
  if (!block) throw new Error(`no ${String(kind)} object labelled ${label} in:\n${listing}`);
  return block;
}

describe('PKCS#11 keys as pkcs11-tool sees them in SoftHSM2', () => {
  let token: SoftHsmToken;
  let p: KmsProvider;
  beforeAll(() => {
    token = createSoftHsmToken('tool');
    p = createPkcs11Provider({ id: 'hsm', modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin });
  });
  afterAll(async () => {
    await p.close();
    await token.cleanup();
    removeSoftHsmFolder();
  });

  const list = () => token.pkcs11Tool(['--login', '--pin', token.pin, '--list-objects']);

  it('AES, RSA and EC keys are in the token, sensitive and never extractable, with least-privilege usage', async () => {
    await p.createKey({ name: 'storage', spec: 'AES_256', usage: 'encrypt' });
    await p.rotate('storage');
    await p.createKey({ name: 'identity', spec: 'RSA_2048', usage: 'sign' });
    await p.createKey({ name: 'orders', spec: 'EC_P256', usage: 'sign' });
    const listing = list();

    for (const v of [1, 2]) {
      const aes = blockFor(listing, /^Secret Key Object; AES length 32/, `ecps/storage/v${v}`);
      expect(aes).toMatch(/Access:.*\bsensitive\b/);
      expect(aes).toMatch(/Access:.*never extractable/);
      expect(aes).toMatch(/Usage:\s+encrypt, decrypt\s*$/m);
    }
    for (const [label, kind] of [['ecps/identity/v1', /^Private Key Object; RSA/], ['ecps/orders/v1', /^Private Key Object; EC/]] as const) {
      const priv = blockFor(listing, kind, label);
      expect(priv).toMatch(/Access:.*\bsensitive\b/);
      expect(priv).toMatch(/Access:.*never extractable/);
      expect(priv).toMatch(/Usage:\s+sign\s*$/m);
      expect(blockFor(listing, /^Public Key Object/, label)).toMatch(/Usage:\s+verify\s*$/m);
    }
    expect(blockFor(listing, /^Data object/, 'ecps/storage/meta')).toMatch(/application:\s+'ecps-uv'/);
  });

  it('the secret value of a token key cannot be read out', () => {
    let failure: { status: number | null; stderr: string } | null = null;
    try {
      token.pkcs11Tool(['--login', '--pin', token.pin, '--read-object', '--type', 'secrkey', '--label', 'ecps/storage/v1']);
    } catch (e) {
      const err = e as { status: number | null; stderr: Buffer | string };
      failure = { status: err.status, stderr: String(err.stderr) };
    }
    expect(failure?.status).not.toBe(0);
    expect(failure?.stderr).toContain('CKR_ATTRIBUTE_SENSITIVE');
  });

  it('a disabled key has its usage switched off in the token itself', async () => {
    await p.disable('storage');
    expect(blockFor(list(), /^Secret Key Object/, 'ecps/storage/v2')).not.toMatch(/Usage:.*encrypt/);
    await p.enable('storage');
    expect(blockFor(list(), /^Secret Key Object/, 'ecps/storage/v2')).toMatch(/Usage:\s+encrypt, decrypt\s*$/m);
  });

  it('destruction removes every version and the metadata object from the token (C_DestroyObject)', async () => {
    await p.scheduleDestruction('storage', 0);
    const listing = list();
    expect(listing).not.toContain('ecps/storage/');
    expect(listing).toContain('ecps/identity/v1');
    expect((await p.describeKey('storage').catch((e: { kind: string }) => e.kind))).toBe('NotFound');
  });

  it('listSlots describes the token without a PIN', async () => {
    const slots = await listSlots(token.modulePath);
    const mine = slots.find((s) => s.tokenLabel === token.label);
    expect(mine).toMatchObject({ tokenPresent: true, manufacturer: 'SoftHSM project', model: 'SoftHSM v2' });
    expect(mine?.serial).toMatch(/^[0-9a-f]+$/);
    expect(mine?.flags).toEqual(expect.arrayContaining(['TOKEN_INITIALIZED', 'LOGIN_REQUIRED', 'USER_PIN_INITIALIZED']));
    expect(mine?.slotId).toMatch(/^[0-9]+$/);
    expect(token.pkcs11Tool(['--list-slots'])).toContain(`(0x${BigInt(mine!.slotId).toString(16)})`);
    // SoftHSM always offers one free, uninitialised slot besides the initialised tokens.
    expect(slots.some((s) => s.tokenLabel === '' || !(s.flags.includes('TOKEN_INITIALIZED')))).toBe(true);
  });
});
