// The field:* channels (issues 13 and 15, docs/field-link.md), spread into `contract` in contract.ts: the field link,
// an opt-in mutual-TLS listener over which robots reachable only by network poll for what a station would give them
// (due key versions in signed bundles, lockdown orders in scope, the newest CRL). Nothing here carries key material.
import { z } from 'zod';
import { channel } from './channel.ts';

const IsoTime = z.string().datetime({ offset: true });

/** A listen address: a host name or IP address, and a TCP port (0: any free port). */
export const FieldListenInput = z
  .object({
    host: z.string().trim().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address'),
    port: z.number().int().min(0).max(65_535),
    /** How many days the listener's server certificate is valid (1-397, default 30). */
    certificateDays: z.number().int().min(1).max(397).optional(),
  })
  .strict();
export type FieldListenInput = z.infer<typeof FieldListenInput>;

export const FieldContact = z.object({
  deviceId: z.string(),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
  lastAddress: z.string(),
  /** How the last poll ended: up_to_date, installed, or a refusal / failure code. */
  lastResult: z.string(),
  polls: z.number().int().nonnegative(),
});
export type FieldContact = z.infer<typeof FieldContact>;

export const FieldStatus = z.object({
  running: z.boolean(),
  host: z.string().nullable(),
  port: z.number().int().nullable(),
  /** The server certificate the listener presents (issued by the fleet CA when it started). */
  certificate: z.object({ serial: z.string(), notAfter: IsoTime }).nullable(),
  startedAt: IsoTime.nullable(),
  /** Robots seen over the link, most recent first (at most 200). */
  contacts: z.array(FieldContact),
});
export type FieldStatus = z.infer<typeof FieldStatus>;

const Empty = z.object({}).strict();

/**
 * The stored setting "start the field link when the console unlocks" (console_settings `field_link_autostart`): on
 * which address, and the server certificate's validity. Honoured by the window, `serve` and the headless `scheduler`
 * and `field` commands; one-shot CLI commands never start the link.
 */
export const FieldAutostart = z
  .object({
    enabled: z.boolean(),
    host: z.string().trim().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address'),
    /** A fixed port (1-65535): robots are configured with it. */
    port: z.number().int().min(1).max(65_535),
    /** Days of validity of the server certificate (1-397; absent: 30). */
    certificateDays: z.number().int().min(1).max(397).optional(),
  })
  .strict();
export type FieldAutostart = z.infer<typeof FieldAutostart>;

export const fieldChannels = {
  /** The listener's state and the robots seen over it. */
  'field:status': channel(Empty, FieldStatus),
  /** Starts the listener (a server certificate from the fleet CA; illegal_transition when running; unavailable when the address cannot be bound). */
  'field:start': channel(FieldListenInput, FieldStatus),
  /** Stops the listener (sessions in progress are cut; nothing when stopped). */
  'field:stop': channel(Empty, FieldStatus),
  /** The stored "start at unlock" setting (disabled on 0.0.0.0:8443 until an officer sets one). */
  'field:autostart': channel(Empty, FieldAutostart),
  /** Stores the "start at unlock" setting (audited settings.field_link); it applies from the next unlock. */
  'field:setAutostart': channel(FieldAutostart, FieldAutostart),
} as const;
