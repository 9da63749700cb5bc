// The ca:*, certs:* and station:* channels of the IPC contract (spread into `contract` in contract.ts): the fleet CA
// (its signing key lives in a provider), the certificate inventory and CRL, and the factory provisioning station.
// Nothing here carries key material: certificates and CRLs are public.
import { z } from 'zod';
import { channel } from './channel.ts';
import { CERT_REVOCATION_REASONS, PROVIDER_ID_PATTERN } from './domain.ts';
import { DeviceIdSchema } from './fleetContract.ts';

const IsoTime = z.string().datetime({ offset: true });
const Empty = z.object({}).strict();
export const ProviderId = z.string().regex(PROVIDER_ID_PATTERN, 'must be a provider id (lower-case letters, digits, _ and -, at most 32)');
/** A CA common name: printable, no DN separators (the subject is built as CN=<name>, O=ECPS-UV Fleet). */
export const CommonName = z.string().trim().min(1, 'must not be empty').max(64).regex(/^[A-Za-z0-9 ._()-]+$/, 'letters, digits, space . _ ( ) - only');
const Serial = z.string().regex(/^[0-9A-Fa-f:]{1,64}$/, 'must be a hex serial number');
const PortPath = z.string().min(1).max(512).regex(/^\/[^\u0000-\u001f\u007f]*$/, 'must be an absolute device path');
const UsbId = z.string().regex(/^(0x)?[0-9A-Fa-f]{1,4}$/, 'must be a USB id in hex');

export const CA_ALGORITHMS = ['EC_P256', 'RSA_2048'] as const;
export { CERT_REVOCATION_REASONS } from './domain.ts';
export const STATION_STEPS = ['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done', 'orders', 'bundle', 'install', 'reissue'] as const;
/** Steps of each station mode, in order (the UI shows one chip per step of the port's mode, and after `hello` a
 * `reissue` chip for a distribution that re-issues the robot's certificate and an `orders` chip for one that sends
 * orders or a CRL). */
export const PROVISION_STEPS = ['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done'] as const;
export const DISTRIBUTE_STEPS = ['hello', 'bundle', 'install', 'commit', 'done'] as const;
/** provision: factory provisioning (identity, certificate, first keys); distribute: a key bundle to provisioned robots. */
export const STATION_MODES = ['provision', 'distribute'] as const;
export type StationMode = (typeof STATION_MODES)[number];
export const BUNDLE_DELIVERIES = ['file', 'serial'] as const;
/** issuing: sequence reserved, not yet signed; issued: file handed out (installation not observable); installed: the robot acknowledged over serial; failed. */
export const BUNDLE_STATES = ['issuing', 'issued', 'installed', 'failed'] as const;

export const CaStatus = z.object({
  initialized: z.boolean(),
  providerId: z.string().nullable(),
  keyRef: z.string().nullable(),
  subject: z.string().nullable(),
  certificatePem: z.string().nullable(),
  notAfter: IsoTime.nullable(),
});
export type CaStatus = z.infer<typeof CaStatus>;

export const CertificateInfo = z.object({
  serial: z.string(),
  deviceId: z.string(),
  subject: z.string(),
  notBefore: IsoTime,
  notAfter: IsoTime,
  issuedAt: IsoTime,
  status: z.enum(['valid', 'expired', 'revoked']),
  daysToExpiry: z.number().int(),
  revokedAt: IsoTime.nullable(),
  revocationReason: z.string().nullable(),
});
export type CertificateInfo = z.infer<typeof CertificateInfo>;

export const StationStepSchema = z.enum(STATION_STEPS);
export type StationStep = z.infer<typeof StationStepSchema>;
/**
 * A station error as shown: the station code (bad_crc, forged_csr, timeout, ...) and a message without secrets; for
 * `robot_error`, `robotCode` is the robot's own code from its ERROR frame (bundle_replayed, bundle_ca_distrusted, ...),
 * which the Station screen puts in words (renderer/src/station/orderWords.ts ROBOT_ERROR_WORDS).
 */
export const StationErrorInfo = z.object({ code: z.string(), message: z.string(), robotCode: z.string().max(64).optional() });
export type StationErrorInfo = z.infer<typeof StationErrorInfo>;

/**
 * What became of one lockdown/lift order or CRL the station sent a robot (distribute mode, step `orders`; docs/station.md
 * "Orders and CRLs on the port"): `accepted` by the robot, `refused` by it (`result` its code: out_of_scope, crl_stale,
 * ...), or `answer_refused`: the console refused the robot's ORDER_ACK (`result` forged_ack or replayed_message), so
 * the item stays pending. Ids, numbers, codes and words only.
 */
export const ORDER_ITEM_OUTCOMES = ['accepted', 'refused', 'answer_refused'] as const;
export const StationOrderResult = z
  .object({
    item: z.enum(['order', 'crl']),
    /** An order's sequence, or a CRL's number (CRL numbers count per CA). */
    ref: z.number().int().nonnegative(),
    /** An order's kind; null for a CRL. */
    orderKind: z.enum(['lockdown', 'lift']).nullable(),
    /** An order's scope in words ("site Plant 1", "robots uv-a, uv-b"); null for a CRL. */
    scope: z.string().max(200).nullable(),
    /** A CRL's CA: the current fleet CA, or another (retired or compromised) that issued or was endorsed to the robot; null for an order. */
    ca: z.enum(['current', 'other']).nullable(),
    outcome: z.enum(ORDER_ITEM_OUTCOMES),
    /** `accepted`, the robot's refusal code, or the console's code for a refused answer. */
    result: z.string().min(1).max(64),
    /** The robot's message with its answer (the console's, for a refused answer), at most 200 characters. */
    message: z.string().max(200),
  })
  .strict();
export type StationOrderResult = z.infer<typeof StationOrderResult>;
/** At most this many items in one session (MAX_ORDER_ITEMS of the serial protocol). */
export const MAX_STATION_ORDER_RESULTS = 16;

/**
 * An order or CRL that was pending for the robot when its session started and never sent because the session failed
 * before it (docs/station.md, "Orders and CRLs on the port"): described as in StationOrderResult, without an answer.
 */
export const StationNotSentItem = StationOrderResult.pick({ item: true, ref: true, orderKind: true, scope: true, ca: true }).strict();
export type StationNotSentItem = z.infer<typeof StationNotSentItem>;

/** A port's session as the window sees it: in station:status (with `path`) and in station:progress (with `port`). */
const PortSessionFields = {
  mode: z.enum(STATION_MODES),
  deviceId: z.string().nullable(),
  step: StationStepSchema,
  state: z.enum(['active', 'done', 'failed']),
  error: StationErrorInfo.nullable(),
  /** The robot's answers to the orders and CRLs sent in the port's current (or last) session, in the order sent; [] when none. */
  orders: z.array(StationOrderResult).max(MAX_STATION_ORDER_RESULTS),
  /**
   * The items pending for the robot when the session started that were never sent because it failed first (at hello,
   * reissue or orders), in the order they would have gone; filled at the failed session's end, [] otherwise.
   */
  notSent: z.array(StationNotSentItem).max(MAX_STATION_ORDER_RESULTS),
  /** The session reached the `reissue` step (a robot re-issued a certificate after a CA replacement). */
  reissued: z.boolean(),
};

export const StationPort = z.object({ path: z.string(), ...PortSessionFields });
export type StationPort = z.infer<typeof StationPort>;

export const StationStatus = z.object({
  running: z.boolean(),
  /** The running station's mode (the last one when stopped). */
  mode: z.enum(STATION_MODES),
  /** Robots whose re-provisioning the officer confirmed in this station run and that have not been re-provisioned yet. */
  reprovisionConfirmed: z.array(z.string()),
  ports: z.array(StationPort),
  provisionedThisShift: z.number().int().nonnegative(),
  failedThisShift: z.number().int().nonnegative(),
  /** Key bundles installed over the serial link this shift (distribute mode). */
  distributedThisShift: z.number().int().nonnegative(),
});
export type StationStatus = z.infer<typeof StationStatus>;


export const stationChannels = {
  'ca:status': channel(Empty, CaStatus),
  /** Creates the CA signing key in the provider (provider.createKey) and the self-signed CA certificate; once per store. */
  'ca:init': channel(z.object({ providerId: ProviderId, algorithm: z.enum(CA_ALGORITHMS), commonName: CommonName }).strict(), CaStatus),
  /** A CRL of the current CA, or of a retired or compromised one by id (its CRL stays published). */
  'ca:crl': channel(z.object({ caId: z.string().uuid().optional() }).strict(), z.object({ pem: z.string(), crlNumber: z.number().int().positive(), fileName: z.string(), revoked: z.number().int().nonnegative() })),
  /**
   * The newest CRL already published of the current CA, or of another by id: nothing is signed (ca:crl signs a fresh
   * one, the security officer's); a CRL is public (RFC 5280), so every reader may fetch this one.
   */
  'ca:publishedCrl': channel(
    z.object({ caId: z.string().uuid().optional() }).strict(),
    z.object({ pem: z.string(), crlNumber: z.number().int().positive(), fileName: z.string(), revoked: z.number().int().nonnegative(), thisUpdate: z.string() }),
  ),
  /** The current CA's certificates, or another of the store's CAs' by id (a retired or revoked CA: ca:history). */
  'certs:list': channel(
    z.object({ expiringWithinDays: z.number().int().positive().max(36_500).optional(), caId: z.string().uuid().optional() }).strict(),
    z.object({ certificates: z.array(CertificateInfo) }),
  ),
  /** Field key distribution: a signed bundle of the robot's assigned key versions (key assignment: robot, site, else newest), wrapped to its identity key. */
  'bundles:build': channel(
    z.object({ deviceId: DeviceIdSchema }).strict(),
    z.object({
      fileName: z.string(),
      /** The bundle file, base64 (key material inside is wrapped to the robot: nothing in clear crosses IPC). */
      content: z.string(),
      sequence: z.number().int().positive(),
      keys: z.array(z.object({ keyId: z.string(), version: z.number().int().positive() })),
    }),
  ),
  /** The bundles issued to one robot, newest first (file and serial deliveries). */
  'bundles:list': channel(
    z.object({ deviceId: DeviceIdSchema }).strict(),
    z.object({
      bundles: z.array(
        z.object({
          sequence: z.number().int().positive(),
          bundleId: z.string().nullable(),
          issuedAt: IsoTime,
          delivery: z.enum(BUNDLE_DELIVERIES),
          state: z.enum(BUNDLE_STATES),
          keys: z.array(z.object({ keyId: z.string(), version: z.number().int().positive() })),
          errorCode: z.string().nullable(),
        }),
      ),
    }),
  ),
  'certs:revoke': channel(z.object({ serial: Serial, reason: z.enum(CERT_REVOCATION_REASONS) }).strict(), z.object({ revoked: z.boolean() })),
  'station:status': channel(Empty, StationStatus),
  'station:start': channel(
    z
      .object({
        vendorIds: z.array(UsbId).max(16).optional(),
        productIds: z.array(UsbId).max(16).optional(),
        /** Explicit ports (stations with fixed cables, tests with socat ptys); when given, USB listing is not used. */
        paths: z.array(PortPath).max(64).optional(),
        /** Re-provisioning of every already provisioned robot (scripts); the window confirms per robot instead. */
        allowReprovision: z.boolean().optional(),
        /** provision (default) or distribute: send each provisioned robot that appears a key bundle over the link. */
        mode: z.enum(STATION_MODES).optional(),
      })
      .strict(),
    StationStatus,
  ),
  'station:stop': channel(Empty, StationStatus),
  'station:retry': channel(z.object({ path: PortPath }).strict(), StationStatus),
  /**
   * The officer confirms that this already provisioned robot is to be re-provisioned (new identity, certificate and
   * keys); good for the next session of that robot in this station run only. With a path, that port is retried now.
   */
  'station:confirmReprovision': channel(z.object({ deviceId: DeviceIdSchema, path: PortPath.optional() }).strict(), StationStatus),
} as const;

export const stationEvents = {
  /**
   * One per step (state active), one per answer to an order or CRL (step orders, active, `orders` grown by one), and one
   * at the session's end (done or failed). `orders`: the port's answers so far in this session, as in station:status.
   */
  'station:progress': z.object({ port: z.string(), ...PortSessionFields }).strict(),
} as const;
