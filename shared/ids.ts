// Identifier schemas shared by the contract's parts (contract.ts and the *Contract.ts files it spreads in), so that
// one pattern decides what a key id or a job id is.
import { z } from 'zod';

/** A lowercase RFC 4122 UUID as the console writes them (crypto.randomUUID). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A UUID naming `what` ("key id", "batch job id"): the message says which. */
export const uuidOf = (what: string) => z.string().regex(UUID_PATTERN, `must be a ${what} (UUID)`);

export const KeyIdSchema = uuidOf('key id');
