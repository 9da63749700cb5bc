// Replacing and revoking the fleet CA (issue 14, "replacing or revoking the fleet CA"; docs/fleet-ca.md, "Replacing
// and revoking the CA"): the ca:replace, ca:revoke and ca:history channels, spread into `contract` in contract.ts.
// ca:replace and ca:revoke are guarded actions (two-person control: ca.replace, ca.revoke). Nothing here carries key
// material: CA certificates are public.
import { z } from 'zod';
import { channel } from './channel.ts';
import { CA_ALGORITHMS, CommonName, ProviderId } from './stationContract.ts';

const IsoTime = z.string().datetime({ offset: true });
const Empty = z.object({}).strict();
const CaId = z.string().uuid();
const Count = z.number().int().nonnegative();
/** Why the CA is replaced or revoked: shown to approvers and audited. */
const Reason = z.string().trim().min(1, 'must not be empty').max(500).regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'must not contain control characters');

/** current: signs new certificates; retired: replaced, its certificates still verify until re-issued; compromised: revoked. */
export const CA_STATES = ['current', 'retired', 'compromised'] as const;
export type CaState = (typeof CA_STATES)[number];
/** Why a robot needs a new certificate. */
export const RENEWAL_REASONS = ['ca_replaced', 'ca_compromised'] as const;

export const CaHistoryEntry = z.object({
  id: CaId,
  providerId: z.string(),
  keyRef: z.string(),
  subject: z.string(),
  certificatePem: z.string(),
  notAfter: IsoTime,
  createdAt: IsoTime,
  state: z.enum(CA_STATES),
  /** When it was retired or revoked, by whom and why (null while current). */
  changedAt: IsoTime.nullable(),
  changedBy: z.string().nullable(),
  reason: z.string().nullable(),
  /** The CA that replaced it (a replacement; null for a revocation). */
  successorId: CaId.nullable(),
  /** What it issued: every certificate, and those still valid, revoked, expired now. */
  certificates: z.object({ total: Count, valid: Count, revoked: Count, expired: Count }),
});
export type CaHistoryEntry = z.infer<typeof CaHistoryEntry>;

export const CertificateRenewal = z.object({
  deviceId: z.string(),
  /** The CA whose certificate the robot holds. */
  caId: CaId,
  reason: z.enum(RENEWAL_REASONS),
  flaggedAt: IsoTime,
  flaggedBy: z.string(),
});
export type CertificateRenewal = z.infer<typeof CertificateRenewal>;

const PublishedCrl = z.object({ caId: CaId, pem: z.string(), crlNumber: z.number().int().positive(), fileName: z.string(), revoked: z.number().int().nonnegative() });

export const caChannels = {
  /**
   * Replaces the current CA: a new key in the chosen provider (the current CA's when omitted), a new self-signed CA
   * certificate that signs every certificate from now on; the old CA is retired (kept for verification and its CRL),
   * and every robot holding a valid certificate of it is flagged as needing a new one.
   */
  'ca:replace': channel(
    z.object({ providerId: ProviderId.optional(), algorithm: z.enum(CA_ALGORITHMS), commonName: CommonName, reason: Reason }).strict(),
    z.object({ previous: CaHistoryEntry, current: CaHistoryEntry, flagged: z.array(z.string()), previousCrl: PublishedCrl }),
  ),
  /**
   * Revokes a compromised CA (the current one, or a retired one by id): every certificate it issued is revoked
   * (cACompromise), a final CRL lists them, the CA is marked compromised and its robots are flagged. A revoked current
   * CA leaves the store with no CA: ca:init makes a new one.
   */
  'ca:revoke': channel(
    z.object({ caId: CaId.optional(), reason: Reason }).strict(),
    z.object({ ca: CaHistoryEntry, revokedSerials: z.array(z.string()), flagged: z.array(z.string()), finalCrl: PublishedCrl }),
  ),
  /** Every CA the store has had, newest first, and the robots that still need a certificate from the current CA. */
  'ca:history': channel(Empty, z.object({ cas: z.array(CaHistoryEntry), renewals: z.array(CertificateRenewal) })),
} as const;
