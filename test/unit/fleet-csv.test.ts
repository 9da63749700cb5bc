// The fleet CSV format: RFC 4180 parsing with line numbers, row validation naming line and column, and export that
// neutralises spreadsheet formulas.
import { describe, expect, it } from 'vitest';
import { isConsoleError } from '../../shared/errors.ts';
import { canRobotTransition, ROBOT_STATUSES, ROBOT_TRANSITIONS } from '../../shared/domain.ts';
import { neutraliseFormula, parseCsvRecords, parseFleetCsv, writeFleetCsv } from '../../electron/services/fleet/fleetCsv.ts';

const HEADER = 'device_id,name,model,site,firmware,tags,status';

function errorOf(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (isConsoleError(e)) return { code: e.code, message: e.message, details: e.details ?? {} };
    throw e;
  }
  throw new Error('expected a ConsoleError');
}

describe('fleet CSV', () => {
  it('parses quoted fields with commas, doubled quotes and line breaks, and counts lines from where a record starts', () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\n"two\nlines",z\n\nlast,1';
    expect(parseCsvRecords(text)).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 3, cells: ['two\nlines', 'z'] },
      { line: 6, cells: ['last', '1'] },
    ]);
  });

  it('refuses an unclosed quote and a quote inside an unquoted field, naming the line', () => {
    expect(errorOf(() => parseCsvRecords('a\n"open,b\n')).message).toMatch(/^Line 2: a quoted field is never closed/);
    expect(errorOf(() => parseCsvRecords('a\nb"c\n')).details).toMatchObject({ line: 2 });
  });

  it('validates every row and names the line and column of the first bad cell', () => {
    const good = `${HEADER}\nrobot-001,Arm one,UV-7,Plant 1,1.0.0,line-a;night,manufactured\n`;
    expect(parseFleetCsv(good)).toEqual([
      { line: 2, deviceId: 'robot-001', name: 'Arm one', model: 'UV-7', site: 'Plant 1', firmware: '1.0.0', tags: ['line-a', 'night'], status: 'manufactured' },
    ]);
    const badStatus = `${HEADER}\nrobot-001,A,UV-7,P1,1,,manufactured\nrobot-002,B,UV-7,P1,1,,flying\n`;
    const e = errorOf(() => parseFleetCsv(badStatus));
    expect(e.code).toBe('invalid_input');
    expect(e.details).toMatchObject({ line: 3, field: 'status', column: 7 });
    expect(e.message).toMatch(/^Line 3, column status: .*Nothing was imported\.$/);
    expect(errorOf(() => parseFleetCsv(`${HEADER}\nr!,A,UV-7,P1,1,,deployed\n`)).details).toMatchObject({ line: 2, field: 'device_id' });
    expect(errorOf(() => parseFleetCsv(`${HEADER}\nrobot-1,A,UV-7,P1,1,,deployed,extra\n`)).message).toMatch(/expected 7 fields, found 8/);
    expect(errorOf(() => parseFleetCsv('id,name\n')).message).toMatch(/header must be exactly/);
    // A header-only file imports nothing and says so (issue 12: it used to report "Imported 0 robots" as a success).
    for (const headerOnly of [HEADER, `${HEADER}\n`, `${HEADER}\r\n\r\n`]) {
      const h = errorOf(() => parseFleetCsv(headerOnly));
      expect(h.code).toBe('invalid_input');
      expect(h.message).toMatch(/^Line 1: the file has the header but no robot rows.*Nothing was imported\.$/);
    }
    expect(errorOf(() => parseFleetCsv(`${HEADER}\nrobot-1,A,M,S,1,,deployed\nROBOT-1,B,M,S,1,,deployed\n`)).message).toMatch(/Line 3, column device_id: .*already appears on line 2/);
  });

  it('escapes cells that a spreadsheet would run as a formula, and quotes what needs quoting', () => {
    expect(['=1+1', '+x', '-2', '@SUM(A1)', 'plain'].map(neutraliseFormula)).toEqual(["'=1+1", "'+x", "'-2", "'@SUM(A1)", 'plain']);
    const { content, count } = writeFleetCsv([
      { deviceId: 'robot-1', name: '=HYPERLINK("http://evil")', model: 'M, v2', site: 'S', firmware: '-1', tags: ['a', 'b'], status: 'deployed' },
    ]);
    expect(count).toBe(1);
    expect(content).toBe(`${HEADER}\r\nrobot-1,"'=HYPERLINK(""http://evil"")","M, v2",S,'-1,a;b,deployed\r\n`);
    expect(parseCsvRecords(content)[1]!.cells[1]).toBe(`'=HYPERLINK("http://evil")`);
  });
});

describe('robot status lifecycle', () => {
  it('follows manufactured -> provisioned -> deployed -> quarantined / revoked -> decommissioned and nothing else', () => {
    expect(canRobotTransition('manufactured', 'provisioned')).toBe(true);
    expect(canRobotTransition('provisioned', 'deployed')).toBe(true);
    expect(canRobotTransition('deployed', 'quarantined')).toBe(true);
    expect(canRobotTransition('quarantined', 'deployed')).toBe(true);
    expect(canRobotTransition('deployed', 'revoked')).toBe(true);
    expect(canRobotTransition('revoked', 'decommissioned')).toBe(true);
    expect(canRobotTransition('manufactured', 'deployed')).toBe(false);
    expect(canRobotTransition('revoked', 'deployed')).toBe(false);
    expect(canRobotTransition('decommissioned', 'manufactured')).toBe(false);
    for (const s of ROBOT_STATUSES) {
      expect(canRobotTransition(s, s)).toBe(false);
      expect(ROBOT_TRANSITIONS.decommissioned).toEqual([]);
    }
  });
});
