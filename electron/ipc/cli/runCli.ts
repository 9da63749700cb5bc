// The command-line console as a function: argv, environment and streams in, exit code out. electron/cli.ts runs it
// over the real process; tests run it in-process (no Node start per command). Errors: "error [code]: message" and a
// hint on stderr, exit 1; usage errors exit 2.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ConsoleError, ERROR_HINTS, isConsoleError } from '../../../shared/errors.ts';
import { createConsole, type FleetConsole } from '../../app.ts';
import { loadConfig } from '../../config/config.ts';
import { startBrowserHost } from '../../host/browserHost.ts';
import { createStderrLogger, type TextSink } from '../../logger.ts';
import { createRouter } from '../router.ts';
import { KIT_OFFLINE_COMMANDS, OFFLINE_COMMANDS, parseCommandLine, USAGE, UsageError, type ParsedCommand } from './args.ts';
import { readShareFile, runCommand, unlockInput } from './commands.ts';
import type { OutputFs } from './fileCrypto.ts';
import { restoreBackup } from '../../services/recovery/backup.ts';
import { BACKUP_PASSPHRASE_ENV, PASSPHRASE_ENV, readPassphrase, type PassphraseInput, type PassphraseOptions } from './passphrase.ts';
import { APPROVAL_KEY_PASSPHRASE_ENV, runOfflineApprovalCommand } from './approvalKeyFiles.ts';
import { runOfflineKitCommand } from './kitCli.ts';
import { createKitModeRouter } from '../../services/incidentKit/kitModeRouter.ts';

export interface CliIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Where a passphrase is read when ECPS_PASSPHRASE is unset (a terminal gets the no-echo prompt). */
  stdin: Readable & PassphraseInput;
  stdout: TextSink;
  stderr: TextSink;
  /** `serve` runs until this resolves, with the reason it prints (the process: the first SIGINT or SIGTERM). */
  untilStopped?: () => Promise<string>;
  /** The offline console's clock (kit status / use, serve --kit); the system clock when absent. */
  now?: () => Date;
  /** The share files' (--out-dir) file system calls, which tests replace to fail a write (a full disk); default node:fs. */
  outputFs?: Partial<OutputFs>;
}

function printError(stderr: TextSink, code: string, message: string, hint: string | undefined): void {
  stderr.write(`error [${code}]: ${message}\n`);
  if (hint) stderr.write(`hint: ${hint}\n`);
}

/** The message and hint of an error that reached the top: typed errors as they are, anything else as internal. */
export function reportCliFailure(stderr: TextSink, e: unknown): void {
  if (isConsoleError(e)) printError(stderr, e.code, e.message, ERROR_HINTS[e.code]);
  else {
    createStderrLogger('error', stderr).error('cli failed', { error: e });
    printError(stderr, 'internal', 'The console failed unexpectedly (details in the log line above).', ERROR_HINTS.internal);
  }
}

/** The backstop's message: the command stopped before it finished, so its outcome is unknown. */
export function reportUnfinished(stderr: TextSink): void {
  printError(stderr, 'internal', 'The command stopped before it finished (nothing was left to wait for); its outcome is unknown.', ERROR_HINTS.internal);
}

async function serve(fleet: FleetConsole, parsed: ParsedCommand, io: CliIo): Promise<number> {
  if (!io.untilStopped) throw new Error('serve needs untilStopped');
  const logger = createStderrLogger('warn', io.stderr);
  const host = await startBrowserHost({ console: fleet, logger, ...(parsed.port === undefined ? {} : { port: parsed.port }) });
  io.stdout.write(`ECPS console: ${host.url}\n`);
  const reason = await io.untilStopped();
  io.stderr.write(`${reason}: closing the browser host and the key store\n`);
  await host.close();
  return 0;
}

/** serve --kit DIR: the offline console on an incident kit in the window; no data folder, store or provider opened. */
async function serveKit(parsed: ParsedCommand, io: CliIo): Promise<number> {
  if (!io.untilStopped) throw new Error('serve needs untilStopped');
  const logger = createStderrLogger('warn', io.stderr);
  const router = createKitModeRouter({ dir: resolve(String(parsed.options.kit)), now: io.now ?? (() => new Date()), logger, idleLock: {} });
  const host = await startBrowserHost({ router, logger, ...(parsed.port === undefined ? {} : { port: parsed.port }) });
  io.stdout.write(`ECPS console (OFFLINE, incident kit ${router.dir}; no provider is called): ${host.url}\n`);
  const reason = await io.untilStopped();
  io.stderr.write(`${reason}: closing the browser host\n`);
  await host.close();
  router.close();
  return 0;
}

/** The headless scheduler (stations, servers): unlocks, runs a pass now and then every minute, until stopped. */
async function headlessScheduler(fleet: FleetConsole, parsed: ParsedCommand, io: CliIo): Promise<number> {
  if (!io.untilStopped) throw new Error('scheduler needs untilStopped');
  const passphrase = await readPassphrase({ env: io.env, stdin: io.stdin, prompt: io.stderr }, {});
  await fleet.handlers['session:unlock'](unlockInput(parsed, passphrase), { transport: 'cli' });
  // Running rotations is the key custodian's (and the admin's): the same check as rotation:runNow.
  fleet.access.check('rotation:runNow', { transport: 'cli' });
  const first = await fleet.rotation.scheduler.tick();
  const s = first.status;
  io.stdout.write(`scheduler running: ${first.ran.length} rotation(s) run now, ${s.waiting} waiting, next due ${s.nextDueAt ?? 'none'}${s.paused ? ' (paused)' : ''}\n`);
  // The passes' timer never holds a process open; this one does, until the signal.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  try {
    const reason = await io.untilStopped();
    io.stderr.write(`${reason}: stopping the scheduler and closing the key store\n`);
  } finally {
    clearInterval(keepAlive);
  }
  fleet.rotation.scheduler.stop();
  return 0;
}

/** HOST:PORT (an IPv6 address in brackets) of `field --listen`; a usage error otherwise. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65_535)) throw new UsageError('field: --listen must be HOST:PORT, e.g. 127.0.0.1:8443');
  return { host: (m[1] ?? m[2])!, port };
}

/** The address of `field` (null: the stored one); usage errors before any store is opened. */
function fieldAddress(parsed: ParsedCommand): { host: string; port: number } | null {
  const listen = parsed.options.listen;
  if (listen === undefined && (parsed.options['at-unlock'] === true || parsed.options['certificate-days'] !== undefined)) {
    throw new UsageError('field: --at-unlock and --certificate-days go with --listen HOST:PORT');
  }
  const address = typeof listen === 'string' ? parseListen(listen) : null;
  if (address && address.port === 0 && parsed.options['at-unlock'] === true) throw new UsageError('field: --at-unlock needs a fixed port (1-65535): robots are configured with it');
  return address;
}

/**
 * field [--listen HOST:PORT [--at-unlock]]: unlocks, starts the field link (docs/field-link.md) and serves until a
 * signal. Without --listen the stored "start at unlock" setting names the address (refused when it is off);
 * --at-unlock stores the given address as that setting first (audited settings.field_link).
 */
async function headlessField(fleet: FleetConsole, parsed: ParsedCommand, io: CliIo): Promise<number> {
  if (!io.untilStopped) throw new Error('field needs untilStopped');
  const address = fieldAddress(parsed);
  const days = parsed.options['certificate-days'];
  const certificateDays = typeof days === 'string' ? Number(days) : undefined;
  const passphrase = await readPassphrase({ env: io.env, stdin: io.stdin, prompt: io.stderr }, {});
  await fleet.handlers['session:unlock'](unlockInput(parsed, passphrase), { transport: 'cli' });
  fleet.access.check('field:start', { transport: 'cli' });
  let target: { host: string; port: number; certificateDays: number | undefined };
  if (address) {
    target = { ...address, certificateDays };
    if (parsed.options['at-unlock'] === true) {
      await fleet.handlers['field:setAutostart']({ enabled: true, ...address, ...(certificateDays === undefined ? {} : { certificateDays }) }, { transport: 'cli' });
    }
  } else {
    const stored = await fleet.handlers['field:autostart']({}, { transport: 'cli' });
    if (!stored.enabled) throw new ConsoleError('invalid_input', 'No field link address is stored: give --listen HOST:PORT (with --at-unlock to store it).', { field: 'listen' });
    target = { host: stored.host, port: stored.port, certificateDays: stored.certificateDays };
  }
  const s = await fleet.field.start(target);
  io.stdout.write(parsed.json
    ? `${JSON.stringify({ host: s.host, port: s.port, certificate: s.certificate })}\n`
    : `field link listening on ${s.host}:${s.port} (server certificate ${s.certificate?.serial}, valid until ${s.certificate?.notAfter})\n`);
  const reason = await io.untilStopped();
  io.stderr.write(`${reason}: stopping the field link and closing the key store\n`);
  await fleet.field.stop();
  return 0;
}

/**
 * restore --from FILE --data-dir DIR: no console is opened (on a new computer there is no store and no operator yet);
 * the backup passphrase is the authority. DIR must be absent or empty (docs/recovery-and-backup.md).
 */
async function restore(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const sharesFile = parsed.options.shares;
  const key = typeof sharesFile === 'string'
    ? { shares: await readShareFile(resolve(sharesFile)) }
    : { passphrase: await readPassphrase({ env: io.env, stdin: io.stdin, prompt: io.stderr }, { label: 'Backup passphrase', envName: BACKUP_PASSPHRASE_ENV }) };
  const value = await restoreBackup({ from: resolve(String(parsed.options.from)), dataDir: resolve(parsed.dataDir ?? ''), ...key });
  io.stdout.write(parsed.json ? `${JSON.stringify(value, null, 2)}\n` : `restored store ${value.storeId} (backup of ${value.createdAt}, ${value.storeBytes} bytes) into ${value.dataDir}; sign in there as before\n`);
  return 0;
}

async function runParsed(io: CliIo): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(io.argv, io.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`usage error: ${e.message}\nRun "ecps-console help" for the list of commands.\n`);
    return 2;
  }
  try {
    if (parsed.command === 'field') fieldAddress(parsed);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`usage error: ${e.message}\nRun "ecps-console help" for the list of commands.\n`);
    return 2;
  }
  if (parsed.command === 'help') {
    io.stdout.write(USAGE + '\n');
    return 0;
  }
  if (OFFLINE_COMMANDS.includes(parsed.command)) {
    return runOfflineApprovalCommand(parsed, {
      out: (line) => void io.stdout.write(line + '\n'),
      readKeyPassphrase: (options) => readPassphrase({ env: { [PASSPHRASE_ENV]: io.env[APPROVAL_KEY_PASSPHRASE_ENV] }, stdin: io.stdin, prompt: io.stderr }, options),
      now: () => new Date(),
    });
  }
  if (KIT_OFFLINE_COMMANDS.includes(parsed.command)) {
    return runOfflineKitCommand(parsed, {
      out: (line) => void io.stdout.write(line + '\n'),
      readPassphrase: () => readPassphrase({ env: io.env, stdin: io.stdin, prompt: io.stderr }, {}),
      now: io.now ?? (() => new Date()),
    });
  }
  if (parsed.command === 'restore') return restore(parsed, io);
  if (parsed.command === 'serve' && typeof parsed.options.kit === 'string') return serveKit(parsed, io);
  const config = loadConfig(io.env);
  const dataDir = resolve(parsed.dataDir ?? config.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const logger = createStderrLogger('warn', io.stderr);
  // Rotations run only where the console stays up (serve, the window): a one-shot command never starts one that its
  // own exit would cut short (due work waits for the next console that runs the scheduler; docs/rotation.md).
  const fleet = await createConsole({ dataDir, logger, kdf: config.kdf, env: io.env, rotation: { scheduler: parsed.command === 'serve' || parsed.command === 'scheduler' },
    // The browser host locks an idle session as the window does; one-shot commands and the headless scheduler do not.
    ...(parsed.command === 'serve' ? { idleLock: {} } : {}),
    // The stored "start the field link at unlock" setting: only consoles that stay up (docs/field-link.md).
    ...(parsed.command === 'serve' || parsed.command === 'scheduler' ? { field: { startAtUnlock: true } } : {}),
  });
  try {
    if (parsed.command === 'serve') return await serve(fleet, parsed, io);
    if (parsed.command === 'scheduler') return await headlessScheduler(fleet, parsed, io);
    if (parsed.command === 'field') return await headlessField(fleet, parsed, io);
    const router = createRouter({ handlers: fleet.handlers, access: fleet.access, logger });
    const commandIo = {
      out: (line: string) => void io.stdout.write(line + '\n'),
      progress: (line: string) => void io.stderr.write(line + '\n'),
      readPassphrase: (options: PassphraseOptions) => readPassphrase({ env: io.env, stdin: io.stdin, prompt: io.stderr }, options),
    };
    const { exitCode } = await runCommand({ router, parsed, io: commandIo, station: fleet.station, auditExports: fleet.auditExports, rotation: fleet.rotation, access: fleet.access, events: fleet, emergency: fleet.emergency, recovery: fleet.recovery, ...(io.outputFs ? { outputFs: io.outputFs } : {}) });
    return exitCode;
  } finally {
    fleet.close();
  }
}

/** Runs one command line; resolves with the exit code (0 done, 1 failed with a typed error on stderr, 2 usage). */
export async function runCli(io: CliIo): Promise<number> {
  try {
    return await runParsed(io);
  } catch (e) {
    reportCliFailure(io.stderr, e);
    return 1;
  }
}
