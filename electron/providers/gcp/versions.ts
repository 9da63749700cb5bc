// CryptoKeyVersion helpers: listing every version of a key (page by page), waiting for asymmetric generation, and
// changing the state of all versions at once (the console's enable / disable / destroy / restore of a key).
import { ProviderError } from '../types.ts';
import type { GcpCall } from './client.ts';
import { isoTime, versionNumber, type VersionMsg } from './mapping.ts';

const LIST_PAGE = 1000;
const PARALLEL = 8;

export function createVersionOps(call: GcpCall, providerId: string, generationTimeoutMs: number) {
  async function list(keyName: string): Promise<VersionMsg[]> {
    const out: VersionMsg[] = [];
    let pageToken = '';
    do {
      const [items, , raw] = await call('ListCryptoKeyVersions', (kms, o) => kms.listCryptoKeyVersions({ parent: keyName, pageSize: LIST_PAGE, pageToken }, o));
      out.push(...items);
      pageToken = raw?.nextPageToken ?? '';
    } while (pageToken !== '');
    return out.sort((a, b) => versionNumber(a.name) - versionNumber(b.name));
  }

  /** Asymmetric versions are generated asynchronously (PENDING_GENERATION); wait until usable. */
  async function waitGenerated(version: VersionMsg): Promise<VersionMsg> {
    let v = version;
    let delay = 25;
    const deadline = performance.now() + generationTimeoutMs;
    while (String(v.state) === 'PENDING_GENERATION') {
      if (performance.now() + delay > deadline)
        throw new ProviderError('Unavailable', `Cloud KMS is still generating ${v.name ?? 'the key version'}; try again shortly.`, { providerId, providerCode: 'PENDING_GENERATION' });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
      [v] = await call('GetCryptoKeyVersion', (kms, o) => kms.getCryptoKeyVersion({ name: version.name! }, o));
    }
    if (String(v.state) !== 'ENABLED')
      throw new ProviderError('Unavailable', `Cloud KMS could not generate ${v.name ?? 'the key version'} (state ${String(v.state)}).`, { providerId, providerCode: String(v.state) });
    return v;
  }

  async function each(versions: VersionMsg[], op: (v: VersionMsg) => Promise<VersionMsg>): Promise<VersionMsg[]> {
    const out: VersionMsg[] = [];
    for (let i = 0; i < versions.length; i += PARALLEL) out.push(...(await Promise.all(versions.slice(i, i + PARALLEL).map(op))));
    return out;
  }

  const setState = (v: VersionMsg, state: 'ENABLED' | 'DISABLED') =>
    call('UpdateCryptoKeyVersion', (kms, o) => kms.updateCryptoKeyVersion({ cryptoKeyVersion: { name: v.name!, state }, updateMask: { paths: ['state'] } }, o)).then((r) => r[0]);

  const inState = (versions: VersionMsg[], ...states: string[]) => versions.filter((v) => states.includes(String(v.state)));

  return {
    list,
    waitGenerated,
    async setAll(keyName: string, state: 'ENABLED' | 'DISABLED'): Promise<void> {
      const versions = await list(keyName);
      const todo = inState(versions, state === 'ENABLED' ? 'DISABLED' : 'ENABLED');
      if (state === 'ENABLED' && todo.length === 0 && inState(versions, 'ENABLED', 'PENDING_GENERATION').length === 0)
        throw new ProviderError('KeyDisabled', `Cloud KMS key ${keyName} has no version that can be enabled (scheduled for destruction or destroyed).`, { providerId, providerCode: 'FAILED_PRECONDITION' });
      await each(todo, (v) => setState(v, state));
    },
    /** DestroyCryptoKeyVersion on every live version; returns the latest destroy time. */
    async destroyAll(keyName: string): Promise<string> {
      const versions = await list(keyName);
      const live = inState(versions, 'ENABLED', 'DISABLED');
      const done = await each(live, (v) => call('DestroyCryptoKeyVersion', (kms, o) => kms.destroyCryptoKeyVersion({ name: v.name! }, o)).then((r) => r[0]));
      const dates = [...done, ...inState(versions, 'DESTROY_SCHEDULED')].map((v) => isoTime(v.destroyTime)).filter((d): d is string => d !== null).sort();
      if (dates.length === 0)
        throw new ProviderError('KeyDisabled', `Cloud KMS key ${keyName} has no version left to destroy.`, { providerId, providerCode: 'FAILED_PRECONDITION' });
      return dates.at(-1)!;
    },
    /** RestoreCryptoKeyVersion on every version awaiting destruction; as in the service they come back DISABLED. */
    async restoreAll(keyName: string): Promise<void> {
      const scheduled = inState(await list(keyName), 'DESTROY_SCHEDULED');
      if (scheduled.length === 0)
        throw new ProviderError('KeyDisabled', `Cloud KMS key ${keyName} is not scheduled for destruction.`, { providerId, providerCode: 'FAILED_PRECONDITION' });
      await each(scheduled, (v) => call('RestoreCryptoKeyVersion', (kms, o) => kms.restoreCryptoKeyVersion({ name: v.name! }, o)).then((r) => r[0]));
    },
  };
}
