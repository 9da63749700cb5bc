// The window's own words for approval keys and provider health (docs/two-person-control.md "Approval files",
// docs/providers.md "Health check"), from tables written here: which texts the enrol dialog refuses before sending
// (a private key of any PEM label, an empty field) and which it sends for the main process to judge; and the health
// check's summary line.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_KEY_REFUSAL, localKeyRefusal, PRIVATE_KEY_REFUSAL } from '../../renderer/src/approvals/approvalKeyText.ts';
import { healthSummary } from '../../renderer/src/providers/healthSummary.ts';
import { readApprovalPublicKey } from '../../electron/services/approvals/approvalFile.ts';

const ed = crypto.generateKeyPairSync('ed25519');
const KEY_TEXTS: Array<{ what: string; text: string; refusal: string | null }> = [
  { what: 'an Ed25519 public key', text: ed.publicKey.export({ format: 'pem', type: 'spki' }) as string, refusal: null },
  { what: 'a PKCS#8 private key', text: ed.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, refusal: PRIVATE_KEY_REFUSAL },
  { what: 'an encrypted private key', text: ed.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'p' }) as string, refusal: PRIVATE_KEY_REFUSAL },
  { what: 'a traditional RSA private key label', text: '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n', refusal: PRIVATE_KEY_REFUSAL },
  { what: 'a public key pasted after a private one', text: `${ed.publicKey.export({ format: 'pem', type: 'spki' }) as string}-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----`, refusal: PRIVATE_KEY_REFUSAL },
  { what: 'nothing', text: '', refusal: EMPTY_KEY_REFUSAL },
  { what: 'blanks', text: ' \n\t ', refusal: EMPTY_KEY_REFUSAL },
  { what: 'text that is no key (the main process judges it)', text: 'hello', refusal: null },
];

describe('localKeyRefusal', () => {
  it.each(KEY_TEXTS)('$what', ({ text, refusal }) => {
    expect(localKeyRefusal(text)).toBe(refusal);
  });

  it('says a private key is refused in the main process\'s own words (issue 12: one wording), and asks for the key when empty', () => {
    let mainProcess = '';
    try {
      readApprovalPublicKey(KEY_TEXTS[1]!.text);
    } catch (e) {
      mainProcess = (e as Error).message;
    }
    expect(mainProcess).toMatch(/^This is a private key: never give it to the console\./);
    expect(PRIVATE_KEY_REFUSAL).toBe(mainProcess);
    expect(EMPTY_KEY_REFUSAL).toBe('Paste the public key or choose its file.');
  });
});

const SUMMARIES: Array<{ reachable: boolean[]; line: string }> = [
  { reachable: [true], line: 'All 1 provider(s) reachable.' },
  { reachable: [true, true, true], line: 'All 3 provider(s) reachable.' },
  { reachable: [true, false], line: '1 of 2 provider(s) unreachable.' },
  { reachable: [false, false, true, false], line: '3 of 4 provider(s) unreachable.' },
];

describe('healthSummary', () => {
  it.each(SUMMARIES)('$reachable -> $line', ({ reachable, line }) => {
    expect(healthSummary(reachable.map((r) => ({ reachable: r })))).toBe(line);
  });
});
