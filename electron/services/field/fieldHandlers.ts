// The field:* channel handlers (shared/fieldContract.ts, docs/field-link.md) over the field link and its "start at
// unlock" setting.
import type { Handlers } from '../../../shared/contract.ts';
import type { Session } from '../session/session.ts';
import type { FieldAutostartService } from './fieldAutostart.ts';
import type { FieldLink } from './fieldLink.ts';

type FieldChannel = 'field:status' | 'field:start' | 'field:stop' | 'field:autostart' | 'field:setAutostart';

export function createFieldHandlers(link: FieldLink, session: Pick<Session, 'require'>, autostart: FieldAutostartService): Pick<Handlers, FieldChannel> {
  return {
    'field:status': async () => {
      session.require();
      return link.status();
    },
    'field:start': (input) => link.start(input),
    'field:stop': async () => {
      session.require();
      return link.stop();
    },
    'field:autostart': async () => autostart.get(),
    'field:setAutostart': async (input) => autostart.set(input),
  };
}
