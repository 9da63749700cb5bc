// A file far over the window's 1 MiB call limit through the real binary: 256 MiB encrypted and decrypted back,
// byte for byte, each process's peak resident size staying near that of a command that moves no data (constant
// memory: a CLI that buffered the file would add 256 MB or more). The 1 GiB run with timings is the benchmark
// (test/bench/cli-files.bench.ts).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cliEnv } from './support/cliProcess.ts';

const PASS = 'Large-File-Passphrase correct horse';
const MIB = 256;
/** Makes the child print its peak resident size (KiB) on exit; the binary runs unchanged. */
const REPORT_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss_kb="+process.resourceUsage().maxRSS+"\\n"))';

let dir: string;
const data = () => ['--data-dir', join(dir, 'store')];

function cli(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string; maxRssKb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', REPORT_RSS, CLI, ...args], { cwd: ROOT, env: cliEnv({ ECPS_PASSPHRASE: PASS }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, maxRssKb: Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? NaN) }));
    child.stdin.end(stdin);
  });
}

async function sha256(path: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecps-cli-large-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the real binary with a large file', () => {
  it(`round-trips a ${MIB} MiB file in constant memory`, async () => {
    const input = join(dir, 'image.bin');
    const fd = openSync(input, 'w');
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < MIB; i++) writeSync(fd, crypto.randomFillSync(block));
    closeSync(fd);
    expect((await cli(['init', ...data()])).code).toBe(0);
    const created = await cli(['keys', 'create', '--type', 'storage', '--label', 'Images', '--json', ...data()]);
    const keyId = (JSON.parse(created.stdout) as { id: string }).id;
    const idle = await cli(['keys', 'list', ...data()]);
    expect(idle.code).toBe(0);

    const enc = await cli(['encrypt', '--key', keyId, '--in', input, '--out', join(dir, 'image.enc'), '--aad', 'robot-7', ...data()]);
    expect(enc.code, enc.stderr).toBe(0);
    expect(enc.stdout).toContain(`encrypted ${MIB * 1024 * 1024} bytes with key ${keyId} v1`);
    const dec = await cli(['decrypt', '--in', join(dir, 'image.enc'), '--out', join(dir, 'image.out'), '--aad', 'robot-7', ...data()]);
    expect(dec.code, dec.stderr).toBe(0);
    expect(await sha256(join(dir, 'image.out'))).toBe(await sha256(input));

    // Memory, not time: each process peaks within 64 MB of a command that streams nothing.
    for (const r of [enc, dec]) expect(r.maxRssKb - idle.maxRssKb).toBeLessThan(64 * 1024);
  });
});
