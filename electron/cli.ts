// The command-line console: `node electron/cli.ts <command>` (npm run cli -- <command>). Every command goes
// through the same router as the window (transport 'cli'). Errors: "error [code]: message" and a hint on stderr,
// exit 1; usage errors exit 2.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ERROR_HINTS, isConsoleError } from '../shared/errors.ts';
import { createConsole, type FleetConsole } from './app.ts';
import { loadConfig } from './config/config.ts';
import { startBrowserHost } from './host/browserHost.ts';
import { parseCommandLine, USAGE, UsageError, type ParsedCommand } from './ipc/cli/args.ts';
import { runCommand } from './ipc/cli/commands.ts';
import { readPassphrase } from './ipc/cli/passphrase.ts';
import { createRouter } from './ipc/router.ts';
import { createStderrLogger } from './logger.ts';

function printError(code: string, message: string, hint: string | undefined): void {
  process.stderr.write(`error [${code}]: ${message}\n`);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function serve(fleet: FleetConsole, parsed: ParsedCommand): Promise<number> {
  const logger = createStderrLogger('warn');
  const host = await startBrowserHost({ console: fleet, logger, ...(parsed.port === undefined ? {} : { port: parsed.port }) });
  process.stdout.write(`ECPS console: ${host.url}\n`);
  const signal = await waitForSignal();
  process.stderr.write(`${signal}: closing the browser host and the key store\n`);
  await host.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv, process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`usage error: ${e.message}\nRun "ecps-console help" for the list of commands.\n`);
    return 2;
  }
  if (parsed.command === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = loadConfig(process.env);
  const dataDir = resolve(parsed.dataDir ?? config.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const logger = createStderrLogger('warn');
  const fleet = await createConsole({ dataDir, logger, kdf: config.kdf });
  try {
    if (parsed.command === 'serve') return await serve(fleet, parsed);
    const router = createRouter({ handlers: fleet.handlers, logger });
    const io = {
      out: (line: string) => process.stdout.write(line + '\n'),
      readPassphrase: (options: { confirm?: boolean }) =>
        readPassphrase({ env: process.env, stdin: process.stdin, prompt: process.stderr }, options),
    };
    const { exitCode } = await runCommand({ router, parsed, io, station: fleet.station });
    return exitCode;
  } finally {
    fleet.close();
  }
}

// The event loop can only empty while main() is pending if something it awaits holds no handle (the unref'd retry
// timer did that once): then the command did not finish, and the CLI must not report success.
let finished = false;
process.on('beforeExit', () => {
  if (finished) return;
  finished = true;
  printError('internal', 'The command stopped before it finished (nothing was left to wait for); its outcome is unknown.', ERROR_HINTS.internal);
  process.exitCode = 1;
});

main(process.argv.slice(2)).then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (e: unknown) => {
    finished = true;
    if (isConsoleError(e)) printError(e.code, e.message, ERROR_HINTS[e.code]);
    else {
      createStderrLogger('error').error('cli failed', { error: e });
      printError('internal', 'The console failed unexpectedly (details in the log line above).', ERROR_HINTS.internal);
    }
    process.exitCode = 1;
  },
);
