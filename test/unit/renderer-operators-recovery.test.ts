// Pure helpers of the Operators screen and the recovery ceremony: the policy form's values to and from the contract's
// policy (lifetime in minutes, M as typed), a lifetime in words, share lines as pasted, whose share a line is, and each
// share refusal of the main process in words with the share it names; the recovery codes left in words, a warning at
// two or fewer. Expectations come from the tables below
// (docs/recovery-and-backup.md "The recovery ceremony", docs/two-person-control.md "Policies").
import { describe, expect, it } from 'vitest';
import { ApprovalPolicy } from '../../shared/approvalsContract.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import { formOfPolicy, lifetimeInWords, policyOfForm } from '../../renderer/src/operators/policyForm.ts';
import { recoveryCount } from '../../renderer/src/recoveryCodes/recoveryCount.ts';
import { describeShare, shareLines, shareRefusal } from '../../renderer/src/recovery/shareLines.ts';

/** The error as the window holds it: api.ts's ApiError is an Error carrying the envelope's {code, message, details}. */
class ApiError extends Error {
  readonly code: ErrorInfo['code'];
  readonly details: ErrorInfo['details'];
  constructor(info: ErrorInfo) {
    super(info.message);
    this.code = info.code;
    this.details = info.details;
  }
}

describe('approval policy form', () => {
  const policy = { action: 'key.destroy' as const, approvals: 2, roles: ['admin' as const], operators: ['Ann'], ttlSeconds: 86_400 };

  it('shows the lifetime in minutes and gives the same policy back', () => {
    const form = formOfPolicy(policy);
    expect(form).toEqual({ approvals: '2', roles: ['admin'], operators: ['Ann'], ttlMinutes: '1440' });
    expect(policyOfForm('key.destroy', form)).toEqual(policy);
  });

  const typed: Array<[string, string, boolean]> = [
    // approvals, minutes, accepted by the contract's schema
    ['0', '1', true],
    [' 5 ', '43200', true],
    ['6', '60', false], // more than 5 approvals
    ['1', '43201', false], // longer than 30 days
    ['1', '0', false], // shorter than a minute
    ['1.5', '60', false],
    ['', '60', false],
    ['2e1', '60', false],
    ['-1', '60', false],
    ['1', '1.5', false],
  ];
  it.each(typed)('M %j, lifetime %j minutes: accepted %s', (approvals, ttlMinutes, ok) => {
    const next = policyOfForm('key.destroy', { approvals, roles: ['admin'], operators: [], ttlMinutes });
    expect(ApprovalPolicy.safeParse(next).success).toBe(ok);
  });

  const words: Array<[number, string]> = [
    [60, '1 min'],
    [3600, '1 h'],
    [86_400, '1 day'],
    [90_000, '1 day 1 h'],
    [2_592_000, '30 days'],
    [5_400, '1 h 30 min'],
  ];
  it.each(words)('%i s is “%s”', (seconds, text) => expect(lifetimeInWords(seconds)).toBe(text));
});

describe('share lines', () => {
  const share = 'ecps-share1:store-1:set9:2of3:3:Cy%20Chen:0a0b0c:1234abcd';

  it('one share per non-empty line, trimmed, CRLF too', () => {
    expect(shareLines(`  a \r\n\n b\n   \n`)).toEqual(['a', 'b']);
    expect(shareLines('')).toEqual([]);
  });

  it('reads whose share a line is, and nothing from a line that is not one', () => {
    expect(describeShare(share)).toEqual({ custodian: 'Cy Chen', index: 3, threshold: 2, count: 3, setId: 'set9' });
    expect(describeShare('ecps-share2:store-1:set9:2of3:3:Cy:0a:1234abcd')).toBeNull();
    expect(describeShare('ecps-share1:store-1:set9:2-3:3:Cy:0a:1234abcd')).toBeNull();
    expect(describeShare('ecps-share1:store-1:set9:2of3:3:Cy')).toBeNull();
    expect(describeShare('ecps-share1:store-1:set9:2of3:3:%E0%A4%A:0a:1234abcd')).toBeNull();
  });

  const refusals: Array<[Record<string, unknown>, number | null, string]> = [
    [{ reason: 'share_malformed', share: 2 }, 2, 'This line is not a recovery share: check that it was copied whole, from “ecps-share1:” to its end.'],
    [{ reason: 'share_checksum', share: 1 }, 1, 'This share does not match its checksum: it was mistyped or damaged. Check it character by character.'],
    [{ reason: 'share_foreign_store', share: 3 }, 3, 'This share belongs to another key store, not this one.'],
    [{ reason: 'share_mixed_sets', share: 2 }, 2, 'This share is from another share set than the first one: use shares of one set.'],
    [{ reason: 'share_duplicate', share: 2 }, 2, 'This share was already entered above: each custodian’s share counts once.'],
    [{ reason: 'share_altered', share: 1 }, 1, 'This share is not the one this console handed out: it was altered.'],
    [{ reason: 'too_few_shares', needed: 3, given: 2 }, null, 'Too few shares: 2 entered, this set needs 3. Add the shares of more custodians.'],
    [{ reason: 'backup_without_shares' }, null, 'This backup was not split into shares: restore it with its passphrase.'],
  ];
  it.each(refusals)('refusal %j: share %s, “%s”', (details, at, message) => {
    const error = new ApiError({ code: 'invalid_input', message: 'main process words', details: { field: 'shares', ...details } });
    expect(shareRefusal(error)).toEqual({ share: at, message });
  });

  it('other errors are not share refusals', () => {
    expect(shareRefusal(new ApiError({ code: 'integrity_failure', message: 'x', details: { reason: 'master_mismatch' } }))).toBeNull();
    expect(shareRefusal(new ApiError({ code: 'invalid_input', message: 'x', details: { field: 'operator' } }))).toBeNull();
    expect(shareRefusal(new Error('share_checksum'))).toBeNull();
    expect(shareRefusal(null)).toBeNull();
  });
});

describe('recovery codes left', () => {
  // docs/operators.md "Recovery codes": 0-10 codes; two or fewer left is shown as a warning.
  const table: Array<[number, string, boolean]> = [
    [10, '10 recovery codes left', false],
    [9, '9 recovery codes left', false],
    [3, '3 recovery codes left', false],
    [2, '2 recovery codes left', true],
    [1, '1 recovery code left', true],
    [0, '0 recovery codes left', true],
  ];
  it.each(table)('%i left: “%s”, warning %s', (left, text, few) => expect(recoveryCount(left)).toEqual({ text, few }));
});
