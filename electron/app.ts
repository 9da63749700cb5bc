// Composition root: createConsole(options) wires store, crypto, services and handlers. Used by electron/main.ts,
// the browser host, the CLI and the tests alike. No module-level state: two consoles can run side by side.
import type { EventName, EventPayload, Handlers } from '../shared/contract.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';

/** OS keychain binding (Electron's safeStorage); absent outside Electron. */
export interface Keychain {
  isAvailable(): boolean;
  encrypt(data: Buffer): Buffer;
  decrypt(data: Buffer): Buffer;
}

export interface ConsoleOptions {
  /** Folder holding the database (the user-data folder in Electron). */
  dataDir: string;
  clock?: Clock;
  logger?: Logger;
  keychain?: Keychain;
  /** scrypt cost for the passphrase KDF; tests lower it, production keeps the default. */
  kdf?: { N: number; r: number; p: number };
}

export type ConsoleEventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface FleetConsole {
  readonly handlers: Handlers;
  readonly dataDir: string;
  onEvent(listener: ConsoleEventListener): () => void;
  /** Locks the store (zeroing the master key), writes a final checkpoint when unlocked, closes the database. */
  close(): void;
}

export async function createConsole(_options: ConsoleOptions): Promise<FleetConsole> {
  throw new Error('createConsole: being implemented (issue 2)');
}
