// The field link's dependencies, built from the unlocked console's services (docs/field-link.md): the fleet CA's
// current and retired-but-valid certificates as trust anchors, its revocation records, and "is anything due" from
// the same choices a station makes: the rollout-gated key versions against those the registry says the robot holds,
// and the orders and CRL pending for it. Sessions use the station's distribution deps (one robot per session).
import type { CaHistoryEntry } from '../../../shared/caContract.ts';
import type { FleetCaRepo } from '../../store/fleetCaRepo.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { OrderDelivery } from '../emergency/orderDelivery.ts';
import type { ChosenKey } from '../fleet/keyAssignments.ts';
import type { FieldLinkDeps, TrustedCa } from './fieldLink.ts';

/** The CAs whose robots' certificates the link accepts: current, or retired and not expired; never compromised. */
export function trustedCas(history: readonly Pick<CaHistoryEntry, 'id' | 'state' | 'certificatePem' | 'notAfter'>[], now: number): TrustedCa[] {
  return history
    .filter((c) => (c.state === 'current' || c.state === 'retired') && Date.parse(c.notAfter) > now)
    .map((c) => ({ caId: c.id, pem: c.certificatePem }));
}

/**
 * True when the robot is due something: a gated key version other than the one it holds (a wave that opened), a
 * pending order or a CRL it has not taken. A key choice that fails (no key, a disabled assignment) counts as due, so
 * the session runs and records the failure as a station would.
 */
export function dueCheck(input: {
  deliverable(deviceId: string): ChosenKey[];
  fleetRepo: Pick<FleetRepo, 'keysOf'>;
  orders: Pick<OrderDelivery, 'itemsFor'>;
  /** Whether the robot waits for a certificate of the current CA that a session re-issues (reissueDeps.ts). */
  reissueDue?(deviceId: string): boolean;
}): (deviceId: string) => boolean {
  return (deviceId) => {
    let chosen: ChosenKey[];
    try {
      chosen = input.deliverable(deviceId);
    } catch {
      return true;
    }
    const held = new Set(input.fleetRepo.keysOf(deviceId).map((k) => `${k.keyId}@${k.version}`));
    if (chosen.some((c) => !held.has(`${c.key.id}@${c.version.version}`))) return true;
    return input.orders.itemsFor(deviceId).length > 0 || input.reissueDue?.(deviceId) === true;
  };
}

export function caRecordLookup(repo: Pick<FleetCaRepo, 'getCert'>): FieldLinkDeps['caCertificate'] {
  return (caId, serial) => {
    const row = repo.getCert(caId, serial);
    return row ? { deviceId: row.deviceId, revokedAt: row.revokedAt } : null;
  };
}
