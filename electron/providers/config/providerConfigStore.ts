// Saved provider configurations. Non-secret settings are stored as JSON; secret settings (vault_token, AWS secret key
// and session token, Azure client secret, PKCS#11 PIN) are sealed with AES-256-GCM under the store's master key
// (storeKeyring.wrapMaterial, bound to "provider-config/<id>") and are never returned again: list() shows "set".
// Only values that came from the dictionary are saved; environment values are read again at every load.
import { ConsoleError } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { StoreKeyring } from '../../crypto/storeKeyring.ts';
import type { ProviderConfigRepo } from '../../store/providerRepo.ts';
import { type Env, parseProviderConfig, type ProviderConfig } from './parseProviderConfig.ts';
import { SECRET_FIELDS } from './schema.ts';
import { Secret } from './secret.ts';

export interface SavedProviderView {
  id: string;
  kind: string;
  /** Saved settings, secrets shown as "set". */
  settings: Record<string, string | number | boolean | null>;
  createdAt: string;
  updatedAt: string;
}

export interface ProviderConfigStore {
  save(config: ProviderConfig): SavedProviderView;
  /**
   * For an edit: a copy of `dict` in which every secret setting the dictionary leaves out is taken from the saved
   * configuration with the same id and kind (an officer re-types a secret only to replace it). Other dictionaries are
   * returned unchanged. The copy holds secrets in clear: the caller parses it at once and drops it.
   */
  withSavedSecrets(dict: Record<string, unknown>): Record<string, unknown>;
  load(id: string, env?: Env): ProviderConfig;
  loadAll(env?: Env): ProviderConfig[];
  list(): SavedProviderView[];
  remove(id: string): boolean;
}

export interface ProviderConfigStoreDeps {
  repo: ProviderConfigRepo;
  /** The unlocked store's keyring; throws while the store is locked. */
  keyring(): StoreKeyring;
  clock: Clock;
}

const wrapId = (id: string) => `provider-config/${id}`;

export function createProviderConfigStore(deps: ProviderConfigStoreDeps): ProviderConfigStore {
  const { repo, clock } = deps;

  const view = (row: { id: string; kind: string; settings: string; secretNames: string[]; createdAt: string; updatedAt: string }): SavedProviderView => {
    const settings = JSON.parse(row.settings) as Record<string, string | number | boolean | null>;
    for (const name of row.secretNames) settings[name] = 'set';
    return { id: row.id, kind: row.kind, settings, createdAt: row.createdAt, updatedAt: row.updatedAt };
  };

  const load = (id: string, env: Env = {}): ProviderConfig => {
    const row = repo.get(id);
    if (!row) throw new ConsoleError('not_found', `No saved provider configuration with id ${id}.`);
    const dict = JSON.parse(row.settings) as Record<string, unknown>;
    if (row.secretsWrapped) {
      const clear = deps.keyring().unwrapMaterial(wrapId(id), 1, 'AES_256', row.secretsWrapped);
      if (!clear) throw new ConsoleError('integrity_failure', `The saved secrets of provider ${id} failed their integrity check.`);
      try {
        Object.assign(dict, JSON.parse(clear.toString('utf8')) as Record<string, string>);
      } finally {
        clear.fill(0);
      }
    }
    return parseProviderConfig(dict, env);
  };

  return {
    save(config) {
      const plain: Record<string, string | number | boolean> = { provider: config.kind };
      const secrets: Record<string, string> = {};
      for (const [k, v] of Object.entries(config.settings)) {
        if (config.sources[k] !== 'config') continue;
        if (v instanceof Secret) secrets[k] = v.reveal();
        else plain[k] = v;
      }
      plain.id = config.id;
      const names = Object.keys(secrets).sort();
      let wrapped: Buffer | null = null;
      if (names.length > 0) {
        const clear = Buffer.from(JSON.stringify(secrets), 'utf8');
        try {
          wrapped = deps.keyring().wrapMaterial(wrapId(config.id), 1, 'AES_256', clear);
        } finally {
          clear.fill(0);
        }
      }
      const now = new Date(clock.now()).toISOString();
      const existing = repo.get(config.id);
      repo.upsert({ id: config.id, kind: config.kind, settings: JSON.stringify(plain), secretsWrapped: wrapped, secretNames: names, createdAt: existing?.createdAt ?? now, updatedAt: now });
      return view(repo.get(config.id)!);
    },
    withSavedSecrets(dict) {
      const id = typeof dict.id === 'string' ? dict.id : null;
      const row = id === null ? undefined : repo.get(id);
      if (!row || row.kind !== dict.provider || !row.secretsWrapped) return dict;
      const missing = SECRET_FIELDS.filter((f) => row.secretNames.includes(f) && (dict[f] === undefined || dict[f] === null || dict[f] === ''));
      if (missing.length === 0) return dict;
      const clear = deps.keyring().unwrapMaterial(wrapId(row.id), 1, 'AES_256', row.secretsWrapped);
      if (!clear) throw new ConsoleError('integrity_failure', `The saved secrets of provider ${row.id} failed their integrity check.`);
      try {
        const saved = JSON.parse(clear.toString('utf8')) as Record<string, string>;
        const merged: Record<string, unknown> = { ...dict };
        for (const f of missing) merged[f] = saved[f];
        return merged;
      } finally {
        clear.fill(0);
      }
    },
    load,
    loadAll: (env = {}) => repo.list().map((r) => load(r.id, env)),
    list: () => repo.list().map(view),
    remove: (id) => repo.remove(id),
  };
}
