// page_size / page_token as the service does them: tokens are opaque, bound to the request's parent, and refused when
// tampered with or reused for another parent.
import crypto from 'node:crypto';
import { rpc } from './status.ts';

const MAX_PAGE = 1000;

export function createPager(secret: Buffer) {
  const mac = (parent: string, offset: number) => crypto.createHmac('sha256', secret).update(`${parent}|${offset}`).digest('base64url').slice(0, 16);
  return function page<T>(parent: string, all: T[], pageSize: unknown, pageToken: unknown): { items: T[]; nextPageToken: string } {
    const size = pageSize === undefined || pageSize === null || pageSize === 0 ? MAX_PAGE : Number(pageSize);
    if (!Number.isInteger(size) || size < 0) throw rpc.invalid('page_size must not be negative.');
    let offset = 0;
    if (typeof pageToken === 'string' && pageToken !== '') {
      const m = /^([0-9]{1,9})\.([A-Za-z0-9_-]{16})$/.exec(pageToken);
      if (!m || mac(parent, Number(m[1])) !== m[2]) throw rpc.invalid('Invalid page_token.');
      offset = Number(m[1]);
    }
    const items = all.slice(offset, offset + Math.min(size, MAX_PAGE));
    const next = offset + items.length;
    return { items, nextPageToken: next < all.length ? `${next}.${mac(parent, next)}` : '' };
  };
}
