// The enrol dialog's own check of a pasted or picked text before it is sent (docs/two-person-control.md "Approval
// files"): a private key never leaves the page; an empty field asks for the key. The main process checks the rest
// (a PEM public key, Ed25519, not revoked) and refuses a private key too.

/** Said before sending, as the main process would (approvalFile.ts readApprovalPublicKey). */
export const PRIVATE_KEY_REFUSAL = 'This is a private key: never give it to the console. Enrol the public key that approvals keygen printed.';
export const EMPTY_KEY_REFUSAL = 'Paste the public key or choose its file.';

/** The window's own refusal of a text before it is sent (null: send it). */
export function localKeyRefusal(pem: string): string | null {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) return PRIVATE_KEY_REFUSAL;
  if (pem.trim() === '') return EMPTY_KEY_REFUSAL;
  return null;
}

/** The fingerprint's short form (its first 16 hex digits and an ellipsis), as the enrol dialog and the Operators screen show it. */
export const shortFingerprint = (fingerprint: string): string => `${fingerprint.slice(0, 16)}…`;
