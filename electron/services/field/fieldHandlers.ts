// The field:* channel handlers (shared/fieldContract.ts, docs/field-link.md) over the field link.
import type { Handlers } from '../../../shared/contract.ts';
import type { Session } from '../session/session.ts';
import type { FieldLink } from './fieldLink.ts';

export function createFieldHandlers(link: FieldLink, session: Pick<Session, 'require'>): Pick<Handlers, 'field:status' | 'field:start' | 'field:stop'> {
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
  };
}
