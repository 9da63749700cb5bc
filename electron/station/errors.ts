// Typed errors of the station (provisioning and distribution sessions). Codes are stable: they appear on screen, in
// the audit and in ERROR frames.
import type { ErrorCode } from '../../shared/errors.ts';

export const STATION_ERROR_CODES = [
  'bad_frame', // a frame failed to decode (CRC, size, version, type) or a payload is malformed
  'bad_crc',
  'frame_oversize',
  'wrong_version',
  'unknown_type',
  'unexpected_message', // a valid frame arrived out of protocol order
  'replayed_message', // a sequence number was reused or a message echoes another session's nonces
  'forged_csr', // the CSR's proof of possession or nonce signature is invalid, or names another device
  'forged_ack', // an ORDER_ACK's signature is not the robot's identity key over this session and this item
  'identity_key_mismatch', // a re-issue CSR names a key that is not the robot's registered identity key
  'bad_chunk', // an ORDER_CHUNK out of order, duplicate, missing, oversize, inconsistent or not matching its digest
  'unknown_robot',
  'already_provisioned',
  'not_provisioned', // distribution: the robot is not provisioned/deployed or has no active certificate of the fleet CA
  'keys_unavailable', // the keys for this robot cannot be delivered (none exists, or an assigned key is not usable)
  'certificate_rejected', // the CA refused the CSR or issued a certificate that does not match it
  'key_confirmation_failed', // the robot's confirmation MAC does not match the transcript
  'timeout', // the robot did not answer within the step's time limit
  'disconnected', // the port closed or failed mid-session (robot unplugged)
  'robot_error', // the robot reported an error in an ERROR frame
  'commit_failed', // recording the robot failed; nothing was committed
  'done_not_delivered', // the commit stands but the DONE frame could not be written: the robot did not hear the end
  'internal',
] as const;

export type StationErrorCode = (typeof STATION_ERROR_CODES)[number];

/** The error code shown by the generic console UI for each station code (shared/errors.ts has no station codes yet). */
export const CONSOLE_CODE: Readonly<Record<StationErrorCode, ErrorCode>> = {
  bad_frame: 'invalid_input',
  bad_crc: 'invalid_input',
  frame_oversize: 'invalid_input',
  wrong_version: 'invalid_input',
  unknown_type: 'invalid_input',
  unexpected_message: 'invalid_input',
  replayed_message: 'integrity_failure',
  forged_csr: 'integrity_failure',
  forged_ack: 'integrity_failure',
  identity_key_mismatch: 'integrity_failure',
  bad_chunk: 'invalid_input',
  unknown_robot: 'not_found',
  already_provisioned: 'illegal_transition',
  not_provisioned: 'illegal_transition',
  keys_unavailable: 'key_disabled',
  certificate_rejected: 'invalid_input',
  key_confirmation_failed: 'integrity_failure',
  timeout: 'provider_unavailable',
  disconnected: 'provider_unavailable',
  robot_error: 'invalid_input',
  commit_failed: 'internal',
  done_not_delivered: 'provider_unavailable',
  internal: 'internal',
};

/** One error class for the station; the message is safe to show and to log (never key material). */
export class StationError extends Error {
  readonly code: StationErrorCode;
  readonly details: Record<string, string | number | boolean | null> | undefined;

  constructor(code: StationErrorCode, message: string, details?: Record<string, string | number | boolean | null>) {
    super(message);
    this.name = 'StationError';
    this.code = code;
    this.details = details;
  }

  /** The {code, message} shape that crosses IPC; the station code travels in details.stationCode. */
  toInfo(): { code: ErrorCode; message: string; details: Record<string, string | number | boolean | null> } {
    return { code: CONSOLE_CODE[this.code], message: this.message, details: { ...this.details, stationCode: this.code } };
  }
}

export function isStationError(e: unknown): e is StationError {
  return e instanceof StationError;
}

export function isStationErrorCode(s: string): s is StationErrorCode {
  return (STATION_ERROR_CODES as readonly string[]).includes(s);
}
