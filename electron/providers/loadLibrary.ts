// Provider client libraries load when a provider of their kind is built, not when the console starts: a console
// with only local keys never imports the AWS, Azure, Google Cloud or Vault clients (about a second of start-up).
import { ProviderError } from './types.ts';

/**
 * Starts `load` in the background (the adapter is being built) and returns the wait for it, which each call of the
 * adapter awaits before it builds or uses its client. A library that cannot be loaded fails every call of the
 * provider with Unavailable (not retryable: trying again loads nothing new), naming the library and the reason.
 */
export function loadLibrary<M>(providerId: string, library: string, load: () => Promise<M>): () => Promise<M> {
  const loading = load().catch((e: unknown) => {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ProviderError('Unavailable', `The ${library} client library could not be loaded: ${reason}`, {
      providerId,
      providerCode: 'LibraryNotLoaded',
      retryable: false,
      cause: e,
    });
  });
  // The failure is reported by the calls that wait for it, not as an unhandled rejection.
  loading.catch(() => undefined);
  return () => loading;
}
