// The human output of `approvals list` / `approve` / `deny` / `execute`, `approvals policy list` / `set`, the recovery
// codes, `operators totp enrol` and `operators token slots` (formatApproval, formatApprovalPolicy, formatRecoveryCodes,
// formatTotpEnrolment, formatTokenSlots in electron/ipc/cli/format.ts). docs/cli.md names what each line shows (a
// request: id, state, action with its channel and input summary, requester, approvals so far with `(file)` for a
// signed file, out of M, expiry; a policy: action, M, who may approve: roles, then named operators in quotes, a
// request's life, the default or who set it); docs/operators.md the recovery codes (shown this once) and the token
// slots. Every expected line is written out here by hand; none is taken from the formatter.
import { describe, expect, it } from 'vitest';
import {
  formatApproval,
  formatApprovalPolicy,
  formatRecoveryCodes,
  formatRevokedApprovalKeys,
  formatApprovalKeys,
  formatTokenSlots,
  formatTotpEnrolment,
} from '../../electron/ipc/cli/format.ts';
import type { ApprovalPolicyView, ApprovalRequestView } from '../../shared/approvalsContract.ts';

const T = '2026-12-05T10:00:00.000Z';
const E = '2026-12-06T10:00:00.000Z';
const REQ: ApprovalRequestView = {
  id: 'req-1', action: 'key.destroy', channel: 'keys:setState', inputHash: 'a'.repeat(64),
  summary: { keyId: 'k-1', state: 'destroyed' }, requester: 'alice', createdAt: T, expiresAt: E, state: 'pending',
  required: 2, approvals: [], decidedBy: null, reason: null, executedAt: null, executedBy: null, canApprove: true,
} as unknown as ApprovalRequestView;

const REQUESTS: Array<[string, Partial<ApprovalRequestView>, string]> = [
  ['no approval yet', {}, `req-1  pending  key.destroy (keys:setState keyId=k-1 state=destroyed)  by alice  approvals 0/2: none  expires ${E}`],
  ['one in session', { approvals: [{ approver: 'bob', at: T, via: 'session' }] },
    `req-1  pending  key.destroy (keys:setState keyId=k-1 state=destroyed)  by alice  approvals 1/2: bob  expires ${E}`],
  ['one by signed file, one in session', {
    state: 'approved', approvals: [{ approver: 'carol', at: T, via: 'file' }, { approver: 'bob', at: T, via: 'session' }],
  } as Partial<ApprovalRequestView>, `req-1  approved  key.destroy (keys:setState keyId=k-1 state=destroyed)  by alice  approvals 2/2: carol (file), bob  expires ${E}`],
  ['an input with no fields, M = 1', { summary: {}, required: 1, state: 'denied' } as Partial<ApprovalRequestView>,
    `req-1  denied  key.destroy (keys:setState )  by alice  approvals 0/1: none  expires ${E}`],
  ['a hidden secret in the summary', { summary: { passphrase: '(hidden)' } },
    `req-1  pending  key.destroy (keys:setState passphrase=(hidden))  by alice  approvals 0/2: none  expires ${E}`],
];

describe('approvals list / approve / deny / execute: one request a line', () => {
  it.each(REQUESTS)('%s', (_name, change, line) => {
    expect(formatApproval({ ...REQ, ...change } as ApprovalRequestView)).toBe(line);
  });
});

const POL = { action: 'key.destroy', approvals: 2, roles: [], operators: [], ttlSeconds: 86400, updatedAt: null, updatedBy: null } as unknown as ApprovalPolicyView;

const POLICIES: Array<[string, Record<string, unknown>, string]> = [
  ['the default, no one eligible', {}, 'key.destroy  approvals 2  eligible none  requests live 86400 s  (default)'],
  ['roles only', { roles: ['admin', 'security_officer'] }, 'key.destroy  approvals 2  eligible admin,security_officer  requests live 86400 s  (default)'],
  ['named operators only, in quotes', { operators: ['bob', 'Carol D'] }, 'key.destroy  approvals 2  eligible "bob","Carol D"  requests live 86400 s  (default)'],
  ['roles, then operators; set by someone', { approvals: 1, roles: ['admin'], operators: ['bob'], ttlSeconds: 3600, updatedAt: T, updatedBy: 'alice' },
    `key.destroy  approvals 1  eligible admin,"bob"  requests live 3600 s  (set ${T} by alice)`],
  ['set by someone not known', { approvals: 0, updatedAt: T, updatedBy: null }, `key.destroy  approvals 0  eligible none  requests live 86400 s  (set ${T} by ?)`],
];

describe('approvals policy list / set: one policy a line', () => {
  it.each(POLICIES)('%s', (_name, change, line) => {
    expect(formatApprovalPolicy({ ...POL, ...change } as ApprovalPolicyView)).toBe(line);
  });
});

describe('recovery codes: a heading, then one code a line', () => {
  it('the heading says they work once and stay offline', () => {
    expect(formatRecoveryCodes('new recovery codes', ['aaaa-bbbb', 'cccc-dddd'])).toBe(
      'new recovery codes (each works once; keep them offline):\naaaa-bbbb\ncccc-dddd',
    );
  });
  it('no codes: the heading alone', () => {
    expect(formatRecoveryCodes('Recovery codes', [])).toBe('Recovery codes (each works once; keep them offline):');
  });
});

describe('operators totp enrol: the URI, the secret, what to do next', () => {
  it('four lines', () => {
    const e = { uri: 'otpauth://totp/ECPS:alice?secret=ABC&issuer=ECPS', secret: 'ABC', issuer: 'ECPS', label: 'alice' };
    expect(formatTotpEnrolment(e).split('\n')).toEqual([
      'authenticator entry for alice (issuer ECPS), shown this once:',
      '  uri:    otpauth://totp/ECPS:alice?secret=ABC&issuer=ECPS',
      '  secret: ABC',
      'add it to your authenticator app, then run: operators totp confirm --code NNNNNN',
    ]);
  });
});

const SLOT = { slotId: '0', description: 'd', tokenPresent: true, tokenLabel: 'ecps', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: '1234', loginRequired: true };

describe('operators token slots: a table, one slot a row', () => {
  it('no slots', () => {
    expect(formatTokenSlots({ slots: [] })).toBe('no slots');
  });
  it('a token, an empty slot, and a token with nothing known about it', () => {
    const out = formatTokenSlots({
      slots: [
        SLOT,
        { ...SLOT, slotId: '1', tokenPresent: false, tokenLabel: 'stale', manufacturer: null, model: null, serial: null, loginRequired: null },
        { ...SLOT, slotId: '22', tokenLabel: null, manufacturer: 'Maker', model: '', serial: null, loginRequired: false },
        { ...SLOT, slotId: '3', manufacturer: null, model: 'OnlyModel', loginRequired: null },
      ],
    });
    expect(out.split('\n')).toEqual([
      'SLOT  TOKEN       MAKER/MODEL                 SERIAL  PIN',
      '0     ecps        SoftHSM project SoftHSM v2  1234    yes',
      '1     (no token)',
      '22                Maker                               no',
      '3     ecps        OnlyModel                   1234',
    ]);
  });
});

// approvals revoked-keys (docs/two-person-control.md): operator, fingerprint, revoked at, by whom and why: the admin's
// reason for a removed key, "replaced by a new key" for one its operator replaced; a line when none was revoked.
describe('approvals revoked-keys: one row per revoked key', () => {
  const FP = 'ab'.repeat(32);
  it('prints the header, then each key with why it was revoked', () => {
    const lines = formatRevokedApprovalKeys([
      { operator: 'Kate', fingerprint: FP, enrolledAt: T, revokedAt: E, revokedBy: 'Bea', why: 'removed', reason: 'laptop lost' },
      { operator: 'Ken', fingerprint: FP, enrolledAt: T, revokedAt: T, revokedBy: 'Ken', why: 'replaced', reason: null },
      { operator: 'Otto', fingerprint: FP, enrolledAt: T, revokedAt: T, revokedBy: 'Bea', why: 'removed', reason: null },
    ]).split('\n');
    const pad = (s: string, n: number) => s.padEnd(n);
    expect(lines).toEqual([
      `OPERATOR  ${pad('FINGERPRINT (SHA-256)', 64)}  REVOKED AT                BY   REASON`,
      `Kate      ${FP}  ${E}  Bea  removed: laptop lost`,
      `Ken       ${FP}  ${T}  Ken  replaced by a new key`,
      `Otto      ${FP}  ${T}  Bea  removed: -`,
    ]);
  });

  it('says so when no key has been revoked', () => {
    expect(formatRevokedApprovalKeys([])).toBe('no approval key has been revoked');
  });
});

// approvals keys (docs/two-person-control.md "Who has a key"): operator, fingerprint, enrolled at, in the order given
// (the channel's: newest first); a line when no key is enrolled.
describe('approvals keys: one row per enrolled key', () => {
  const FP1 = 'ab'.repeat(32);
  const FP2 = '0c'.repeat(32);
  it('prints the header, then each key', () => {
    const lines = formatApprovalKeys([
      { operator: 'Otto Officer', fingerprint: FP1, enrolledAt: E, operatorRemoved: false },
      { operator: 'Ken', fingerprint: FP2, enrolledAt: T, operatorRemoved: false },
    ]).split('\n');
    expect(lines).toEqual([
      `OPERATOR      ${'FINGERPRINT (SHA-256)'.padEnd(64)}  ENROLLED AT`,
      `Otto Officer  ${FP1}  ${E}`,
      `Ken           ${FP2}  ${T}`,
    ]);
  });

  it('marks a key left by a removed operator', () => {
    const lines = formatApprovalKeys([
      { operator: 'Ken', fingerprint: FP2, enrolledAt: T, operatorRemoved: false },
      { operator: 'Rita', fingerprint: FP1, enrolledAt: E, operatorRemoved: true },
    ]).split('\n');
    expect(lines).toEqual([
      `${'OPERATOR'.padEnd(23)}  ${'FINGERPRINT (SHA-256)'.padEnd(64)}  ENROLLED AT`,
      `${'Ken'.padEnd(23)}  ${FP2}  ${T}`,
      `Rita (operator removed)  ${FP1}  ${E}`,
    ]);
  });

  it('says so when no key is enrolled', () => {
    expect(formatApprovalKeys([])).toBe('no approval key is enrolled');
  });
});
