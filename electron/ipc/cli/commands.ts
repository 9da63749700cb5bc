// The CLI's commands: each one is a few calls through the same router as the window (transport 'cli'),
// plus file input/output. A command that needs the store signs in first as the operator (--operator, else
// ECPS_OPERATOR, else the OS user name) with that operator's own passphrase; the audit actor is that operator.
import { readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_IPC_PAYLOAD_BYTES, MAX_SIGNATURE_BYTES, type ChannelName, type ChannelOutput, type Envelope, type EventPayload } from '../../../shared/contract.ts';
import { KEY_TYPES, type KeyType, LOCAL_PROVIDER_ID } from '../../../shared/domain.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { KEY_USAGE_PAGE, type KeyHolder } from '../../../shared/fleetContract.ts';
import { LOCAL_FALLBACK_VARIABLE } from '../../services/providers/environmentProvider.ts';
import type { ConsoleEventListener, FleetConsole } from '../../app.ts';
import type { AuditExports } from '../../services/audit/auditExports.ts';
import type { CliRefusedOperation } from '../../services/emergency/emergencyResponse.ts';
import type { UndeliveredReason } from '../../services/recovery/recovery.ts';
import type { StationService } from '../../services/station/stationService.ts';
import { provisionRobotWithKms } from '../../station/provisionRobotWithKms.ts';
import type { Router } from '../router.ts';
import type { ParsedCommand } from './args.ts';
import { batchFinished, batchProgressPrinter, batchStatus } from './batchCli.ts';
import { formatCaHistory, formatCaReplace, formatCaRevoke } from './caCli.ts';
import { distrustCaIdsOf, executeFromOptions, formatExecute, formatPreview, formatRun, orderFromOptions, orderScopeFromOptions, scopeFromOptions } from './emergencyCli.ts';
import { decryptFile, encryptFile, tempOutput, writeWholeFile, type OutputFs } from './fileCrypto.ts';
import { backupVerifyResult, formatBackup, jobProgressPrinter, migrationResult, signatureResult } from './keysCli.ts';
import { formatImport, kitOrdersFromOptions, kitOrdersNeedCas } from './kitCli.ts';
import { outputFileFree } from './outputCheck.ts';
import { formatProviderHealth, formatProviders, formatSavedProvider, integrityResult, providerHealthExit, providerTestResult, readProviderConfigFile } from './providersCli.ts';
import { keyList } from './keyListCli.ts';
import { formatApproval, formatApprovalPolicy, formatRevokedApprovalKeys, formatApprovalKeys, formatOperator, formatRecoveryCodes, formatTokenSlots, formatTotpEnrolment, formatBatch, formatRollout, formatRolloutPolicy, formatVersionStatus, formatKey, formatKeyTable, formatKeyUsage, formatRobotAssignments, formatDrift, formatRotationJobs, formatRotationRuns, formatRotationStatus, formatScopeChange, formatSiteAssignments, formatStateChange } from './format.ts';
import { BACKUP_PASSPHRASE_ENV, NEW_OPERATOR_PASSPHRASE_ENV, TOKEN_PIN_ENV, type PassphraseOptions } from './passphrase.ts';

export interface CommandIo {
  out(line: string): void;
  /** Progress while a command waits (stderr: stdout keeps the result alone). */
  progress?(line: string): void;
  readPassphrase(options: PassphraseOptions): Promise<string>;
}

export interface CommandContext {
  router: Router;
  parsed: ParsedCommand;
  io: CommandIo;
  /** The console's station service (the provision and distribute commands). */
  station?: StationService;
  /** The console's streamed audit exports (audit export writes the file directly, in constant memory). */
  auditExports?: AuditExports;
  /** The console's rotation policies and scheduler (the rotation commands). */
  rotation?: FleetConsole['rotation'];
  /**
   * The console's access gate: commands that use a service directly (not a channel) are checked against the channel
   * that does the same thing, so the signed-in operator's role decides there too (docs/operators.md).
   */
  access?: Pick<FleetConsole['access'], 'check'> & Partial<Pick<FleetConsole['access'], 'refusedByCli'>>;
  /** The console's events (a batch job's progress while `rotation batch start` / `resume` wait). */
  events?: Pick<FleetConsole, 'onEvent'>;
  /** The console's emergency service: audits the CLI's own refusal of an emergency command (an --out that exists). */
  emergency?: Pick<FleetConsole['emergency'], 'auditCliRefusal'>;
  /** The console's undo of a share set or backup whose share files (--out-dir) could not be written. */
  recovery?: FleetConsole['recovery'];
  /** The share files' file system calls a test replaces (a full disk); default node:fs (fileCrypto.ts OutputFs). */
  outputFs?: Partial<OutputFs>;
}

async function call<C extends ChannelName>(router: Router, channel: C, input: unknown): Promise<ChannelOutput<C>> {
  const envelope: Envelope<unknown> = await router.route({ channel, input, ctx: { transport: 'cli' }, trustedSender: true });
  if (!envelope.ok) throw new ConsoleError(envelope.error.code, envelope.error.message, envelope.error.details);
  return envelope.value as ChannelOutput<C>;
}

/** What the CLI signs in with: the operator, their passphrase and, when given, their authenticator code or token PIN. */
export const unlockInput = (parsed: Pick<ParsedCommand, 'operator' | 'totp' | 'tokenPin' | 'recoveryCode'>, passphrase: string) => ({
  operator: parsed.operator,
  passphrase,
  ...(parsed.totp === undefined ? {} : { totp: parsed.totp }),
  ...(parsed.tokenPin === undefined ? {} : { tokenPin: parsed.tokenPin }),
  ...(parsed.recoveryCode === undefined ? {} : { recoveryCode: parsed.recoveryCode }),
});

/** Unlocks a locked store first (asking for the passphrase), so the audit trail shows no refused "locked" calls. */
async function callUnlocked<C extends ChannelName>(ctx: CommandContext, channel: C, input: unknown): Promise<ChannelOutput<C>> {
  const status = await call(ctx.router, 'session:status', {});
  if (status.state === 'locked') {
    const passphrase = await ctx.io.readPassphrase({});
    await call(ctx.router, 'session:unlock', unlockInput(ctx.parsed, passphrase));
  }
  return call(ctx.router, channel, input);
}

/** Signs in (when locked), then refuses (forbidden, audited) when the operator's role may not use `channel`. */
async function unlockFor(ctx: CommandContext, channel: ChannelName): Promise<void> {
  await callUnlocked(ctx, 'session:status', {});
  ctx.access?.check(channel, { transport: 'cli' });
}

async function readInput(path: string, maxBytes: number, flag = 'in'): Promise<Buffer> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ConsoleError('invalid_input', `--${flag} ${path} is not a regular file.`, { field: flag });
    size = info.size;
  } catch (e) {
    if (e instanceof ConsoleError) throw e;
    throw new ConsoleError('not_found', `Input file ${path} cannot be read.`);
  }
  if (size > maxBytes) {
    throw new ConsoleError('invalid_input', `Input file ${path} is ${size} bytes; at most ${maxBytes} bytes per call.`, { field: flag });
  }
  return readFile(path);
}

/**
 * Writes a whole --out file, mode 0600, complete or not at all (writeWholeFile: a temp file beside it moved into
 * place); an existing file is kept unless --force, and a replaced one ends 0600 too, never truncated first.
 */
async function writeOutput(ctx: CommandContext, path: string, data: Buffer | string): Promise<void> {
  await writeWholeFile(path, data, ctx.parsed.options.force === true);
}

/**
 * Refuses an --out file writeOutput would refuse for existing (without --force) or for a missing folder, before anything is asked of the
 * console: a lockdown order (`lockdown order/lift`, `emergency execute/retry --lockdown`) is signed and its sequence
 * used before its file is written, so a file that cannot take it must stop the command first (writeOutput still
 * refuses one created in between).
 */
async function outputFree(ctx: CommandContext, path: string): Promise<void> {
  await outputFileFree(path, ctx.parsed.options.force === true);
}

/**
 * outputFree for the emergency commands (`lockdown order/lift`, `emergency execute/retry --out`): still before
 * anything is signed, but after sign-in and the role's check of `channel` (a forbidden call is refused and audited as
 * such first), so that the refusal is audited as the console audits its own refusals of the operation, naming the
 * operator who proved who they are (before sign-in the CLI knows only a name it was given).
 */
async function emergencyOutputFree(ctx: CommandContext, channel: ChannelName, path: string, operation: () => CliRefusedOperation): Promise<void> {
  await unlockFor(ctx, channel);
  try {
    await outputFree(ctx, path);
  } catch (e) {
    if (e instanceof ConsoleError) ctx.emergency?.auditCliRefusal(operation(), e);
    throw e;
  }
}

const str = (v: string | boolean | string[] | undefined) => (typeof v === 'string' ? v : undefined);
const strip = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
/** The rollout policy fields given on the command line (numbers checked by the parser; ranges by the channel). */
const rolloutPolicyChanges = (o: ParsedCommand['options']) => {
  const num = (v: string | boolean | string[] | undefined) => (str(v) === undefined ? undefined : Number(str(v)));
  const list = (v: string | boolean | string[] | undefined) => str(v)?.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  return strip({
    canaryPercent: num(o['canary-percent']),
    canaryRobots: list(o['canary-robots']),
    canarySites: list(o['canary-sites']),
    maxFailureRatio: num(o['max-failure-ratio']),
    graceVersions: num(o['grace-versions']),
    graceSeconds: num(o['grace-seconds']),
  });
};

/** The scope of assign-key / unassign-key: --device-id (a robot) or --site (args.ts allows exactly one). */
function scopeOf(o: ParsedCommand['options']): { scope: 'robot' | 'site'; scopeId: string } {
  const deviceId = str(o['device-id']);
  return deviceId !== undefined ? { scope: 'robot', scopeId: deviceId } : { scope: 'site', scopeId: str(o.site) ?? '' };
}

/** Prints rotation:batchProgress events through io.progress (each tenth of a job's keys). */
function progressListener(io: CommandIo): ConsoleEventListener {
  const print = batchProgressPrinter((line) => io.progress?.(line));
  return (event, payload) => {
    if (event === 'rotation:batchProgress') print(payload as EventPayload<'rotation:batchProgress'>);
  };
}

/**
 * Prints jobs:progress events of one kind (keys.migrate, keys.backup) through io.progress, each tenth of the job's
 * keys. Human form only: with --json, stderr holds only an error, as for every command.
 */
function keysJobProgress(ctx: CommandContext, kind: string, verb: string): (() => void) | undefined {
  if (ctx.parsed.json) return undefined;
  const print = jobProgressPrinter(verb, (line) => ctx.io.progress?.(line));
  return ctx.events?.onEvent((event, payload) => {
    if (event !== 'jobs:progress') return;
    const p = payload as EventPayload<'jobs:progress'>;
    if (p.kind === kind) print(p);
  });
}

/** A finished job read back for `start` / `resume`: its view without items, then a page of its failed keys. */
const finishedCalls = (router: Router) => ({
  job: (batchId: string) => call(router, 'rotation:batchGet', { batchId }),
  page: (input: object) => call(router, 'rotation:batchItems', input),
});

function needRotation(ctx: CommandContext): FleetConsole['rotation'] {
  if (!ctx.rotation) throw new ConsoleError('internal', "the rotation commands need the console's rotation service.");
  return ctx.rotation;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

type HandedShares = Array<{ index: number; custodian: string; share: string }>;

/** The file `--out-dir` gets for share `index` (its custodian's name with anything but letters, digits, . _ - as _). */
const shareFile = (outDir: string, index: number, custodian: string) => join(outDir, `share-${index}-${custodian.replace(/[^\p{L}\p{N}._-]/gu, '_')}.txt`);

/**
 * Before a share set or a backup is made (and before any passphrase is asked for): with --out-dir, every share file
 * the command will write (share i for the i-th custodian named, as the channels number them) passes outputFileFree:
 * its folder exists and takes a new file, and nothing (file or folder) has its name: a share file is never replaced
 * (the two commands take no --force), so no custodian's earlier share is lost. So a file the write would refuse stops
 * the command before a set is recorded or a secret made (field `out-dir`, the message naming the file).
 */
async function shareFilesFree(ctx: CommandContext, custodians: readonly string[]): Promise<void> {
  const outDir = str(ctx.parsed.options['out-dir']);
  if (outDir === undefined) return;
  for (const [i, custodian] of custodians.entries()) await outputFileFree(shareFile(outDir, i + 1, custodian), false, 'out-dir');
}

/**
 * The channels whose answer carries secrets the text form of `approvals execute` would drop (the master key's shares of
 * recovery:createShares): such a request runs only with --out-dir (the shares written as `recovery shares --out-dir`
 * writes them) or --json (the answer as it is), checked before it runs, so no set is recorded whose shares nobody saw.
 */
const SECRET_ANSWERS: ReadonlySet<string> = new Set(['recovery:createShares']);

/**
 * The custodians of a recovery:createShares request, in order, from its summary (canonical JSON, cut at 200
 * characters): null when the summary does not hold them all (the folder alone is checked then; the write still
 * refuses a share file that exists, and the set is voided).
 */
function requestCustodians(summary: Record<string, string>): string[] | null {
  try {
    const list: unknown = JSON.parse(summary.custodians ?? '');
    return Array.isArray(list) && list.every((x) => typeof x === 'string') ? list : null;
  } catch {
    return null;
  }
}

/** The heading of a share set's shares as handed out (`recovery shares`, `approvals execute` of one). */
const shareSetHead = (v: ChannelOutput<'recovery:createShares'>) => `share set ${v.setId}: ${v.threshold} of ${v.count} shares rebuild the master key; they are shown only now, never stored`;

/** The undo of a share set whose share files could not be written: voided (removed, audited), as the message says. */
const voidShareSet = (ctx: CommandContext, setId: string) => async (why: UndeliveredReason) =>
  ctx.recovery?.voidUndeliveredSet(setId, why)
    ? `Share set ${setId} was voided (removed, audited recovery.void_shares): nobody holds its shares; make a new set.`
    : `Share set ${setId} is recorded but its shares were not handed out: nobody holds them.`;

/**
 * Shares as the command hands them out: printed (each once, under its custodian's name), or with --out-dir written as
 * one new 0600 file per custodian, and then only the files are named (--json too: `shares` becomes the file list).
 * The files are written all or none: each share goes to its own temp file (tempOutput, 0600, beside its target), and
 * only once every one is written and flushed are they moved into place; a failure (a full disk, a file created
 * meanwhile) removes every temp file and every share file already moved, then runs `undo` with the error and the file
 * (the set is voided, the backup removed) before the command fails with it.
 */
async function handOut(
  ctx: CommandContext,
  shares: HandedShares,
  head: string,
  undo: (why: UndeliveredReason) => Promise<string>,
): Promise<{ value: HandedShares | Array<{ index: number; custodian: string; file: string }>; text: string }> {
  const outDir = str(ctx.parsed.options['out-dir']);
  if (outDir === undefined) return { value: shares, text: [head, ...shares.map((s) => `share ${s.index} for ${s.custodian}:\n  ${s.share}`)].join('\n') };
  const files = shares.map((s) => ({ index: s.index, custodian: s.custodian, file: shareFile(outDir, s.index, s.custodian) }));
  const staged: Array<Awaited<ReturnType<typeof tempOutput>>> = [];
  const placed: string[] = [];
  let current = '';
  try {
    for (const [i, s] of shares.entries()) {
      current = files[i]!.file;
      const out = await tempOutput(current, false, ctx.outputFs);
      staged.push(out);
      await out.write([Buffer.from(`${s.share}\n`)]);
    }
    for (const [i, out] of staged.entries()) {
      current = files[i]!.file;
      await out.commit();
      placed.push(current);
    }
  } catch (e) {
    for (const out of staged) await out.discard();
    for (const file of placed) await unlink(file).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const cause = (e instanceof ConsoleError ? e.message : `Output file ${current} cannot be written (${code}).`).replace(/\.$/, '');
    const undone = await undo({ code: e instanceof ConsoleError ? e.code : 'invalid_input', message: cause, file: current });
    throw new ConsoleError('invalid_input', `${cause}; no share file was left in ${outDir}. ${undone}`, { field: 'out-dir', file: current });
  }
  return { value: files, text: [head, ...files.map((f) => `share ${f.index} for ${f.custodian} -> ${f.file}`)].join('\n') };
}

/** The share lines of a file: one per line; blank lines and lines starting with # are skipped. */
export async function readShareFile(path: string): Promise<string[]> {
  return (await readInput(path, 64 * 1024)).toString('utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * The policy `approvals policy set ACTION` sends: the action's current policy with the fields given changed. An action
 * that has no policy is sent as given, for the channel to refuse it (invalid_input naming the action).
 */
function approvalPolicyFrom(action: string, o: ParsedCommand['options'], current: ReadonlyArray<ChannelOutput<'approvals:policies'>['policies'][number]>) {
  const found = current.find((p) => p.action === action);
  const base = found ? { action, approvals: found.approvals, roles: found.roles, operators: found.operators, ttlSeconds: found.ttlSeconds } : { action };
  const list = (v: string | undefined) => (v === undefined ? undefined : v.trim() === 'none' ? [] : v.split(',').map((x) => x.trim()).filter((x) => x.length > 0));
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return { ...base, ...strip({ approvals: num(str(o.m)), roles: list(str(o.eligible)), operators: list(str(o['eligible-operators'])), ttlSeconds: num(str(o.ttl)) }) };
}

/**
 * providers:list once every provider's first health check has answered: each unlock starts one per provider, so the
 * HEALTH printed is this command's, not "not checked" (a check ends within the provider's own timeout and retries).
 */
async function providersChecked(ctx: CommandContext): Promise<ChannelOutput<'providers:list'>> {
  await unlockFor(ctx, 'providers:list');
  let wake = () => undefined as void;
  const stop = ctx.events?.onEvent((event) => {
    if (event === 'providers:changed') wake();
  });
  try {
    for (;;) {
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const value = await call(ctx.router, 'providers:list', {});
      if (!stop || value.providers.every((p) => p.health !== null)) return value;
      await changed;
    }
  } finally {
    stop?.();
  }
}

/** Runs a command; returns the value to print with --json (and prints the human form otherwise). */
export async function runCommand(ctx: CommandContext): Promise<{ value: unknown; exitCode: number }> {
  const { parsed, io, router } = ctx;
  const o = parsed.options;
  const show = (value: unknown, human: () => string) => {
    io.out(parsed.json ? JSON.stringify(value, null, 2) : human());
    return { value, exitCode: 0 };
  };
  switch (parsed.command) {
    case 'init': {
      const passphrase = await io.readPassphrase({ confirm: true });
      const status = await call(router, 'session:init', { operator: parsed.operator, passphrase });
      return show(status, () => `key store created at ${status.storePath}; unlocked as ${status.operator ?? parsed.operator}`);
    }
    case 'unlock': {
      const passphrase = await io.readPassphrase({});
      const status = await call(router, 'session:unlock', unlockInput(parsed, passphrase));
      return show(status, () => `passphrase accepted: ${status.storePath} unlocks for ${status.operator ?? parsed.operator}`);
    }
    case 'keys list': {
      const value = await callUnlocked(ctx, 'keys:list', strip({ type: str(o.type) }));
      return show(value, () => formatKeyTable(value.keys));
    }
    case 'keys create': {
      const value = await callUnlocked(ctx, 'keys:create', strip({ type: str(o.type), label: str(o.label), algorithm: str(o.algorithm) }));
      // Said on stdout, not only in the audit: the key is local only because the officer allowed that fallback.
      const refusal = value.provider === LOCAL_PROVIDER_ID ? (await call(router, 'providers:list', {})).environmentRefusal : null;
      if (refusal?.localFallback) {
        return show({ ...value, localFallback: { reason: refusal.message, variable: refusal.variable, optIn: LOCAL_FALLBACK_VARIABLE } }, () =>
          [`created ${formatKey(value)}`, `in the local store, because the provider configuration in the environment was refused and ${LOCAL_FALLBACK_VARIABLE}=1 is set: ${refusal.message}`].join('\n'),
        );
      }
      return show(value, () => `created ${formatKey(value)}`);
    }
    case 'keys rotate': {
      const value = await callUnlocked(ctx, 'keys:rotate', { keyId: parsed.args[0] });
      return show(value, () => `rotated ${formatKey(value)}`);
    }
    case 'keys state': {
      const value = await callUnlocked(ctx, 'keys:setState', { keyId: parsed.args[0], state: parsed.args[1], reason: str(o.reason) });
      // A change that did not reach every copy of the key fails the command (re-running it retries those copies).
      return { ...show(value, () => formatStateChange(value)), exitCode: value.complete ? 0 : 1 };
    }
    case 'encrypt': {
      const files = { inPath: str(o.in) ?? '', outPath: str(o.out) ?? '', aad: Buffer.from(str(o.aad) ?? '', 'utf8'), force: o.force === true };
      const r = await encryptFile((channel, input) => callUnlocked(ctx, channel, input), str(o.key) ?? '', files);
      const summary = { keyId: r.keyId, version: r.version, bytes: r.bytes, format: r.format, out: files.outPath };
      return show(summary, () => `encrypted ${r.bytes} bytes with key ${r.keyId} v${r.version} -> ${files.outPath}`);
    }
    case 'decrypt': {
      const files = { inPath: str(o.in) ?? '', outPath: str(o.out) ?? '', aad: Buffer.from(str(o.aad) ?? '', 'utf8'), force: o.force === true };
      const r = await decryptFile((channel, input) => callUnlocked(ctx, channel, input), files);
      const summary = { keyId: r.keyId, version: r.version, bytes: r.bytes, format: r.format, out: files.outPath };
      return show(summary, () => `decrypted ${r.bytes} bytes (key ${r.keyId} v${r.version}) -> ${files.outPath}`);
    }
    case 'audit verify': {
      const value = await callUnlocked(ctx, 'audit:verify', {});
      if (!value.ok) {
        const bad = value.firstBad;
        throw new ConsoleError('integrity_failure', `Audit chain broken${bad ? ` at record ${bad.seq}: ${bad.reason}` : ''} (${value.checkedRecords} records checked).`);
      }
      return show(value, () => `audit chain intact: ${value.checkedRecords} records, ${value.checkpoints} checkpoints`);
    }
    case 'audit export': {
      const exports = ctx.auditExports;
      if (!exports) throw new ConsoleError('internal', 'audit export needs the console\'s audit exports.');
      await unlockFor(ctx, 'audit:export');
      // Streamed to a temporary file (0600) renamed into place when complete; an existing file only with --force.
      const value = await exports.toFile(str(o.out) ?? '', { overwrite: o.force === true, overwriteHint: ' (use --force to replace it)' });
      const summary = { fileName: value.fileName, records: value.records, checkpoints: value.checkpoints, bytes: value.bytes, out: str(o.out) };
      return show(summary, () => `exported ${value.records} audit records -> ${str(o.out)}`);
    }
    case 'bundle': {
      const value = await callUnlocked(ctx, 'bundles:build', { deviceId: str(o['device-id']) ?? '' });
      await writeOutput(ctx, str(o.out) ?? '', Buffer.from(value.content, 'base64').toString('utf8'));
      const summary = { fileName: value.fileName, sequence: value.sequence, keys: value.keys, out: str(o.out) };
      return show(summary, () => `key bundle ${value.sequence} for ${str(o['device-id'])} (${value.keys.map((k) => `${k.keyId} v${k.version}`).join(', ')}) -> ${str(o.out)}`);
    }
    case 'provision': {
      const station = ctx.station;
      if (!station) throw new ConsoleError('internal', 'provision needs the console\'s station service.');
      const kmsFile = str(o['kms-config']);
      let kmsConfig: Record<string, unknown> | undefined;
      if (kmsFile !== undefined) {
        try {
          kmsConfig = JSON.parse((await readInput(kmsFile, 64 * 1024)).toString('utf8')) as Record<string, unknown>;
        } catch (e) {
          if (e instanceof ConsoleError) throw e;
          throw new ConsoleError('invalid_input', `--kms-config ${kmsFile} is not JSON.`, { field: 'kms-config' });
        }
        if (typeof kmsConfig !== 'object' || kmsConfig === null || Array.isArray(kmsConfig)) throw new ConsoleError('invalid_input', `--kms-config ${kmsFile} must hold a JSON object.`, { field: 'kms-config' });
      }
      await unlockFor(ctx, 'station:start');
      const value = await provisionRobotWithKms({
        call: (channel, input) => call(router, channel, input),
        station,
        deviceId: str(o['device-id']) ?? '',
        portPath: str(o.port) ?? '',
        caCertPath: str(o['ca-cert-out']),
        storagePath: str(o['storage-path']),
        kmsConfig,
        allowReprovision: o['allow-reprovision'] === true,
      });
      return show(value, () => `provisioned ${value.deviceId}: certificate ${value.serial} (until ${value.notAfter}), keys ${value.keyVersions.map((k) => `${k.keyId} v${k.version}`).join(', ')}`);
    }
    case 'distribute': {
      const station = ctx.station;
      if (!station) throw new ConsoleError('internal', 'distribute needs the console\'s station service.');
      const deviceId = str(o['device-id']) ?? '';
      const portPath = str(o.port) ?? '';
      await unlockFor(ctx, 'station:start');
      await callUnlocked(ctx, 'fleet:get', { deviceId }); // validates the device id; not_found for an unknown robot
      const result = await station.distributeOnce(portPath, deviceId);
      if (!result.ok) {
        const info = result.error.toInfo();
        throw new ConsoleError(info.code, `Distributing to ${deviceId} on ${portPath} failed at step ${result.step}: ${result.error.message}`, info.details);
      }
      const value = { deviceId, sequence: result.sequence, keyVersions: result.keyVersions, durationMs: result.durationMs };
      return show(value, () => `key bundle ${value.sequence} installed on ${deviceId}: keys ${value.keyVersions.map((k) => `${k.keyId} v${k.version}`).join(', ')}`);
    }
    case 'key-assignments': {
      const deviceId = str(o['device-id']);
      if (deviceId !== undefined) {
        const value = await callUnlocked(ctx, 'fleet:keyAssignments', { deviceId });
        return show(value, () => formatRobotAssignments(value));
      }
      const value = await callUnlocked(ctx, 'fleet:siteKeyAssignments', { site: str(o.site) ?? '' });
      return show(value, () => formatSiteAssignments(value));
    }
    case 'assign-key': {
      const value = await callUnlocked(ctx, 'fleet:assignKey', { ...scopeOf(o), keyType: str(o.type), keyId: str(o.key) });
      return show(value, () => formatScopeChange('assign', str(o.type) ?? '', value));
    }
    case 'unassign-key': {
      const value = await callUnlocked(ctx, 'fleet:clearKeyAssignment', { ...scopeOf(o), keyType: str(o.type) });
      return show(value, () => formatScopeChange('unassign', str(o.type) ?? '', value));
    }
    case 'key-usage': {
      const input = strip({ keyId: str(o.key), version: parsed.version });
      const first = await callUnlocked(ctx, 'fleet:keyUsage', { ...input, offset: 0 });
      if (o.all !== true) return show(first, () => formatKeyUsage(first, first.holders, parsed.version));
      const holders: KeyHolder[] = [...first.holders];
      // Every holder, a page at a time; an empty page ends it too (the store is this process's alone meanwhile).
      for (let offset = KEY_USAGE_PAGE; offset < first.matching; offset += KEY_USAGE_PAGE) {
        const page = await call(router, 'fleet:keyUsage', { ...input, offset });
        if (page.holders.length === 0) break;
        holders.push(...page.holders);
      }
      const value = { ...first, holders };
      return show(value, () => formatKeyUsage(value, holders, parsed.version));
    }
    case 'rotation status': {
      const rotation = needRotation(ctx);
      await unlockFor(ctx, 'rotation:status');
      const value = { ...rotation.scheduler.status(), upcoming: rotation.scheduler.upcoming() };
      return show(value, () => formatRotationStatus(value));
    }
    case 'rotation run-due': {
      const rotation = needRotation(ctx);
      await unlockFor(ctx, 'rotation:runNow');
      const value = await rotation.scheduler.tick();
      const failed = value.ran.filter((r) => r.outcome === 'failure').length;
      return { ...show(value, () => formatRotationRuns(value)), exitCode: failed > 0 ? 1 : 0 };
    }
    case 'rotation jobs': {
      const rotation = needRotation(ctx);
      await unlockFor(ctx, 'rotation:jobs');
      const jobs = rotation.scheduler.jobs(Number(str(o.limit) ?? 50), str(o.key)).map((j) => ({
        ...j, dueAt: iso(j.dueAt), nextAttemptAt: iso(j.nextAttemptAt), startedAt: iso(j.startedAt), finishedAt: iso(j.finishedAt),
      }));
      return show({ jobs }, () => formatRotationJobs(jobs));
    }
    case 'rotation policy': {
      const rotation = needRotation(ctx);
      const type = str(o.type);
      const keyId = str(o.key);
      await unlockFor(ctx, parsed.args[0] !== 'set' ? 'rotation:policies' : type !== undefined ? 'rotation:setTypePolicy' : 'rotation:setKeyPolicy');
      if (type !== undefined && !(KEY_TYPES as readonly string[]).includes(type)) {
        throw new ConsoleError('invalid_input', `--type must be one of ${KEY_TYPES.join(', ')}.`, { field: 'type' });
      }
      if (parsed.args[0] === 'set') {
        const file = str(o.policy) ?? '';
        let input: unknown;
        try {
          input = JSON.parse((await readInput(file, 64 * 1024)).toString('utf8'));
        } catch (e) {
          if (e instanceof ConsoleError) throw e;
          throw new ConsoleError('invalid_input', `--policy ${file} is not JSON.`, { field: 'policy' });
        }
        if (type !== undefined) rotation.policies.setTypePolicy(type as KeyType, input);
        else {
          await callUnlocked(ctx, 'keys:get', { keyId }); // validates the id; not_found for an unknown key
          // Any driver: a provider-driven policy is set and read back at the key's provider first.
          await rotation.provider.setKeyPolicy(keyId ?? '', input);
        }
      }
      let value: { scope: string; source: string; policy: { driver: string }; providerSchedule?: unknown };
      if (type !== undefined) {
        const e = rotation.policies.forType(type as KeyType);
        value = { scope: `type:${type}`, source: e.source, policy: e.policy };
      } else {
        const key = await callUnlocked(ctx, 'keys:get', { keyId });
        const e = rotation.policies.forKey({ id: key.id, type: key.type } as Parameters<typeof rotation.policies.forKey>[0]);
        value = { scope: `key:${key.id}`, source: e.source, policy: e.policy };
        // A provider-driven key: what its provider reports now.
        if (e.policy.driver === 'provider') value.providerSchedule = await rotation.provider.schedule(key.id);
      }
      const schedule = value.providerSchedule === undefined ? '' : `\nprovider schedule: ${JSON.stringify(value.providerSchedule)}`;
      return show(value, () => `${parsed.args[0] === 'set' ? 'set ' : ''}${value.scope} (${value.source}): ${JSON.stringify(value.policy)}${schedule}`);
    }
    case 'rotation drift': {
      const rotation = needRotation(ctx);
      // Adopts versions the console did not make: a key custodian's change, like running a rotation.
      await unlockFor(ctx, 'rotation:runNow');
      const keyId = str(o.key);
      if (keyId !== undefined) await callUnlocked(ctx, 'keys:get', { keyId }); // validates the id; not_found for an unknown key
      const value = await rotation.provider.checkDrift(keyId === undefined ? {} : { keyId });
      return { ...show(value, () => formatDrift(value)), exitCode: value.errors.length > 0 ? 1 : 0 };
    }
    case 'rotation batch': {
      const rotation = needRotation(ctx);
      const verb = parsed.args[0];
      const id = parsed.args[1];
      if (verb === 'start') {
        const keys = str(o.keys);
        const selection = keys !== undefined ? { keyIds: keys.split(',').map((k) => k.trim()).filter((k) => k !== '') } : str(o.type) !== undefined ? { type: str(o.type) } : { site: str(o.site) };
        const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
        // Progress on stderr while the CLI waits, in the human form only: with --json, stdout holds one document and
        // stderr only an error, as for every command.
        const stopProgress = parsed.json ? undefined : ctx.events?.onEvent(progressListener(io));
        try {
          const started = await callUnlocked(ctx, 'rotation:batchStart', strip({ selection, concurrency: num(str(o.concurrency)), maxAttempts: num(str(o['max-attempts'])) }));
          if (!parsed.json) io.out(`batch ${started.batchId}: ${started.total} key(s), ${started.concurrency} at a time`);
          await rotation.batches.wait(started.batchId);
          const { value, text } = await batchFinished(started.batchId, finishedCalls(router));
          return { ...show(value, () => text), exitCode: value.failed > 0 ? 1 : 0 };
        } finally {
          stopProgress?.();
        }
      }
      if (verb === 'resume') {
        await unlockFor(ctx, 'rotation:batchStart');
        const stopProgress = parsed.json ? undefined : ctx.events?.onEvent(progressListener(io));
        try {
          const ids = rotation.batches.resumeInterrupted();
          const jobs: Array<Awaited<ReturnType<typeof batchFinished>>> = [];
          for (const batchId of ids) {
            await rotation.batches.wait(batchId);
            jobs.push(await batchFinished(batchId, finishedCalls(router)));
          }
          const value = { jobs: jobs.map((j) => j.value) };
          return { ...show(value, () => (jobs.length === 0 ? 'no unfinished batch jobs' : jobs.map((j) => j.text).join('\n\n'))), exitCode: jobs.some((j) => j.value.failed > 0) ? 1 : 0 };
        } finally {
          stopProgress?.();
        }
      }
      if (verb === 'cancel') {
        const value = await callUnlocked(ctx, 'rotation:batchCancel', { batchId: id });
        return show(value, () => formatBatch(value));
      }
      if (id !== undefined) {
        const limit = str(o.limit);
        const query = { batchId: id, outcome: str(o.outcome), limit: limit === undefined ? undefined : Number(limit), after: str(o.after), all: o.all === true, json: parsed.json };
        const calls = { job: (batchId: string) => callUnlocked(ctx, 'rotation:batchGet', { batchId }), page: (input: object) => call(router, 'rotation:batchItems', input), out: io.out };
        return { value: await batchStatus(query, calls), exitCode: 0 };
      }
      const value = await callUnlocked(ctx, 'rotation:batchList', strip({ limit: str(o.limit) === undefined ? undefined : Number(str(o.limit)) }));
      return show(value, () => (value.jobs.length === 0 ? 'no batch jobs' : value.jobs.map(formatBatch).join('\n')));
    }
    case 'rotation rollout': {
      const [verb, id] = parsed.args;
      if (verb === 'list') {
        const value = await callUnlocked(ctx, 'rollout:list', strip({ keyId: str(o.key), limit: str(o.limit) === undefined ? undefined : Number(str(o.limit)) }));
        return show(value, () => (value.rollouts.length === 0 ? 'no rollouts' : value.rollouts.map(formatRollout).join('\n')));
      }
      if (verb === 'policy') {
        const keyId = str(o.key);
        const value = id === 'clear'
          ? await callUnlocked(ctx, 'rollout:clearPolicy', strip({ keyId }))
          : id === 'set'
            ? await callUnlocked(ctx, 'rollout:setPolicy', strip({ keyId, policy: { ...(await callUnlocked(ctx, 'rollout:getPolicy', strip({ keyId }))).policy, ...rolloutPolicyChanges(o) } }))
            : await callUnlocked(ctx, 'rollout:getPolicy', strip({ keyId }));
        return show(value, () => formatRolloutPolicy(value, keyId));
      }
      if (verb === 'versions') {
        const value = await callUnlocked(ctx, 'rollout:versions', { keyId: id });
        return show(value, () => value.versions.map(formatVersionStatus).join('\n'));
      }
      if (verb === 'retire' || verb === 'reinstate') {
        const version = Number(parsed.args[2]);
        if (verb === 'retire') {
          const value = await callUnlocked(ctx, 'rollout:retire', strip({ keyId: id, version, force: o.force === true ? true : undefined, reason: str(o.reason) }));
          return show(value, () => [formatVersionStatus(value.version), ...(value.flagged.length > 0 ? [`flagged as needing a visit: ${value.flagged.join(', ')}`] : [])].join('\n'));
        }
        const value = await callUnlocked(ctx, 'rollout:reinstate', { keyId: id, version, reason: str(o.reason), days: Number(str(o.days)) });
        return show(value, () => formatVersionStatus(value.version));
      }
      const value = verb === 'halt'
        ? await callUnlocked(ctx, 'rollout:halt', { rolloutId: id, reason: str(o.reason) })
        : await callUnlocked(ctx, 'rollout:resume', strip({ rolloutId: id, reason: str(o.reason) }));
      return show(value, () => formatRollout(value));
    }
    case 'backup': {
      // Signed in (an admin) before the backup passphrase is asked for.
      await callUnlocked(ctx, 'session:status', {});
      const out = resolve(str(o.out) ?? '');
      // Every file the command writes is checked before the passphrase is asked for or anything is made: the backup
      // (never replaced, --force or not) and with --out-dir each share file.
      await outputFileFree(out, false);
      await shareFilesFree(ctx, parsed.custodians);
      const passphrase = await io.readPassphrase({ confirm: true, label: 'Backup passphrase', envName: BACKUP_PASSPHRASE_ENV });
      const split = parsed.custodians.length > 0 ? { threshold: Number(str(o.k)), custodians: parsed.custodians } : undefined;
      const value = await call(router, 'backup:create', strip({ path: out, passphrase, shares: split }));
      const line = `backup of store ${value.storeId} (${value.storeBytes} bytes) -> ${value.path} (${value.bytes} bytes, sha256 ${value.sha256})`;
      if (!value.shares) return show(value, () => line);
      // A backup whose key shares nobody holds would look recoverable by its custodians: it goes with its shares.
      const handed = await handOut(ctx, value.shares, `its key in ${split!.threshold} of ${value.shares.length} shares (shown only now, never stored)`, async (why) => {
        const removed = await unlink(value.path).then(() => true, () => false);
        ctx.recovery?.auditUndeliveredBackup(value.path, why);
        return removed ? `The backup ${value.path} was removed (its key's shares were not handed out); make it again.` : `The backup ${value.path} could not be removed: remove it, its key's shares were not handed out.`;
      });
      return show({ ...value, shares: handed.value }, () => [line, handed.text].join('\n'));
    }
    case 'recovery shares': {
      // Checked before the set is made (and recorded): a share file that cannot be written stops the command first.
      await shareFilesFree(ctx, parsed.custodians);
      const value = await callUnlocked(ctx, 'recovery:createShares', { threshold: Number(str(o.k)), custodians: parsed.custodians });
      const handed = await handOut(ctx, value.shares, shareSetHead(value), voidShareSet(ctx, value.setId));
      return show({ ...value, shares: handed.value }, () => handed.text);
    }
    case 'recovery recover': {
      const shares = await readShareFile(str(o.shares) ?? '');
      const passphrase = await io.readPassphrase({ confirm: true, label: `New passphrase for ${parsed.operator}` });
      const value = await call(router, 'recovery:recover', { shares, operator: parsed.operator, passphrase });
      return show(value, () => `master key recovered from ${shares.length} shares (set ${value.setId}); ${value.operator} is ${value.created ? 'a new' : 'again an'} admin with the new passphrase`);
    }
    case 'report': {
      const out = str(o.out) ?? '';
      const value = await callUnlocked(ctx, 'report:generate', { from: str(o.from), to: str(o.to), format: str(o.format) ?? 'pdf' });
      await writeOutput(ctx, out, Buffer.from(value.content, 'base64'));
      await writeOutput(ctx, `${out}.sig`, Buffer.from(value.signature, 'base64'));
      await writeOutput(ctx, `${out}.audit-key.pem`, value.publicKeyPem);
      const { content: _content, signature: _signature, ...rest } = value;
      const summary = { ...rest, out, signatureOut: `${out}.sig`, publicKeyOut: `${out}.audit-key.pem` };
      return show(summary, () =>
        [
          `compliance report ${value.from} to ${value.to} (${value.format}) -> ${out}`,
          `signature -> ${out}.sig, audit key -> ${out}.audit-key.pem (fingerprint ${value.keyFingerprint})`,
          `verify: openssl pkeyutl -verify -pubin -inkey ${out}.audit-key.pem -rawin -in ${out} -sigfile ${out}.sig`,
        ].join('\n'),
      );
    }
    case 'emergency preview': {
      const limit = str(o.limit);
      const value = await callUnlocked(ctx, 'emergency:preview', strip({ scope: scopeFromOptions(o), sample: limit === undefined ? undefined : Math.min(500, Number(limit)), caId: str(o['ca-id']) }));
      return show(value, () => formatPreview(value));
    }
    case 'emergency execute':
    case 'emergency retry': {
      // Before the console is asked: the run may sign a lockdown order (its sequence used) before the file is written.
      const out = str(o.out);
      if (out !== undefined) {
        await emergencyOutputFree(ctx, parsed.command === 'emergency execute' ? 'emergency:execute' : 'emergency:retry', out, () => {
          if (parsed.command === 'emergency retry') return { action: 'emergency.retry', runId: parsed.args[0] ?? '' };
          const input = executeFromOptions(o);
          return { action: 'emergency.execute', scope: input.scope, actions: input.actions as string[], reason: String(input.reason), dryRun: input.dryRun === true };
        });
      }
      const value: ChannelOutput<'emergency:retry'> & Partial<ChannelOutput<'emergency:execute'>> = parsed.command === 'emergency execute'
        ? await callUnlocked(ctx, 'emergency:execute', executeFromOptions(o))
        : await callUnlocked(ctx, 'emergency:retry', { runId: parsed.args[0] });
      // The lockdown order this run issued, for the USB stick (when --out names where).
      if (out !== undefined && value.lockdownFile) await writeOutput(ctx, out, Buffer.from(value.lockdownFile.content, 'base64'));
      const human = () => (value.preview ? formatExecute({ ...value, preview: value.preview, dryRun: value.dryRun === true }) : formatRun(value.run!)) + (out !== undefined && value.lockdownFile ? `
lockdown order written to ${out}` : '');
      return { ...show(value, human), exitCode: value.run?.state === 'failed' ? 1 : 0 };
    }
    case 'lockdown order':
    case 'lockdown lift': {
      const kind = parsed.command === 'lockdown order' ? 'lockdown' : 'lift';
      await emergencyOutputFree(ctx, 'emergency:lockdownOrder', str(o.out) ?? '', () => ({ action: 'lockdown.order', kind, scope: orderScopeFromOptions(o), reason: str(o.reason) ?? '' }));
      const value = await callUnlocked(ctx, 'emergency:lockdownOrder', orderFromOptions(kind, o));
      await writeOutput(ctx, str(o.out) ?? '', Buffer.from(value.content, 'base64'));
      const named = 'deviceIds' in value.order.scope ? `; names ${value.order.scope.deviceIds.length} robot(s)` : '';
      const distrusted = distrustCaIdsOf(o);
      const distrust = value.order.actions.includes('distrust_ca') ? `\nrobots that take it stop trusting fleet CA(s) ${distrusted.join(', ')} for good (until re-provisioned)` : '';
      const glass = value.runId ? `\nBREAK-GLASS: recorded as emergency run ${value.runId} (CRITICAL alert raised); a second security officer must review it` : '';
      return show({ ...value.order, runId: value.runId }, () => `${value.order.kind} order ${value.order.sequence} (${value.order.orderId}) signed with key ${value.order.keyId} v${value.order.keyVersion ?? '?'}, valid until ${value.order.expiresAt}${named}; written to ${str(o.out)}${distrust}${glass}`);
    }
    case 'operators list': {
      const value = await callUnlocked(ctx, 'operators:list', {});
      return show(value, () => value.operators.map(formatOperator).join('\n'));
    }
    case 'operators add': {
      // Signed in (an admin) before the new operator's passphrase is asked for.
      await callUnlocked(ctx, 'session:status', {});
      const passphrase = await io.readPassphrase({ confirm: true, label: `First passphrase for ${parsed.args[0]}`, envName: NEW_OPERATOR_PASSPHRASE_ENV });
      const value = await call(router, 'operators:add', { name: parsed.args[0], role: str(o.role), passphrase });
      return show(value, () => `added ${formatOperator(value)}`);
    }
    case 'operators remove': {
      const value = await callUnlocked(ctx, 'operators:remove', { name: parsed.args[0] });
      return show(value, () => `removed ${parsed.args[0]}: key slot wiped`);
    }
    case 'operators role': {
      const value = await callUnlocked(ctx, 'operators:setRole', { name: parsed.args[0], role: str(o.role) });
      return show(value, () => formatOperator(value));
    }
    case 'operators idle-time': {
      const value = parsed.args[0] === 'set'
        ? await callUnlocked(ctx, 'session:setIdleLock', { minutes: Number(parsed.args[1]) })
        : await callUnlocked(ctx, 'session:idleLock', {});
      return show(value, () => `idle lock after ${value.minutes} minute(s) without activity`);
    }
    case 'operators reset-factor': {
      const value = await callUnlocked(ctx, 'operators:resetTotp', { name: parsed.args[0] });
      return show(value, () => `second factor of ${parsed.args[0]} removed: they sign in with their passphrase alone`);
    }
    case 'operators recovery-codes': {
      const value = await callUnlocked(ctx, 'operators:regenerateRecoveryCodes', {});
      return show(value, () => formatRecoveryCodes('new recovery codes; the old ones no longer work', value.recoveryCodes));
    }
    case 'operators totp': {
      if (parsed.args[0] === 'enrol') {
        // Printed here only (stdout): the secret is never logged or audited, and the store keeps it sealed.
        const value = await callUnlocked(ctx, 'operators:enrollTotp', {});
        return show(value, () => formatTotpEnrolment(value));
      }
      const value = await callUnlocked(ctx, 'operators:confirmTotp', { code: str(o.code) });
      return show(value, () => formatRecoveryCodes('authenticator app enabled: your unlock now needs its code. Recovery codes', value.recoveryCodes));
    }
    case 'operators token': {
      const modulePath = str(o.module);
      if (parsed.args[0] === 'slots') {
        const value = await callUnlocked(ctx, 'operators:tokenSlots', { modulePath });
        return show(value, () => formatTokenSlots(value));
      }
      // Signed in before the token's PIN is asked for (ECPS_TOKEN_PIN or the prompt; never argv).
      await callUnlocked(ctx, 'session:status', {});
      const tokenLabel = str(o['token-label']);
      const pin = await io.readPassphrase({ label: `PIN of token ${tokenLabel}`, envName: TOKEN_PIN_ENV, what: 'token PIN' });
      const value = await call(router, 'operators:enrollToken', { modulePath, tokenLabel, keyLabel: str(o['key-label']), pin });
      return show(value, () => formatRecoveryCodes(`token key bound: your unlock now needs token ${tokenLabel} and its PIN. Recovery codes`, value.recoveryCodes));
    }
    case 'approvals policy': {
      const { policies } = await callUnlocked(ctx, 'approvals:policies', {});
      if (parsed.args[0] === 'list') return show({ policies }, () => policies.map(formatApprovalPolicy).join('\n'));
      const value = await call(router, 'approvals:setPolicy', { policy: approvalPolicyFrom(parsed.args[1] ?? '', o, policies) });
      return show(value, () => formatApprovalPolicy(value));
    }
    case 'approvals list': {
      const value = await callUnlocked(ctx, 'approvals:list', strip({ open: o.all !== true, limit: str(o.limit) === undefined ? undefined : Number(str(o.limit)) }));
      return show(value, () => (value.requests.length === 0 ? 'no approval requests' : value.requests.map(formatApproval).join('\n')));
    }
    case 'approvals approve': {
      const value = await callUnlocked(ctx, 'approvals:approve', { requestId: parsed.args[0] });
      return show(value, () => `approved: ${formatApproval(value)}`);
    }
    case 'approvals deny': {
      const value = await callUnlocked(ctx, 'approvals:deny', { requestId: parsed.args[0], reason: str(o.reason) });
      return show(value, () => `denied: ${formatApproval(value)}`);
    }
    case 'approvals execute': {
      // Before it runs: a request whose answer carries secrets (SECRET_ANSWERS) needs --out-dir or --json, and with
      // --out-dir every share file passes the same check as `recovery shares --out-dir`. A request not open (unknown,
      // pending, executed) is left to the channel, which refuses it.
      const requestId = parsed.args[0] ?? '';
      const outDir = str(o['out-dir']);
      const asked = (await callUnlocked(ctx, 'approvals:list', { open: true, limit: 1000 })).requests.find((r) => r.id === requestId);
      if (asked && SECRET_ANSWERS.has(asked.channel)) {
        if (outDir === undefined && !parsed.json) {
          throw new ConsoleError(
            'invalid_input',
            `Request ${requestId} (${asked.action}) hands out the master key's shares, which the text output does not show: run it with --out-dir DIR (one 0600 file per custodian) or --json; nothing was run, the request is still ${asked.state}.`,
            { field: 'out-dir' },
          );
        }
        const custodians = requestCustodians(asked.summary);
        if (custodians) await shareFilesFree(ctx, custodians);
        else if (outDir !== undefined) await outputFileFree(join(outDir, `share-${requestId}.check`), true, 'out-dir');
      } else if (asked && outDir !== undefined) {
        throw new ConsoleError('invalid_input', `--out-dir applies only to a request that hands out shares (recovery.shares); request ${requestId} is ${asked.action}; nothing was run.`, { field: 'out-dir' });
      }
      const value = await call(router, 'approvals:execute', { requestId });
      const line = `executed: ${formatApproval(value.request)}`;
      if (value.request.channel !== 'recovery:createShares') return show(value, () => line);
      const set = value.result as ChannelOutput<'recovery:createShares'>;
      const handed = await handOut(ctx, set.shares, shareSetHead(set), voidShareSet(ctx, set.setId));
      return show({ ...value, result: { ...set, shares: handed.value } }, () => [line, handed.text].join('\n'));
    }
    case 'approvals export': {
      const value = await callUnlocked(ctx, 'approvals:exportRequest', { requestId: parsed.args[0] });
      await writeOutput(ctx, str(o.out) ?? '', value.content);
      return show({ out: str(o.out), fileName: value.fileName }, () => `request file written to ${str(o.out)}`);
    }
    case 'approvals import': {
      const content = (await readInput(str(o.in) ?? '', 64 * 1024)).toString('utf8');
      const value = await callUnlocked(ctx, 'approvals:importApproval', { content });
      return show(value, () => `approval recorded: ${formatApproval(value)}`);
    }
    case 'approvals enrol': {
      const publicKeyPem = (await readInput(str(o.in) ?? '', 4096)).toString('utf8');
      const value = await callUnlocked(ctx, 'approvals:enrolKey', { publicKeyPem });
      return show(value, () => `approval key enrolled for ${value.operator} (SHA-256 ${value.fingerprint})`);
    }
    case 'approvals revoke-key': {
      const value = await callUnlocked(ctx, 'approvals:revokeKey', { operator: parsed.args[0], reason: str(o.reason) });
      return show(value, () => `approval key of ${value.operator} removed (SHA-256 ${value.fingerprint}) at ${value.revokedAt}`);
    }
    case 'approvals revoked-keys':
    case 'approvals keys': {
      const limit = str(o.limit);
      const query = { limit: limit === undefined ? undefined : Number(limit), after: str(o.after), all: o.all === true, json: parsed.json };
      if (parsed.command === 'approvals keys') {
        const calls = {
          first: (input: object) => callUnlocked(ctx, 'approvals:listKeys', input),
          page: (input: object) => call(router, 'approvals:listKeys', input),
          format: formatApprovalKeys,
          out: io.out,
        };
        return { value: await keyList(query, calls), exitCode: 0 };
      }
      const calls = {
        first: (input: object) => callUnlocked(ctx, 'approvals:listRevokedKeys', input),
        page: (input: object) => call(router, 'approvals:listRevokedKeys', input),
        format: formatRevokedApprovalKeys,
        out: io.out,
      };
      return { value: await keyList(query, calls), exitCode: 0 };
    }
    case 'kit export': {
      // The kit is sealed with the responder's own passphrase: read once, used to sign in and to seal.
      const passphrase = await io.readPassphrase({});
      if ((await call(router, 'session:status', {})).state === 'locked') await call(router, 'session:unlock', unlockInput(parsed, passphrase));
      const out = resolve(str(o.out) ?? '');
      // A distrust-ca: order names a fleet CA: resolved (current, or checked) from the console's CAs before anything is signed.
      const orders = kitOrdersFromOptions(o, kitOrdersNeedCas(o) ? (await call(router, 'ca:history', {})).cas : []);
      const value = await call(router, 'kit:export', strip({ dir: out, passphrase, orders, reason: str(o.reason), message: str(o.message) }));
      return show(value, () => [
        `incident kit ${value.kitId} for ${value.responder} written to ${out} (${value.robots} robot(s); usable until ${value.expiresAt})`,
        ...value.orders.map((x) => `  order "${x.name}" #${x.sequence}: ${x.maxUses} use(s), expires ${x.expiresAt}`),
      ].join('\n'));
    }
    case 'kit import': {
      const value = await callUnlocked(ctx, 'kit:import', { dir: resolve(parsed.args[0] ?? '') });
      return show(value, () => formatImport(value));
    }
    case 'ca history': {
      const value = await callUnlocked(ctx, 'ca:history', {});
      return show(value, () => formatCaHistory(value));
    }
    case 'ca replace': {
      // Guarded (ca.replace): usually fails with approval_required and the request id (approvals execute runs it).
      const value = await callUnlocked(ctx, 'ca:replace', strip({ algorithm: str(o.algorithm) ?? 'EC_P256', commonName: str(o['common-name']), providerId: str(o.provider), reason: str(o.reason) }));
      return show(value, () => formatCaReplace(value));
    }
    case 'ca revoke': {
      const value = await callUnlocked(ctx, 'ca:revoke', strip({ caId: str(o['ca-id']), reason: str(o.reason) }));
      return show(value, () => formatCaRevoke(value));
    }
    case 'ca crl': {
      // --published: the last CRL already published (every reader may fetch it); without it a fresh one is signed.
      const input = strip({ caId: str(o['ca-id']) });
      // Without --published a CRL is signed and its number used: a file that cannot take it stops the command first.
      await outputFree(ctx, str(o.out) ?? '');
      const value = o.published === true ? await callUnlocked(ctx, 'ca:publishedCrl', input) : await callUnlocked(ctx, 'ca:crl', input);
      await writeOutput(ctx, str(o.out) ?? '', value.pem);
      const { pem: _pem, ...rest } = value;
      return show({ ...rest, caId: str(o['ca-id']) ?? null, out: str(o.out) }, () => `CRL ${value.crlNumber} (${value.revoked} revoked certificate(s)) -> ${str(o.out)}`);
    }
    case 'providers list': {
      const value = await providersChecked(ctx);
      return show(value, () => formatProviders(value));
    }
    case 'providers test': {
      const id = parsed.args[0] ?? '';
      const value = await callUnlocked(ctx, 'providers:test', { id });
      // A provider that did not answer is provider_unavailable, exit 1 (not a result printed with exit 0).
      const text = providerTestResult(id, value);
      return show({ id, ...value }, () => text);
    }
    case 'providers health': {
      const value = await callUnlocked(ctx, 'providers:health', {});
      return { ...show(value, () => formatProviderHealth(value)), exitCode: providerHealthExit(value) };
    }
    case 'providers save': {
      // Signed in and the role checked (forbidden, audited) before the file with its secrets is read.
      await unlockFor(ctx, 'providers:save');
      const config = await readProviderConfigFile(resolve(str(o.config) ?? ''));
      const value = await call(router, 'providers:save', { config });
      return show(value, () => formatSavedProvider(value));
    }
    case 'providers slots': {
      const value = await callUnlocked(ctx, 'providers:slots', { modulePath: str(o.module) });
      return show(value, () => formatTokenSlots(value));
    }
    case 'providers remove': {
      const id = parsed.args[0] ?? '';
      const value = await callUnlocked(ctx, 'providers:remove', { id });
      return show({ id, ...value }, () => `removed provider ${id}`);
    }
    case 'keys verify-integrity': {
      const keyId = parsed.args[0] ?? '';
      const value = await callUnlocked(ctx, 'keys:verifyIntegrity', { keyId });
      // A version that fails its check is integrity_failure, exit 1, as audit verify does for the audit chain.
      const text = integrityResult(keyId, value);
      return show(value, () => text);
    }
    case 'keys sign': {
      const keyId = parsed.args[0] ?? '';
      const inPath = str(o.in) ?? '';
      const out = str(o.out) ?? '';
      // An --out that exists (without --force) stops the command before the key signs, after sign-in and the role's
      // check, so the refusal is audited (key.sign, refusedBy cli) under the operator who proved who they are.
      await unlockFor(ctx, 'keys:sign');
      try {
        await outputFree(ctx, out);
      } catch (e) {
        if (e instanceof ConsoleError) ctx.access?.refusedByCli?.('keys:sign', { type: 'key', id: keyId }, e.toInfo());
        throw e;
      }
      const data = await readInput(inPath, MAX_IPC_PAYLOAD_BYTES);
      const value = await callUnlocked(ctx, 'keys:sign', { keyId, data });
      // Complete or absent (writeOutput), never a half signature.
      await writeOutput(ctx, out, Buffer.from(value.signature));
      const summary = { keyId: value.keyId, version: value.version, algorithm: value.algorithm, bytes: data.length, signatureBytes: value.signature.byteLength, out };
      return show(summary, () => `signed ${data.length} bytes with key ${value.keyId} v${value.version} (${value.algorithm}) -> ${out}`);
    }
    case 'keys verify': {
      const keyId = parsed.args[0] ?? '';
      const inPath = str(o.in) ?? '';
      const sigPath = str(o.sig) ?? '';
      const data = await readInput(inPath, MAX_IPC_PAYLOAD_BYTES);
      const signature = await readInput(sigPath, MAX_SIGNATURE_BYTES, 'sig');
      const value = await callUnlocked(ctx, 'keys:verify', strip({ keyId, data, signature, version: parsed.version }));
      // A signature that does not verify is signature_invalid, exit 1 (not "valid: false" printed with exit 0).
      const text = signatureResult(keyId, { inPath, sigPath, version: parsed.version }, value);
      return show({ keyId, version: parsed.version ?? null, ...value }, () => text);
    }
    case 'keys backup': {
      const providerId = str(o.provider) ?? '';
      const stopProgress = keysJobProgress(ctx, 'keys.backup', 'backup');
      try {
        const value = await callUnlocked(ctx, 'keys:backup', strip({ providerId, keyIds: o.all === true ? undefined : parsed.args }));
        return show({ providerId, ...value }, () => formatBackup(providerId, value));
      } finally {
        stopProgress?.();
      }
    }
    case 'keys verify-backup': {
      const providerId = str(o.provider) ?? '';
      const value = await callUnlocked(ctx, 'keys:verifyBackup', { providerId });
      const text = backupVerifyResult(providerId, value);
      return show({ providerId, ...value }, () => text);
    }
    case 'keys migrate': {
      const providerId = str(o.provider) ?? '';
      const stopProgress = keysJobProgress(ctx, 'keys.migrate', 'migrate');
      try {
        const value = await callUnlocked(ctx, 'keys:migrate', strip({ providerId, keyIds: o.all === true ? undefined : parsed.args }));
        const text = migrationResult(providerId, value);
        return show({ providerId, ...value }, () => text);
      } finally {
        stopProgress?.();
      }
    }
    case 'kit status':
    case 'kit robots':
    case 'kit use':
    case 'approvals keygen':
    case 'approvals sign':
    case 'serve':
    case 'scheduler':
    case 'field':
    case 'restore':
    case 'help':
      throw new Error(`${parsed.command} is handled by the entry point`);
  }
}
