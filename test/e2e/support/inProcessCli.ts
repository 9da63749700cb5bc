// The CLI run in the test's own process (runCli), its output collected: what the incident-kit window specs use to
// export, serve and import a kit. `until` ends a `serve` (its untilStopped), `now` is the offline console's clock.
import { Readable } from 'node:stream';
import { runCli } from '../../../electron/ipc/cli/runCli.ts';

export interface CliRun {
  done: ReturnType<typeof runCli>;
  out(): string;
  err(): string;
}

export function inProcessCli(env: Record<string, string>) {
  return (argv: string[], o: { now?: () => Date; onOut?: (text: string) => void; until?: Promise<string> } = {}): CliRun => {
    let stdout = '';
    let stderr = '';
    const done = runCli({
      argv, env: { ...env }, stdin: Readable.from([]),
      stdout: { write: (t: string) => { stdout += t; o.onOut?.(stdout); } },
      stderr: { write: (t: string) => (stderr += t) },
      ...(o.until ? { untilStopped: () => o.until! } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    return { done, out: () => stdout, err: () => stderr };
  };
}
