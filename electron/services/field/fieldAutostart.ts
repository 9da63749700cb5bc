// "Start the field link when the console unlocks" (docs/field-link.md "Starting at unlock"): a console setting
// (console_settings, name `field_link_autostart`, JSON) read and written here, and applied at each unlock by the
// consoles that stay up (the window, `serve`, the headless `scheduler` and `field`). A link that cannot start at unlock
// (the port taken, no fleet CA) leaves the unlock alone: the start is audited as a failed field.start and logged.
import { ConsoleError } from '../../../shared/errors.ts';
import { FieldAutostart } from '../../../shared/fieldContract.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { SettingsRepo } from '../../store/operatorsRepo.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { Session } from '../session/session.ts';
import type { FieldLink } from './fieldLink.ts';

export const FIELD_AUTOSTART_SETTING = 'field_link_autostart';
/** What an unset (or unreadable) setting means: off, with the Station screen's default address. */
export const FIELD_AUTOSTART_DEFAULT: FieldAutostart = { enabled: false, host: '0.0.0.0', port: 8443 };

export interface FieldAutostartService {
  get(): FieldAutostart;
  set(input: unknown): FieldAutostart;
  /** Starts the link on the stored address when the setting is on and the link is not running; never throws. */
  atUnlock(): Promise<void>;
}

export function createFieldAutostart(deps: {
  settings: SettingsRepo;
  link: Pick<FieldLink, 'start' | 'status'>;
  session: Pick<Session, 'require' | 'actor'>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
}): FieldAutostartService {
  const read = (): FieldAutostart => {
    const raw = deps.settings.get(FIELD_AUTOSTART_SETTING);
    if (raw === null) return FIELD_AUTOSTART_DEFAULT;
    try {
      return FieldAutostart.parse(JSON.parse(raw));
    } catch {
      deps.logger.warn('the stored field link autostart setting is unreadable; the link does not start at unlock', {});
      return FIELD_AUTOSTART_DEFAULT;
    }
  };
  return {
    get() {
      deps.session.require();
      return read();
    },
    set(input) {
      deps.session.require();
      const parsed = FieldAutostart.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') || 'setting';
        throw new ConsoleError('invalid_input', `The field link autostart setting is not valid: ${field} ${issue?.message ?? ''}`.trim(), { field });
      }
      const from = read();
      const next = parsed.data;
      deps.transaction(() => {
        deps.settings.set(FIELD_AUTOSTART_SETTING, JSON.stringify(next), new Date(deps.clock.now()).toISOString(), deps.session.actor());
        deps.audit.append({
          actor: deps.session.actor(),
          action: 'settings.field_link',
          targetType: 'store',
          targetId: FIELD_AUTOSTART_SETTING,
          outcome: 'success',
          details: { enabled: next.enabled, host: next.host, port: next.port, certificateDays: next.certificateDays ?? null, wasEnabled: from.enabled },
        });
      });
      return next;
    },
    async atUnlock() {
      let setting: FieldAutostart;
      try {
        setting = read();
      } catch (e) {
        deps.logger.warn('reading the field link autostart setting failed', { error: e instanceof Error ? e.message : String(e) });
        return;
      }
      if (!setting.enabled || deps.link.status().running) return;
      try {
        await deps.link.start({ host: setting.host, port: setting.port, certificateDays: setting.certificateDays });
      } catch (e) {
        // Audited by start (field.start failure); the console stays unlocked and an officer can start it by hand.
        deps.logger.warn('the field link did not start at unlock', { host: setting.host, port: setting.port, error: e instanceof Error ? e.message : String(e) });
      }
    },
  };
}
