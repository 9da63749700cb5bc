// The fleet registry as CSV: RFC 4180 (quoted fields, "" for a quote, CRLF or LF line ends), a header row
// device_id,name,model,site,firmware,tags,status, tags separated by ';'. Parsing names the line and column of the
// first bad cell; writing escapes cells that a spreadsheet would run as a formula (CSV injection).
import { z } from 'zod';
import { ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { DeviceIdSchema, fleetChannels } from '../../../shared/fleetContract.ts';

export const FLEET_CSV_COLUMNS = ['device_id', 'name', 'model', 'site', 'firmware', 'tags', 'status'] as const;

export interface CsvRobot {
  /** Line of the file on which the row starts (the header is line 1). */
  line: number;
  deviceId: string;
  name: string;
  model: string;
  site: string;
  firmware: string;
  tags: string[];
  status: RobotStatus;
}

interface CsvRecord {
  /** Line of the file (1-based) on which the record starts. */
  line: number;
  cells: string[];
}

export const csvError = (line: number, field: string | null, message: string) =>
  new ConsoleError('invalid_input', `Line ${line}${field ? `, column ${field}` : ''}: ${message}. Nothing was imported.`, {
    line,
    field,
    ...(field ? { column: FLEET_CSV_COLUMNS.indexOf(field as (typeof FLEET_CSV_COLUMNS)[number]) + 1 } : {}),
  });

/** Splits RFC 4180 text into records, each with the line it starts on. Blank lines are skipped. */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    for (;;) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw csvError(start, null, 'a quoted field is never closed');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
            } else {
              i++;
              break;
            }
          } else {
            if (c === '\n') line++;
            cell += c;
            i++;
          }
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') throw csvError(line, null, 'text after a closing quote');
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw csvError(line, null, 'a quote inside an unquoted field');
          cell += text[i++];
        }
      }
      cells.push(cell);
      cell = '';
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: start, cells });
  }
  return records;
}

const ROW_FIELDS: Record<(typeof FLEET_CSV_COLUMNS)[number], z.ZodType> = (() => {
  const create = fleetChannels['fleet:create'].input.shape;
  return {
    device_id: DeviceIdSchema,
    name: create.name,
    model: create.model,
    site: create.site,
    firmware: create.firmware,
    tags: create.tags,
    status: z.enum(ROBOT_STATUSES),
  };
})();

/** Parses and validates the whole file; throws on the first bad line (invalid_input with details.line and .field). */
export function parseFleetCsv(text: string): CsvRobot[] {
  const records = parseCsvRecords(text);
  const header = records.shift();
  if (!header) throw csvError(1, null, 'the file is empty; expected the header ' + FLEET_CSV_COLUMNS.join(','));
  const names = header.cells.map((c) => c.trim().toLowerCase());
  if (names.join(',') !== FLEET_CSV_COLUMNS.join(',')) throw csvError(header.line, null, `the header must be exactly ${FLEET_CSV_COLUMNS.join(',')}`);
  // A header and nothing else is almost always the wrong file (or an export of an empty registry): importing "0 robots"
  // would read as success, so it is refused like any other unusable file (issue 12).
  if (records.length === 0) throw csvError(header.line, null, 'the file has the header but no robot rows; add one robot per line under it');
  const seen = new Map<string, number>();
  return records.map(({ line, cells }) => {
    if (cells.length !== FLEET_CSV_COLUMNS.length) throw csvError(line, null, `expected ${FLEET_CSV_COLUMNS.length} fields, found ${cells.length}`);
    const values: Record<string, unknown> = {};
    FLEET_CSV_COLUMNS.forEach((column, idx) => {
      const raw = cells[idx]!;
      const input = column === 'tags' ? (raw.trim() === '' ? [] : raw.split(';').map((t) => t.trim())) : raw;
      const parsed = ROW_FIELDS[column].safeParse(input);
      if (!parsed.success) throw csvError(line, column, parsed.error.issues[0]?.message ?? 'invalid value');
      values[column] = parsed.data;
    });
    const deviceId = values.device_id as string;
    const earlier = seen.get(deviceId.toLowerCase());
    if (earlier !== undefined) throw csvError(line, 'device_id', `device id ${deviceId} already appears on line ${earlier}`);
    seen.set(deviceId.toLowerCase(), line);
    return {
      line,
      deviceId,
      name: values.name as string,
      model: values.model as string,
      site: values.site as string,
      firmware: values.firmware as string,
      tags: values.tags as string[],
      status: values.status as RobotStatus,
    };
  });
}

/** A cell a spreadsheet would evaluate (= + - @, or a tab / CR that some treat alike) gets a leading apostrophe. */
export function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function quoteCell(cell: string): string {
  const safe = neutraliseFormula(cell);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV document (CRLF line ends, as RFC 4180 writes them). */
export function writeFleetCsv(robots: Iterable<Omit<CsvRobot, 'line'>>): { content: string; count: number } {
  const lines = [FLEET_CSV_COLUMNS.join(',')];
  for (const r of robots) {
    lines.push([r.deviceId, r.name, r.model, r.site, r.firmware, r.tags.join(';'), r.status].map(quoteCell).join(','));
  }
  return { content: lines.join('\r\n') + '\r\n', count: lines.length - 1 };
}
