// The command-line console: `node electron/cli.ts <command>` (npm run cli -- <command>). The commands live in
// ipc/cli/runCli.ts; this file binds them to the process: argv, environment, standard streams, signals, exit code.
import { reportCliFailure, reportUnfinished, runCli } from './ipc/cli/runCli.ts';

/** The first SIGINT or SIGTERM, by name; the handlers exist only while `serve` or `scheduler` waits, so Ctrl-C ends other commands. */
function waitForSignal(): Promise<string> {
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

// The event loop can only empty while runCli() is pending if something it awaits holds no handle (the unref'd retry
// timer did that once): then the command did not finish, and the CLI must not report success.
let finished = false;
process.on('beforeExit', () => {
  if (finished) return;
  finished = true;
  reportUnfinished(process.stderr);
  process.exitCode = 1;
});

runCli({ argv: process.argv.slice(2), env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, untilStopped: waitForSignal }).then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (e: unknown) => {
    finished = true;
    reportCliFailure(process.stderr, e);
    process.exitCode = 1;
  },
);
