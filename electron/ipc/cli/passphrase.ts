// Where the CLI gets a passphrase: ECPS_PASSPHRASE, else a no-echo prompt on a terminal, else one line of stdin.
// Never argv (visible to every user through ps and kept in shell history).
import type { Readable } from 'node:stream';
import { ConsoleError } from '../../../shared/errors.ts';
import type { TextSink } from '../../logger.ts';

export const PASSPHRASE_ENV = 'ECPS_PASSPHRASE';
/** The passphrase of a backup file (backup, restore): the custodians', not an operator's. */
export const BACKUP_PASSPHRASE_ENV = 'ECPS_BACKUP_PASSPHRASE';
/** The first passphrase of an operator an admin adds (operators add): the new operator's, not the admin's. */
export const NEW_OPERATOR_PASSPHRASE_ENV = 'ECPS_NEW_OPERATOR_PASSPHRASE';
/** A PKCS#11 token's PIN: at sign-in (operators whose factor is a token) and when binding a token (operators token bind). */
export const TOKEN_PIN_ENV = 'ECPS_TOKEN_PIN';

/** What the prompt needs of stdin beyond a stream: a terminal (process.stdin on a tty) has both. */
export interface PassphraseInput {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface PassphraseSource {
  env: NodeJS.ProcessEnv;
  stdin: Readable & PassphraseInput;
  /** Where prompts go (stderr, so stdout stays clean for --json). */
  prompt: TextSink;
}

function promptNoEcho(source: PassphraseSource, question: string): Promise<string> {
  const { stdin, prompt } = source;
  return new Promise((resolve, reject) => {
    let value = '';
    // Echo off before the prompt appears, so nothing typed right after it can be echoed.
    stdin.setRawMode!(true);
    prompt.write(question);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (err: Error | null) => {
      stdin.setRawMode!(false);
      stdin.pause();
      stdin.off('data', onData);
      prompt.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new ConsoleError('invalid_input', 'Passphrase entry cancelled.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function readOneLine(stdin: Readable): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    stdin.setEncoding('utf8');
    const done = (line: string | null) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      resolve(line);
    };
    const onData = (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl >= 0) done(buffered.slice(0, nl).replace(/\r$/, ''));
    };
    const onEnd = () => done(buffered.length > 0 ? buffered.replace(/\r$/, '') : null);
    const onError = (e: Error) => reject(e);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    stdin.resume();
  });
}

const noPassphrase = (envName: string, what: string) => `No ${what} given: set ${envName}, type it at the prompt, or pipe it on stdin.`;

export interface PassphraseOptions {
  confirm?: boolean;
  label?: string;
  /** The variable that may hold it (default ECPS_PASSPHRASE). */
  envName?: string;
  /** What the secret is, in the message when none is given (default: passphrase). */
  what?: string;
}

export async function readPassphrase(source: PassphraseSource, options: PassphraseOptions = {}): Promise<string> {
  const envName = options.envName ?? PASSPHRASE_ENV;
  const NO_PASSPHRASE = noPassphrase(envName, options.what ?? 'passphrase');
  const fromEnv = source.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const label = options.label ?? 'Passphrase';
  if (source.stdin.isTTY) {
    const first = await promptNoEcho(source, `${label}: `);
    if (first === '') throw new ConsoleError('invalid_input', NO_PASSPHRASE);
    if (options.confirm) {
      const again = await promptNoEcho(source, `${label} (again): `);
      if (again !== first) throw new ConsoleError('invalid_input', 'The two passphrases differ; nothing was changed.');
    }
    return first;
  }
  const line = await readOneLine(source.stdin);
  if (line === null || line === '') throw new ConsoleError('invalid_input', NO_PASSPHRASE);
  return line;
}
