// An audit record's details as one line of text for the audit viewer's table.
import type { AuditRecord } from '../../../shared/contract.ts';

/** Items of a list detail (name ending in List, e.g. a batch revocation's serialList) shown in the table cell. */
export const LIST_SHOWN = 5;

/**
 * The details as text; a list detail longer than LIST_SHOWN items is shortened to its first items and its count (the
 * cell's title, the "Contains text" filter and the export have all of it).
 */
export const detailsText = (details: AuditRecord['details'], full = false) =>
  Object.entries(details)
    .map(([k, v]) => {
      const items = k.endsWith('List') && typeof v === 'string' ? v.split(' ') : [];
      return !full && items.length > LIST_SHOWN ? `${k}=${items.slice(0, LIST_SHOWN).join(' ')} … (${items.length} in all)` : `${k}=${String(v)}`;
    })
    .join(' ');
