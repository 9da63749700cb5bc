// Shared wiring of the provider integration tests: the AWS KMS and Vault emulators on 127.0.0.1, a real console in a
// temp folder, and a caller that parses inputs and outputs with the contract (as the router does).
import crypto from 'node:crypto';
import { expect } from 'vitest';
import { createConsole, type ConsoleOptions, type FleetConsole } from '../../electron/app.ts';
import { createMemoryLogger } from '../../electron/logger.ts';
import { contract, type ChannelInput, type ChannelName, type ChannelOutput, type EventName } from '../../shared/contract.ts';
import { isConsoleError } from '../../shared/errors.ts';
import type { AwsKmsEmulator } from '../emulators/aws-kms/index.ts';
import type { AzureTestBed } from '../emulators/azure-key-vault/testkit.ts';
import { startTestEmulator, TEST_CREDENTIALS, TEST_REGION } from '../emulators/aws-kms/testkit.ts';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.ts';
import { CTX, FAST_KDF, tempDir } from '../unit/store-testkit.ts';

export const PASS = 'provider integration passphrase';

export interface Emulators {
  aws: AwsKmsEmulator;
  vault: VaultEmulator;
  vaultToken: string;
  close(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const aws = await startTestEmulator();
  const vaultToken = `hvs.${crypto.randomBytes(18).toString('base64url')}`;
  const vault = await startVaultEmulator({ token: vaultToken });
  return {
    aws,
    vault,
    vaultToken,
    async close() {
      await aws.close();
      await vault.close();
    },
  };
}

export function awsConfig(emu: Emulators, extra: Record<string, string | number | boolean> = {}) {
  return {
    provider: 'aws_kms',
    id: 'aws-primary',
    region: TEST_REGION,
    endpoint: emu.aws.endpoint,
    aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
    aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey,
    use_kms_for_storage: true,
    timeout_ms: 2000,
    retries: 1,
    ...extra,
  };
}

export function vaultConfig(emu: Emulators, extra: Record<string, string | number | boolean> = {}) {
  return {
    provider: 'hashicorp_vault',
    id: 'vault-backup',
    vault_url: emu.vault.endpoint,
    vault_token: emu.vaultToken,
    use_kms_for_storage: false,
    timeout_ms: 2000,
    retries: 1,
    ...extra,
  };
}

/** An Azure Key Vault provider on the test bed's emulator, trusting its CA from `caFile` (a PEM of bed.pki.caPem). */
export function azureConfig(bed: AzureTestBed, caFile: string, extra: Record<string, string | number | boolean> = {}) {
  return {
    provider: 'azure_key_vault',
    id: 'azure',
    key_vault_url: bed.emu.vaultUrl,
    azure_tenant_id: bed.identity.tenantId,
    azure_client_id: bed.identity.clientId,
    azure_client_secret: bed.identity.clientSecret,
    azure_authority_host: bed.emu.authorityHost,
    azure_ca_cert: caFile,
    use_kms_for_storage: true,
    retries: 0,
    ...extra,
  };
}

export interface Harness {
  console: FleetConsole;
  dir: string;
  logger: ReturnType<typeof createMemoryLogger>;
  /** Every raw output, as JSON (to search for secrets). */
  transcript: string[];
  events: Array<{ event: EventName; payload: unknown }>;
  call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>;
  fail(p: Promise<unknown>): Promise<{ code: string; message: string; details?: Record<string, unknown> }>;
  auditOf(action: string): Array<{ outcome: string; targetId: string | null; details: Record<string, unknown> }>;
}

export async function openConsole(extra: Partial<ConsoleOptions> = {}, dir = tempDir('ecps-providers-')): Promise<Harness> {
  const logger = createMemoryLogger();
  const c = await createConsole({
    dataDir: dir,
    kdf: FAST_KDF,
    logger,
    env: {},
    providers: { baseDelayMs: 5, maxDelayMs: 20, failureThreshold: 2, openMs: 60_000, healthIntervalMs: 3_600_000 },
    ...extra,
  });
  const transcript: string[] = [];
  const events: Harness['events'] = [];
  c.onEvent((event, payload) => events.push({ event, payload }));
  const call = async <C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> => {
    const parsed = contract[channel].input.parse(input);
    const raw = await (c.handlers[channel] as (i: unknown, ctx: typeof CTX) => Promise<unknown>)(parsed, CTX);
    transcript.push(JSON.stringify(raw));
    return contract[channel].output.parse(raw) as ChannelOutput<C>;
  };
  const fail = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      if (isConsoleError(e)) {
        transcript.push(JSON.stringify(e.toInfo()));
        return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
      }
      throw e;
    }
    throw new Error('expected a ConsoleError');
  };
  const auditOf = (action: string) =>
    c.audit.query({ action, offset: 0, limit: 1000 }).records.map((r) => ({ outcome: r.outcome, targetId: r.targetId, details: r.details }));
  return { console: c, dir, logger, transcript, events, call, fail, auditOf };
}

export async function initialized(extra: Partial<ConsoleOptions> = {}, dir?: string): Promise<Harness> {
  const h = await openConsole(extra, dir);
  expect((await h.call('session:init', { operator: 'Officer Ada', passphrase: PASS })).state).toBe('unlocked');
  return h;
}

export const bytes = (s: string) => Buffer.from(s, 'utf8');
