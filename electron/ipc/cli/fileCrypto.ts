// The CLI's encrypt / decrypt of files of any size: streamed through the format-2 envelope (electron/crypto/
// streamEnvelope.ts) in constant memory. The file key is sealed and opened by keys:encrypt / keys:decrypt through the
// router (so the key's state, providers and audit apply as to any message); the chunks never leave this process.
// Output goes to a temp file beside the target and is renamed into place only once complete (decrypt: once the final
// chunk authenticated); on any failure the temp file is removed. Format-1 files (the CLI's earlier base64 output, or
// the raw envelope) still decrypt, within the single-shot size limit.
import crypto from 'node:crypto';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MAX_IPC_PAYLOAD_BYTES, type ChannelName, type ChannelOutput } from '../../../shared/contract.ts';
import { ConsoleError } from '../../../shared/errors.ts';
import { ENVELOPE_MAGIC } from '../../crypto/envelope.ts';
import {
  ChunkCipher,
  DEFAULT_CHUNK_BYTES,
  FILE_KEY_BYTES,
  fileKeyAad,
  isStreamFormat,
  newStreamParams,
  openStream,
  parseStreamPrefix,
  sealStream,
  STREAM_PREFIX_BYTES,
  streamHeader,
  type StreamSource,
} from '../../crypto/streamEnvelope.ts';

export type RouterCall = <C extends ChannelName>(channel: C, input: unknown) => Promise<ChannelOutput<C>>;

export interface FileCryptoOptions {
  inPath: string;
  outPath: string;
  aad: Buffer;
  /** Replace an existing output file. */
  force: boolean;
  /**
   * The file system calls whose outcomes cannot be produced or seen on demand (a short write; a file system without
   * hard links, such as FAT on a USB stick; when the output is flushed): tests replace them. Default: node:fs.
   */
  fs?: Partial<OutputFs>;
}

export interface OutputFs {
  writev(file: FileHandle, buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  link(existing: string, created: string): Promise<void>;
  datasync(file: FileHandle): Promise<void>;
}

const NODE_FS: OutputFs = { writev: (file, buffers, position) => file.writev(buffers, position), link, datasync: (file) => file.datasync() };

export interface FileCryptoResult {
  keyId: string;
  version: number;
  /** Plaintext bytes. */
  bytes: number;
  /** 2: streamed; 1: a single-shot envelope (decrypt only). */
  format: 1 | 2;
}

const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;
/** A format-1 file the CLI wrote (base64 text) or a raw envelope: at most the single-shot limit, encoded. */
const MAX_FORMAT1_FILE_BYTES = Math.ceil((MAX_IPC_PAYLOAD_BYTES + 4096) / 3) * 4 + 2;

async function openInput(path: string): Promise<{ file: FileHandle; size: number }> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    throw new ConsoleError('not_found', `Input file ${path} cannot be read.`);
  }
  const info = await file.stat();
  if (!info.isFile()) {
    await file.close();
    throw new ConsoleError('invalid_input', `--in ${path} is not a regular file.`, { field: 'in' });
  }
  return { file, size: info.size };
}

const outputExists = (path: string) => new ConsoleError('invalid_input', `Output file ${path} exists; it was not changed (use --force to replace it).`, { field: 'out' });

/** Fails early (before any key is used) when the output exists and may not be replaced. */
async function refuseExisting(path: string, force: boolean): Promise<void> {
  if (force) return;
  const probe = await open(path, 'r').catch(() => null);
  if (probe) {
    await probe.close();
    throw outputExists(path);
  }
}

/**
 * Zeroes a written buffer (decrypted plaintext among them) and, when its ArrayBuffer holds exactly it (a chunk the
 * cipher allocated, not a slice of Node's shared pool), frees that memory now rather than at a later garbage
 * collection: what keeps the resident size flat while gigabytes stream through.
 */
function release(b: Buffer): void {
  b.fill(0);
  // ArrayBuffer.prototype.transfer (ES2024, Node >= 21): detaching drops the backing store at once.
  const whole = b.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (whole instanceof ArrayBuffer && b.byteOffset === 0 && whole.byteLength === b.length && b.length >= 4096) whole.transfer?.(0);
}

/**
 * A new 0600 file beside the target, renamed over it by commit() (an existing target only when `force`) or removed by
 * discard(). Also the backup file's writer (electron/services/recovery/backup.ts), and the share files' (`recovery
 * shares` / `backup --out-dir`: all written, then all moved into place). `fs`: the calls a test replaces (OutputFs).
 */
export async function tempOutput(path: string, force: boolean, replaced: Partial<OutputFs> = {}) {
  const fs: OutputFs = { ...NODE_FS, ...replaced };
  const temp = join(dirname(path), `.${basename(path)}.${crypto.randomBytes(6).toString('hex')}.partial`);
  let file: FileHandle;
  try {
    file = await open(temp, 'wx', 0o600);
  } catch (e) {
    throw new ConsoleError('invalid_input', `Output file ${path} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, { field: 'out' });
  }
  let position = 0;
  let syncedTo = 0;
  // Flushing as the file grows overlaps the disk's work with the cipher's, instead of one long fsync at the end.
  let flushing: Promise<void> = Promise.resolve();
  return {
    /** Writes every buffer, in order, after what was written; then wipes and frees them (they are the caller's to give up). */
    async write(parts: Buffer[]): Promise<void> {
      let pending = parts;
      while (pending.length > 0) {
        const want = pending.reduce((n, b) => n + b.length, 0);
        const { bytesWritten } = await fs.writev(file, pending, position);
        position += bytesWritten;
        if (bytesWritten === want) break;
        // a short write: continue from where it stopped
        let skip = bytesWritten;
        while (skip >= pending[0]!.length) skip -= pending.shift()!.length;
        pending = [pending[0]!.subarray(skip), ...pending.slice(1)];
      }
      for (const part of parts) release(part);
      if (position - syncedTo >= FLUSH_EVERY_BYTES) {
        await flushing;
        syncedTo = position;
        flushing = fs.datasync(file);
      }
    },
    async commit(): Promise<void> {
      await flushing;
      await file.sync();
      await file.close();
      if (force) {
        await rename(temp, path);
        return;
      }
      try {
        // link() refuses to replace a file that appeared meanwhile, unlike rename().
        await fs.link(temp, path);
        await unlink(temp);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          await unlink(temp).catch(() => undefined);
          throw outputExists(path);
        }
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') {
          // (the caller removes the temp file)
          throw new ConsoleError('invalid_input', `Output file ${path} cannot be written (${code ?? 'error'}).`, { field: 'out' });
        }
        // A file system without hard links (e.g. FAT on a USB stick): check, then rename.
        await refuseExisting(path, false).catch(async (err: unknown) => {
          await unlink(temp).catch(() => undefined);
          throw err;
        });
        await rename(temp, path);
      }
    },
    async discard(): Promise<void> {
      await flushing.catch(() => undefined);
      await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    },
  };
}

/**
 * Writes `data` as one whole file at `path` through tempOutput: a new 0600 file beside the target, flushed, then moved
 * into place (over an existing file only when `force`). So the target is at every moment either what it was (file,
 * content and mode) or the new file complete at 0600: never truncated, half-written or left with an old, wider mode
 * (0644, 0666) while secret bytes go in. A refusal (exists without `force`, a folder that cannot take the file, a
 * failed write or move) leaves the target as it was and no temp file; every failure is invalid_input for --out. The
 * one writer of every whole --out file: the CLI's writeOutput (commands.ts), approval key and approval files
 * (approvalKeyFiles.ts), kit order files (kitCli.ts, the offline window's kitModeRouter.ts). `data` is copied; the
 * copy is wiped once written, the caller's buffer is left as it was.
 */
export async function writeWholeFile(path: string, data: Buffer | string, force: boolean, fs: Partial<OutputFs> = {}): Promise<void> {
  const out = await tempOutput(path, force, { ...NODE_FS, ...fs });
  try {
    await out.write([Buffer.from(data)]);
    await out.commit();
  } catch (e) {
    await out.discard();
    if (e instanceof ConsoleError) throw e;
    throw new ConsoleError('invalid_input', `Output file ${path} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, { field: 'out' });
  }
}

/** Runs `work` on a temp output; commits it when work resolves, removes it when anything fails. */
async function intoTemp<T>(o: FileCryptoOptions, work: (write: (parts: Buffer[]) => Promise<void>) => Promise<T>): Promise<T> {
  const out = await tempOutput(o.outPath, o.force, { ...NODE_FS, ...o.fs });
  try {
    const result = await work((parts) => out.write(parts));
    await out.commit();
    return result;
  } catch (e) {
    await out.discard();
    throw e;
  }
}

/** Encrypts a file of any size into a format-2 stream. */
export async function encryptFile(call: RouterCall, keyId: string, o: FileCryptoOptions, chunkBytes = DEFAULT_CHUNK_BYTES): Promise<FileCryptoResult> {
  const { file, size } = await openInput(o.inPath);
  try {
    await refuseExisting(o.outPath, o.force);
    const params = newStreamParams(chunkBytes);
    const fileKey = crypto.randomBytes(FILE_KEY_BYTES);
    let cipher: ChunkCipher;
    let sealed: ChannelOutput<'keys:encrypt'>;
    try {
      sealed = await call('keys:encrypt', { keyId, plaintext: fileKey, aad: fileKeyAad(o.aad) });
      const header = streamHeader(params, Buffer.from(sealed.ciphertext));
      cipher = new ChunkCipher(fileKey, params.salt, header, o.aad);
      return await intoTemp(o, async (write) => {
        await write([header]);
        const bytes = await sealStream(source(file, 0, size), cipher, params.chunkBytes, write);
        if ((await file.stat()).size !== size) throw new ConsoleError('invalid_input', `Input file ${o.inPath} changed while it was encrypted.`, { field: 'in' });
        return { keyId: sealed.keyId, version: sealed.version, bytes, format: 2 as const };
      }).finally(() => cipher.destroy());
    } finally {
      fileKey.fill(0);
    }
  } finally {
    await file.close();
  }
}

/** `length` bytes of the file from `start`, read by position (the stream reads ahead and reuses its buffers). */
function source(file: FileHandle, start: number, length: number): StreamSource {
  return { start, length, read: async (buf, position) => (await file.read(buf, 0, buf.length, position)).bytesRead };
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await file.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** Decrypts a format-2 stream, or a format-1 envelope (raw or the base64 text the CLI wrote before format 2). */
export async function decryptFile(call: RouterCall, o: FileCryptoOptions): Promise<FileCryptoResult> {
  const { file, size } = await openInput(o.inPath);
  try {
    if (size === 0) throw new ConsoleError('ciphertext_malformed', `The ciphertext is incomplete or damaged (the file ${o.inPath} is empty).`, { reason: 'empty' });
    await refuseExisting(o.outPath, o.force);
    const prefix = await readAt(file, 0, STREAM_PREFIX_BYTES);
    if (!isStreamFormat(prefix)) return await decryptFormat1(call, file, size, o);
    const p = parseStreamPrefix(prefix);
    const headerBytes = STREAM_PREFIX_BYTES + p.keyEnvelopeBytes;
    const header = await readAt(file, 0, headerBytes);
    if (header.length < headerBytes) throw new ConsoleError('ciphertext_malformed', 'The ciphertext is incomplete or damaged (ends inside the file key envelope).', { reason: 'truncated' });
    const opened = await call('keys:decrypt', { ciphertext: header.subarray(STREAM_PREFIX_BYTES), aad: fileKeyAad(o.aad) });
    const fileKey = Buffer.from(opened.plaintext);
    opened.plaintext.fill(0);
    let cipher: ChunkCipher;
    try {
      cipher = new ChunkCipher(fileKey, p.salt, header, o.aad);
    } finally {
      fileKey.fill(0);
    }
    try {
      const bytes = await intoTemp(o, (write) =>
        openStream(source(file, headerBytes, size - headerBytes), cipher, p.chunkBytes, write),
      );
      return { keyId: opened.keyId, version: opened.version, bytes, format: 2 };
    } finally {
      cipher.destroy();
    }
  } finally {
    await file.close();
  }
}

async function decryptFormat1(call: RouterCall, file: FileHandle, size: number, o: FileCryptoOptions): Promise<FileCryptoResult> {
  if (size > MAX_FORMAT1_FILE_BYTES) {
    throw new ConsoleError('ciphertext_foreign', `Input file ${o.inPath} is not a streaming ciphertext, and is too large (${size} bytes) for a single-shot one.`, { field: 'in' });
  }
  const raw = await readAt(file, 0, size);
  let envelope: Buffer;
  if (raw.subarray(0, 4).equals(ENVELOPE_MAGIC)) envelope = raw;
  else {
    const text = raw.toString('latin1').trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new ConsoleError('ciphertext_foreign', 'This is not ciphertext of the ECPS console format.');
    envelope = Buffer.from(text, 'base64');
  }
  const opened = await call('keys:decrypt', { ciphertext: envelope, aad: o.aad });
  const plaintext = Buffer.from(opened.plaintext.buffer, opened.plaintext.byteOffset, opened.plaintext.byteLength);
  const bytes = plaintext.length;
  try {
    await intoTemp(o, (write) => write([plaintext]));
  } finally {
    // A written buffer was wiped, and released when it owned its memory (detached: length 0, where fill() throws);
    // one never written (the temp file could not be made) is wiped here.
    if (plaintext.byteLength > 0) plaintext.fill(0);
  }
  return { keyId: opened.keyId, version: opened.version, bytes, format: 1 };
}
