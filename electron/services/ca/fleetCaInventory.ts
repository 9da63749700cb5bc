// Inventory view of issued certificates (status and days to expiry, from the injected clock) and the input checks of
// the fleet CA: device ids, serial numbers, day and hour counts.
import { ConsoleError } from '../../../shared/errors.ts';
import type { FleetCertRow } from '../../store/fleetCaRepo.ts';

const DAY_MS = 86_400_000;

/** Device ids go into a CN and a URN: letters, digits and . _ : - only, 1..64 characters, starting with a letter or digit. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export interface FleetCertificateInfo {
  serial: string;
  deviceId: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  status: 'valid' | 'expired' | 'revoked';
  /** Whole days until notAfter (negative once expired). */
  daysToExpiry: number;
  revokedAt: string | null;
  revocationReason: string | null;
}

export function certificateInfo(row: FleetCertRow, nowMs: number): FleetCertificateInfo {
  const notAfterMs = Date.parse(row.notAfter);
  const status = row.revokedAt !== null ? 'revoked' : notAfterMs <= nowMs ? 'expired' : 'valid';
  return {
    serial: row.serial,
    deviceId: row.deviceId,
    subject: row.subject,
    notBefore: row.notBefore,
    notAfter: row.notAfter,
    issuedAt: row.issuedAt,
    status,
    daysToExpiry: Math.floor((notAfterMs - nowMs) / DAY_MS),
    revokedAt: row.revokedAt,
    revocationReason: row.revocationReason,
  };
}

export function checkDeviceId(deviceId: string): void {
  if (!DEVICE_ID_PATTERN.test(deviceId)) {
    throw new ConsoleError('invalid_input', 'The device id must be 1..64 letters, digits or . _ : - characters.', { reason: 'device_id_invalid' });
  }
}

export function checkPositiveInt(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ConsoleError('invalid_input', `${name} must be a whole number from 1 to ${max}.`, { reason: `${name}_invalid` });
  }
  return value;
}

/** Accepts hex with or without ':' separators, any case; returns lower-case hex. */
export function normaliseSerial(serial: string): string {
  // Already lower-case hex (the store's form, 20,000 calls in a 10,000-certificate emergency run): as it is.
  if (typeof serial === 'string' && serial.length % 2 === 0 && /^[0-9a-f]{2,40}$/.test(serial)) return serial;
  const hex = typeof serial === 'string' ? serial.replace(/:/g, '').toLowerCase() : '';
  if (!/^[0-9a-f]{2,40}$/.test(hex) || hex.length % 2 !== 0) {
    throw new ConsoleError('invalid_input', 'The serial number must be hexadecimal.', { reason: 'serial_invalid' });
  }
  return hex;
}
