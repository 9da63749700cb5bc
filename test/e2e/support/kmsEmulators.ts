// The Vault and AWS KMS emulators for the providers e2e tests: real HTTP servers on 127.0.0.1 started in the test
// process (port 0), closed after each test. The console reaches them through the endpoints typed into the form.
import { test as consoleTest } from './consoleFixture.ts';
import { startVaultEmulator, type VaultEmulator } from '../../emulators/vault/server.ts';
import { startAwsKmsEmulator, type AwsKmsEmulator } from '../../emulators/aws-kms/index.ts';

export const VAULT_TOKEN = 'hvs.E2E-vault-root-token-7Qz3';
export const AWS_REGION = 'eu-west-1';
export const AWS_CREDENTIALS = { accessKeyId: 'AKIAE2ETESTKEY000001', secretAccessKey: 'e2e/Secret+AccessKey0000000000000000000' };

export const test = consoleTest.extend<{ vault: VaultEmulator; aws: AwsKmsEmulator }>({
  vault: async ({}, use) => {
    const vault = await startVaultEmulator({ token: VAULT_TOKEN });
    try {
      await use(vault);
    } finally {
      await vault.faults.up().catch(() => undefined);
      await vault.close();
    }
  },
  aws: async ({}, use) => {
    const aws = await startAwsKmsEmulator({ credentials: AWS_CREDENTIALS, region: AWS_REGION });
    try {
      await use(aws);
    } finally {
      await aws.faults.up().catch(() => undefined);
      await aws.close();
    }
  },
});

export { expect } from './consoleFixture.ts';
