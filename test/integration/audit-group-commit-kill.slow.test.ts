// Group commit's promise, with a real process and a real SIGKILL (docs/audit-log.md, "Group commit"): no result is
// returned before its record is committed. A child runs a burst of audited key operations from 16 concurrent workers
// and prints each result as it is returned; once it has printed enough results (readiness by output, never by time)
// it is killed mid-burst. The store is then reopened: every printed result has its record (and a rotation its version
// row), and the chain verifies. A slow-tier test: the point is a process killed between its writes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CTX, open, openUnlocked, PASSPHRASE, removeTempDirs, tempDir, withRawDb } from '../unit/store-testkit.ts';

const CHILD = path.join(import.meta.dirname, 'support', 'auditBurstChild.ts');
const WORKERS = 16;
const KILL_AFTER_RESULTS = 400;

afterAll(removeTempDirs);

/** Runs the child until it has printed `results` result lines, kills it with SIGKILL, and returns every line it printed. */
function burstUntilKilled(args: string[], results: number): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { env: { ...process.env, BURST_PASSPHRASE: PASSPHRASE }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderr = '';
    const lines: string[] = [];
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      lines.push(...complete);
      if (!killed && lines.filter((l) => l.startsWith('ok ') || l.startsWith('fail ')).length >= results) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    // 'close': every byte the child wrote before it died has been read.
    child.on('close', (code, signal) => {
      if (!killed) reject(new Error(`the burst child exited by itself (code ${code}): ${stderr.slice(0, 2000)}`));
      else resolve({ lines, signal });
    });
  });
}

describe('group commit survives SIGKILL mid-burst', () => {
  it('every result the killed process returned has its durable record, and the chain verifies', async () => {
    const dir = tempDir('ecps-burst-');
    const setup = await openUnlocked(dir);
    const link = await setup.keys.create({ type: 'communication', label: 'burst link' });
    const rotating = [];
    for (let w = 0; w < WORKERS; w++) rotating.push((await setup.keys.create({ type: 'storage', label: `burst ${w}` })).id);
    setup.close();

    const { lines, signal } = await burstUntilKilled([dir, link.id, ...rotating], KILL_AFTER_RESULTS);
    expect(signal).toBe('SIGKILL');
    expect(lines[0]).toBe('READY');
    const results = lines.slice(1).map((l) => l.split(' '));
    expect(results.length).toBeGreaterThanOrEqual(KILL_AFTER_RESULTS);
    expect(results.filter((r) => r[0] !== 'ok' && r[0] !== 'fail')).toEqual([]);
    expect(results.some((r) => r[1] === 'key.rotate')).toBe(true);

    const after = await open(dir);
    await after.handlers['session:unlock']({ operator: 'alice', passphrase: PASSPHRASE }, CTX);
    expect(await after.handlers['audit:verify']({}, CTX)).toMatchObject({ ok: true, firstBad: null });
    after.close();

    const { records, versions } = withRawDb(dir, (db) => ({
      records: db.prepare('SELECT action, target_id, outcome, details FROM audit_records').all() as Array<{ action: string; target_id: string; outcome: string; details: string }>,
      versions: new Set((db.prepare('SELECT key_id, version FROM key_versions').all() as Array<{ key_id: string; version: number }>).map((v) => `${v.key_id}#${v.version}`)),
    }));
    const recorded = new Set(
      records.map((r) => {
        const d = JSON.parse(r.details) as { bytes?: number; version?: number; code?: string };
        const what = r.outcome === 'failure' ? d.code : r.action === 'key.rotate' ? d.version : d.bytes;
        return `${r.outcome === 'success' ? 'ok' : 'fail'} ${r.action} ${r.target_id} ${what}`;
      }),
    );
    const missing = results.map((r) => r.join(' ')).filter((line) => !recorded.has(line));
    expect(missing).toEqual([]);
    const rotations = results.filter((r) => r[0] === 'ok' && r[1] === 'key.rotate');
    expect(rotations.filter((r) => !versions.has(`${r[2]}#${r[3]}`))).toEqual([]);
  });
});
