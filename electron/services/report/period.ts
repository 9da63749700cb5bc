// The report's period: two bounds as an officer types them (a date, or an ISO date-time with an offset), parsed into
// an inclusive UTC range. A date as `from` is that day's first millisecond, as `to` its last. Bad input is refused with
// invalid_input naming the field.
import { ConsoleError } from '../../../shared/errors.ts';
import type { ReportPeriod } from '../../store/reportRepo.ts';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

function parseBound(text: string, field: 'from' | 'to'): number {
  const value = text.trim();
  const date = DATE.exec(value);
  let ms = Number.NaN;
  if (date) {
    ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    // Date.UTC rolls 2026-02-30 over into March: a date that does not round-trip does not exist.
    if (new Date(ms).toISOString().slice(0, 10) !== value) ms = Number.NaN;
    else if (field === 'to') ms += DAY_MS - 1;
  } else if (DATE_TIME.test(value)) {
    ms = Date.parse(value);
  }
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(9999, 0, 1)) {
    throw new ConsoleError('invalid_input', `${field} must be a date (2026-03-01) or an ISO date-time with an offset (2026-03-01T00:00:00Z), from the year 2000; got "${value.slice(0, 40)}".`, { field });
  }
  return ms;
}

export function parsePeriod(from: string, to: string): ReportPeriod {
  const fromMs = parseBound(from, 'from');
  const toMs = parseBound(to, 'to');
  if (fromMs > toMs) {
    throw new ConsoleError('invalid_input', `The period is reversed: from (${new Date(fromMs).toISOString()}) is after to (${new Date(toMs).toISOString()}).`, { field: 'from' });
  }
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), fromMs, toMs };
}
