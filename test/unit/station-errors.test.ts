// The station's typed errors (electron/station/errors.ts) against the table of docs/provisioning-protocol.md ("Error
// codes"): every station code, the console error code it crosses IPC as, and details.stationCode carrying it.
import { describe, expect, it } from 'vitest';
import { STATION_ERROR_CODES, StationError, isStationError, isStationErrorCode, type StationErrorCode } from '../../electron/station/errors.ts';

// From the docs' table: what the officer's console shows for each station code.
const DOCUMENTED: Record<string, string> = {
  bad_frame: 'invalid_input', bad_crc: 'invalid_input', frame_oversize: 'invalid_input', wrong_version: 'invalid_input', unknown_type: 'invalid_input',
  unexpected_message: 'invalid_input', bad_chunk: 'invalid_input', certificate_rejected: 'invalid_input', robot_error: 'invalid_input',
  replayed_message: 'integrity_failure', forged_csr: 'integrity_failure', forged_ack: 'integrity_failure', identity_key_mismatch: 'integrity_failure',
  key_confirmation_failed: 'integrity_failure',
  unknown_robot: 'not_found',
  already_provisioned: 'illegal_transition', not_provisioned: 'illegal_transition',
  keys_unavailable: 'key_disabled',
  timeout: 'provider_unavailable', disconnected: 'provider_unavailable', done_not_delivered: 'provider_unavailable',
  commit_failed: 'internal', internal: 'internal',
};

describe('station error codes (docs/provisioning-protocol.md, "Error codes")', () => {
  it('are exactly the documented ones', () => {
    expect([...STATION_ERROR_CODES].sort()).toEqual(Object.keys(DOCUMENTED).sort());
  });

  it('each crosses IPC as its documented console code, with the station code and the details kept', () => {
    for (const [code, consoleCode] of Object.entries(DOCUMENTED)) {
      const withDetails = new StationError(code as StationErrorCode, `refused: ${code}`, { deviceId: 'R-1', step: 3, retry: false, port: null });
      expect(withDetails.toInfo(), code).toStrictEqual({ code: consoleCode, message: `refused: ${code}`, details: { deviceId: 'R-1', step: 3, retry: false, port: null, stationCode: code } });
      expect(new StationError(code as StationErrorCode, 'plain').toInfo(), code).toStrictEqual({ code: consoleCode, message: 'plain', details: { stationCode: code } });
    }
  });

  it('a StationError is an Error named StationError with its code, message and details (none when not given)', () => {
    const e = new StationError('timeout', 'no answer', { step: 'CSR' });
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message, e.details]).toStrictEqual(['StationError', 'timeout', 'no answer', { step: 'CSR' }]);
    expect(new StationError('internal', 'x').details).toBeUndefined();
    expect(String(new StationError('bad_crc', 'checksum'))).toBe('StationError: checksum');
  });

  it('isStationError accepts only StationError instances; isStationErrorCode only the documented codes', () => {
    expect(isStationError(new StationError('internal', 'x'))).toBe(true);
    for (const other of [new Error('x'), { code: 'bad_frame', message: 'x' }, 'bad_frame', null, undefined]) expect(isStationError(other)).toBe(false);
    for (const code of Object.keys(DOCUMENTED)) expect(isStationErrorCode(code), code).toBe(true);
    for (const s of ['', 'BAD_FRAME', 'bad frame', 'bad_frame ', 'ok', 'toString', 'invalid_input', 'integrity_failure']) expect(isStationErrorCode(s), s).toBe(false);
  });
});
