// Where the CLI takes a passphrase (electron/ipc/cli/passphrase.ts), called directly, against docs/cli.md: "The
// passphrase comes from ECPS_PASSPHRASE, else a no-echo prompt on a terminal, else one line of stdin". The terminal is
// a stream that says it is a TTY and records setRawMode (echo off); what is "typed" is sent once the prompt is written
// (the prompt is the readiness signal, nothing waits on a clock). Expected texts are written out here.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleError } from '../../shared/errors.ts';
import { BACKUP_PASSPHRASE_ENV, NEW_OPERATOR_PASSPHRASE_ENV, PASSPHRASE_ENV, readPassphrase, TOKEN_PIN_ENV, type PassphraseOptions } from '../../electron/ipc/cli/passphrase.ts';

const NONE_GIVEN = 'No passphrase given: set ECPS_PASSPHRASE, type it at the prompt, or pipe it on stdin.';

/** Piped stdin: not a terminal. `chunks` are written in order, then the stream ends (unless `end` is false). */
function piped(chunks: Array<string | Buffer>, end = true): PassThrough {
  const stdin = new PassThrough();
  for (const c of chunks) stdin.write(c);
  if (end) stdin.end();
  return stdin;
}

async function fromPipe(stdin: PassThrough, env: NodeJS.ProcessEnv = {}, options: PassphraseOptions = {}) {
  const prompts: string[] = [];
  const value = await readPassphrase({ env, stdin, prompt: { write: (t) => prompts.push(t) } }, options);
  return { value, prompts };
}

async function refusedMessage(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ConsoleError);
  expect((e as ConsoleError).code).toBe('invalid_input');
  return (e as Error).message;
}

/** A terminal: every prompt (a text ending in ": ") is answered with the next of `typed`, as keystrokes. */
function terminal(typed: string[]) {
  const events: string[] = [];
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode(mode: boolean) {
      events.push(`raw:${mode}`);
      return this;
    },
  });
  const prompt = {
    write(text: string) {
      events.push(`prompt:${JSON.stringify(text)}`);
      if (text.endsWith(': ')) {
        const next = typed.shift();
        if (next !== undefined) setImmediate(() => stdin.write(next));
      }
    },
  };
  return { stdin, prompt, events };
}

describe('the passphrase variable comes first', () => {
  it('returns ECPS_PASSPHRASE without reading stdin or prompting', async () => {
    const stdin = piped(['from stdin\n']);
    const { value, prompts } = await fromPipe(stdin, { [PASSPHRASE_ENV]: 'from env' });
    expect(value).toBe('from env');
    expect(prompts).toEqual([]);
    expect(stdin.read()?.toString()).toBe('from stdin\n');
  });

  it('an empty variable counts as not set: stdin is read', async () => {
    expect((await fromPipe(piped(['from stdin\n']), { [PASSPHRASE_ENV]: '' })).value).toBe('from stdin');
  });

  it('reads the variable it is told to, not ECPS_PASSPHRASE', async () => {
    const env = { [PASSPHRASE_ENV]: 'operator secret', [BACKUP_PASSPHRASE_ENV]: 'backup secret' };
    expect((await fromPipe(piped([]), env, { envName: BACKUP_PASSPHRASE_ENV })).value).toBe('backup secret');
    expect((await fromPipe(piped(['piped\n']), { [PASSPHRASE_ENV]: 'operator secret' }, { envName: NEW_OPERATOR_PASSPHRASE_ENV })).value).toBe('piped');
  });

  it('names the variables of docs/cli.md and docs/operators.md', () => {
    expect([PASSPHRASE_ENV, BACKUP_PASSPHRASE_ENV, NEW_OPERATOR_PASSPHRASE_ENV, TOKEN_PIN_ENV]).toEqual([
      'ECPS_PASSPHRASE',
      'ECPS_BACKUP_PASSPHRASE',
      'ECPS_NEW_OPERATOR_PASSPHRASE',
      'ECPS_TOKEN_PIN',
    ]);
  });
});

describe('one line of piped stdin', () => {
  const LINES: Array<{ chunks: string[]; want: string; why: string }> = [
    { chunks: ['secret\n'], want: 'secret', why: 'a line' },
    { chunks: ['secret\r\n'], want: 'secret', why: 'a CRLF line' },
    { chunks: ['secret\nsecond line\n'], want: 'secret', why: 'only the first line' },
    { chunks: ['sec', 're', 't\nrest'], want: 'secret', why: 'a line in several chunks' },
    { chunks: ['secret'], want: 'secret', why: 'no newline before the end' },
    { chunks: ['secret\r'], want: 'secret', why: 'a CR before the end' },
    { chunks: ['a\rb\n'], want: 'a\rb', why: 'a CR inside the line stays' },
    { chunks: ['a\rb'], want: 'a\rb', why: 'a CR inside a last line without newline stays' },
    { chunks: ['  two words  \n'], want: '  two words  ', why: 'spaces are part of it' },
  ];
  it.each(LINES)('$why', async ({ chunks, want }) => {
    expect((await fromPipe(piped(chunks))).value).toBe(want);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = Buffer.from('pässwörd\n', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect((await fromPipe(piped(chunks))).value).toBe('pässwörd');
  });

  it('answers before stdin ends when the line is complete', async () => {
    expect((await fromPipe(piped(['secret\n'], false))).value).toBe('secret');
  });

  it('refuses an empty line or an empty stdin with the message of docs/cli.md', async () => {
    for (const chunks of [[], ['\n'], ['\r\n'], ['\nsecret\n']]) {
      expect(await refusedMessage(fromPipe(piped(chunks)))).toBe(NONE_GIVEN);
    }
  });

  it('names what is missing and where it could come from', async () => {
    const p = fromPipe(piped([]), {}, { envName: BACKUP_PASSPHRASE_ENV, what: 'backup passphrase' });
    expect(await refusedMessage(p)).toBe('No backup passphrase given: set ECPS_BACKUP_PASSPHRASE, type it at the prompt, or pipe it on stdin.');
    expect(await refusedMessage(fromPipe(piped([]), {}, { envName: TOKEN_PIN_ENV, what: 'token PIN' }))).toBe(
      'No token PIN given: set ECPS_TOKEN_PIN, type it at the prompt, or pipe it on stdin.',
    );
  });

  it('passes a read error on', async () => {
    const stdin = new PassThrough();
    const p = fromPipe(stdin);
    stdin.destroy(new Error('EIO: read failed'));
    await expect(p).rejects.toThrow('EIO: read failed');
  });

  it('stops reading afterwards: no listener left, stdin paused', async () => {
    const stdin = piped(['secret\n'], false);
    await fromPipe(stdin);
    expect(['data', 'end', 'error'].map((e) => stdin.listenerCount(e))).toEqual([0, 0, 0]);
    expect(stdin.isPaused()).toBe(true);
  });

  it('reads a stdin that an earlier read left paused', async () => {
    const stdin = piped(['first\n'], false);
    expect((await fromPipe(stdin)).value).toBe('first');
    stdin.write('second\n');
    expect((await fromPipe(stdin)).value).toBe('second');
  });
});

describe('the prompt on a terminal', () => {
  it('turns echo off before the prompt, reads up to Enter, turns echo back on', async () => {
    const { stdin, prompt, events } = terminal(['abc\rignored']);
    expect(await readPassphrase({ env: {}, stdin, prompt })).toBe('abc');
    expect(events).toEqual(['raw:true', 'prompt:"Passphrase: "', 'raw:false', 'prompt:"\\n"']);
    expect(stdin.listenerCount('data')).toBe(0);
    expect(stdin.isPaused()).toBe(true);
  });

  const KEYS: Array<{ typed: string; want: string; why: string }> = [
    { typed: 'abc\n', want: 'abc', why: 'LF ends it' },
    { typed: 'abc\u0004', want: 'abc', why: 'Ctrl-D ends it' },
    { typed: 'abcd\u007f\n', want: 'abc', why: 'DEL removes the last character' },
    { typed: 'abcd\b\bX\n', want: 'abX', why: 'backspace removes the last character' },
    { typed: '\u007fab\n', want: 'ab', why: 'DEL on nothing removes nothing' },
    { typed: 'pä ss\n', want: 'pä ss', why: 'other characters are kept' },
  ];
  it.each(KEYS)('$why', async ({ typed, want }) => {
    const { stdin, prompt } = terminal([typed]);
    expect(await readPassphrase({ env: {}, stdin, prompt })).toBe(want);
  });

  it('Ctrl-C cancels, with echo back on', async () => {
    const { stdin, prompt, events } = terminal(['abc\u0003def\n']);
    expect(await refusedMessage(readPassphrase({ env: {}, stdin, prompt }))).toBe('Passphrase entry cancelled.');
    expect(events.slice(-2)).toEqual(['raw:false', 'prompt:"\\n"']);
  });

  it('an empty entry is refused', async () => {
    const { stdin, prompt } = terminal(['\r']);
    expect(await refusedMessage(readPassphrase({ env: {}, stdin, prompt }))).toBe(NONE_GIVEN);
  });

  it('asks twice when confirming, under the label given', async () => {
    const { stdin, prompt, events } = terminal(['new secret\r', 'new secret\r']);
    expect(await readPassphrase({ env: {}, stdin, prompt }, { confirm: true, label: 'Backup passphrase' })).toBe('new secret');
    expect(events.filter((e) => e.startsWith('prompt:"B'))).toEqual(['prompt:"Backup passphrase: "', 'prompt:"Backup passphrase (again): "']);
  });

  it('refuses two entries that differ', async () => {
    const { stdin, prompt } = terminal(['new secret\r', 'new secret!\r']);
    expect(await refusedMessage(readPassphrase({ env: {}, stdin, prompt }, { confirm: true }))).toBe('The two passphrases differ; nothing was changed.');
  });

  it('asks once without confirm', async () => {
    const { stdin, prompt, events } = terminal(['once\r', 'never asked\r']);
    expect(await readPassphrase({ env: {}, stdin, prompt })).toBe('once');
    expect(events.filter((e) => e.includes('again'))).toEqual([]);
  });
});
