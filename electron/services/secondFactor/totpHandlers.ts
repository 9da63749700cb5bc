// Enrolment of an operator's second factor (issue 14, docs/operators.md "Second factor"): an authenticator app (the
// signed-in operator asks for a new secret, sealed under the master key, pending, shown once as an otpauth:// URI and
// base32 text, and confirms it with a code from the app) or a PKCS#11 token's key (tokenFactor.ts); from then on their
// unlock needs the code or the token. One factor at a time. An admin can remove another operator's factor (a lost
// phone or token). Every step audited; the secret and the PIN are never logged, audited or returned again.
import type { Handlers } from '../../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { OperatorsRepo } from '../../store/operatorsRepo.ts';
import type { KdfParams } from '../../store/storeMetaRepo.ts';
import { makeRecoveryCodes, RECOVERY_CODE_COUNT } from '../recoveryCodes/recoveryCodes.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import { newTotpSecret, totpEnrolmentOf, verifyTotp } from './totp.ts';
import { bindToken, tokenKeyType } from './tokenFactor.ts';
import { moduleSlots } from '../../providers/pkcs11/moduleSlots.ts';

export interface TotpHandlerDeps {
  repo: OperatorsRepo;
  session: Session;
  audit: AuditLog;
  clock: Clock;
  /** The KDF parameters recovery codes are hashed with (the store's passphrase KDF). */
  kdf: KdfParams;
  transaction<T>(fn: () => T): T;
  /** Called after each committed change of an operator's second factor or recovery codes: the operators:changed push. */
  onChanged?(name: string): void;
}

type TotpHandlers = Pick<Handlers, 'operators:enrollTotp' | 'operators:confirmTotp' | 'operators:resetTotp' | 'operators:enrollToken' | 'operators:tokenSlots' | 'operators:regenerateRecoveryCodes'>;

export function createTotpHandlers(deps: TotpHandlerDeps): TotpHandlers {
  const { repo, session, audit, clock } = deps;
  const record = (action: string, target: string, outcome: 'success' | 'failure', details?: Record<string, string>) =>
    audit.append({ actor: session.actor(), action, targetType: 'operator', targetId: target, outcome, ...(details ? { details } : {}) });

  /** Runs fn as the signed-in operator; a refusal is audited as a failure of `action` with its code. */
  const audited = async <T>(action: string, target: () => string, fn: () => T | Promise<T>): Promise<T> => {
    session.require();
    try {
      return await fn();
    } catch (e) {
      record(action, target(), 'failure', { code: isConsoleError(e) ? e.code : 'internal' });
      throw e;
    }
  };

  /** A new set of recovery codes for the operator: the codes (shown once) and a store step to run in the factor's transaction. */
  const newRecoveryCodes = async (operator: string) => {
    const { codes, rows } = await makeRecoveryCodes(session.require().storeId, operator, deps.kdf);
    const store = () => {
      repo.replaceRecoveryCodes(operator, rows, new Date(clock.now()).toISOString());
      record('operator.recoveryCode.regenerate', operator, 'success', { count: String(RECOVERY_CODE_COUNT) });
    };
    return { codes, store };
  };

  return {
    'operators:enrollTotp': () =>
      audited('operator.totp_enroll', () => session.actor(), () => {
        const s = session.require();
        const secret = newTotpSecret();
        try {
          const sealed = s.keyring.sealOperatorSecret(s.operator, secret);
          deps.transaction(() => {
            repo.setTotpPending(s.operator, sealed);
            record('operator.totp_enroll', s.operator, 'success');
          });
          return totpEnrolmentOf(secret, s.operator);
        } finally {
          secret.fill(0);
        }
      }),
    'operators:confirmTotp': ({ code }) =>
      audited('operator.totp_enable', () => session.actor(), async () => {
        const s = session.require();
        const t = repo.totp(s.operator);
        if (!t?.pendingSealed) throw new ConsoleError('illegal_transition', 'There is no enrolment to confirm; start the enrolment first.');
        const secret = s.keyring.openOperatorSecret(s.operator, t.pendingSealed);
        if (secret === null) throw new ConsoleError('integrity_failure', 'The pending authenticator secret failed its integrity check; start the enrolment again.');
        try {
          const verdict = verifyTotp({ secret, code, nowMs: clock.now(), lastStep: t.lastStep });
          if (!verdict.ok) throw new ConsoleError('wrong_second_factor', 'The code does not match the new authenticator entry; check the app and its clock, then try the next code.');
          const recovery = await newRecoveryCodes(s.operator);
          deps.transaction(() => {
            repo.activateTotp(s.operator, verdict.step, new Date(clock.now()).toISOString());
            // One factor at a time: an authenticator app replaces a token.
            repo.clearToken(s.operator);
            record('operator.totp_enable', s.operator, 'success', { replaced: t.secretSealed ? 'yes' : 'no' });
            recovery.store();
          });
          deps.onChanged?.(s.operator);
          return { enabled: true as const, recoveryCodes: recovery.codes };
        } finally {
          secret.fill(0);
        }
      }),
    'operators:resetTotp': ({ name }) =>
      audited('operator.totp_reset', () => name, () => {
        const row = repo.get(name);
        if (!row) throw new ConsoleError('not_found', `There is no operator named ${name}.`, { field: 'name' });
        if (!repo.totp(row.name) && !repo.token(row.name)) throw new ConsoleError('illegal_transition', `${row.name} has no second factor to reset.`);
        deps.transaction(() => {
          repo.clearTotp(row.name);
          repo.clearToken(row.name);
          // The codes stood in for that factor: they go with it.
          repo.clearRecoveryCodes(row.name);
          record('operator.totp_reset', row.name, 'success');
        });
        deps.onChanged?.(row.name);
        return { reset: true as const };
      }),
    'operators:enrollToken': ({ modulePath, tokenLabel, keyLabel, pin }) =>
      audited('operator.token_enable', () => session.actor(), async () => {
        const operator = session.require().operator;
        const publicKeyPem = await bindToken({ modulePath, tokenLabel, keyLabel }, pin);
        const recovery = await newRecoveryCodes(operator);
        deps.transaction(() => {
          repo.setToken(operator, { modulePath, tokenLabel, keyLabel, publicKeyPem, enabledAt: new Date(clock.now()).toISOString() });
          // One factor at a time: a token replaces an authenticator app.
          repo.clearTotp(operator);
          record('operator.token_enable', operator, 'success', { device: tokenLabel, keyLabel, keyType: tokenKeyType(publicKeyPem) });
          recovery.store();
        });
        deps.onChanged?.(operator);
        return { enabled: true as const, recoveryCodes: recovery.codes };
      }),
    'operators:regenerateRecoveryCodes': () =>
      audited('operator.recoveryCode.regenerate', () => session.actor(), async () => {
        const operator = session.require().operator;
        if (!repo.token(operator) && !repo.totp(operator)?.secretSealed) {
          throw new ConsoleError('illegal_transition', 'Recovery codes stand in for a second factor: enrol an authenticator app or a token first.');
        }
        const recovery = await newRecoveryCodes(operator);
        deps.transaction(recovery.store);
        deps.onChanged?.(operator);
        return { recoveryCodes: recovery.codes };
      }),
    'operators:tokenSlots': ({ modulePath }) =>
      audited('operator.token_slots', () => session.actor(), async () => {
        const operator = session.require().operator;
        const listed = await moduleSlots(modulePath);
        record('operator.token_slots', operator, 'success', { modulePath, slots: String(listed.slots.length) });
        return listed;
      }),
  };
}
