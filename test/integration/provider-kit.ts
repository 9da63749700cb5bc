// The provider layer against the emulators: an AWS KMS emulator and a Vault emulator on 127.0.0.1, and a KMS manager
// built from the specification's dictionaries pointing at them (AWS primary, Vault backup), over a real store.
import crypto from 'node:crypto';
import { createLocalKmsRepo } from '../../electron/store/providerRepo.ts';
import { createKmsManager, type KmsManager, type KmsManagerDeps } from '../../electron/providers/kmsManager.ts';
import { silentLogger } from '../../electron/logger.ts';
import { startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';
import { localFixture, type LocalFixture, manualTimers, type ManualTimers } from '../unit/provider-testkit.ts';

export interface Bench {
  aws: AwsKmsEmulator;
  vault: VaultEmulator;
  vaultToken: string;
  local: LocalFixture;
  timers: ManualTimers;
  sleeps: number[];
  manager(extra?: { primary?: Record<string, unknown>; backup?: Record<string, unknown> | null; deps?: Partial<KmsManagerDeps> }): KmsManager;
  close(): Promise<void>;
}

export async function startBench(): Promise<Bench> {
  const aws = await startTestEmulator();
  const vaultToken = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
  const vault = await startVaultEmulator({ token: vaultToken });
  const local = localFixture();
  const timers = manualTimers(local.clock);
  const sleeps: number[] = [];
  const managers: KmsManager[] = [];
  return {
    aws,
    vault,
    vaultToken,
    local,
    timers,
    sleeps,
    manager(extra = {}) {
      const primary = {
        provider: 'aws_kms', id: 'aws-primary', region: TEST_REGION, endpoint: aws.endpoint,
        aws_access_key_id: TEST_CREDENTIALS.accessKeyId, aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey,
        timeout_ms: 5000, retries: 2, ...extra.primary,
      };
      const backup = extra.backup === null ? null : { provider: 'hashicorp_vault', id: 'vault-backup', vault_url: vault.endpoint, vault_token: vaultToken, timeout_ms: 5000, retries: 2, ...extra.backup };
      const m = createKmsManager(backup ? [primary, backup] : [primary], {
        clock: local.clock,
        logger: silentLogger,
        local: { repo: createLocalKmsRepo(local.store.db), keyring: local.keyring },
        storeId: () => local.storeId,
        random: () => 0.5,
        timers,
        sleep: async (ms) => {
          sleeps.push(ms);
          local.clock.advance(ms);
        },
        resilience: { failureThreshold: 3, openMs: 10_000 },
        ...extra.deps,
      });
      managers.push(m);
      return m;
    },
    async close() {
      for (const m of managers) await m.close();
      await aws.close();
      await vault.close();
      local.close();
    },
  };
}
