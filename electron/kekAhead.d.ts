import type { KdfParams } from './store/storeMetaRepo.ts';

export function deriveKekAhead(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ passphrase: string; salt: Buffer; kdf: KdfParams; key: Buffer } | null>;
