// The CLI's emergency commands of issues 11 and 15 (electron/ipc/cli/commands.ts through runCli), in this process on
// real stores, against docs/cli.md and docs/emergency-response.md: `lockdown order` / `lift` (signed files the robots
// accept, 0600, never over an existing file without --force), `emergency preview --limit`, `emergency execute` /
// `retry` (exit 1 while an action failed, the order file only when one was issued, --dry-run), and role refusals.
// Stores are seeded through the console's channels while no command runs; every test opens its own consoles (never in
// a beforeAll hook: vitest.mutate.config.ts).
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyOrder } from '../../electron/services/emergency/lockdownOrder.ts';
import { asBob, auditRows, cli, cliFolder, escapeRegExp, fleetStore, ok, refused, TEST_CTX, withConsole } from './cli-run-testkit.ts';

const { fresh } = cliFolder('ecps-cli-emergency-');

/** What a robot's check says of an order file (docs/emergency-response.md, the robot's side). */
const robotCheck = (file: string, pem: string, deviceId: string, lastSequence: number) =>
  verifyOrder(readFileSync(file), { emergencyPublicKey: createPublicKey(pem), robot: { deviceId, site: 'Plant 1', model: 'UV-7', firmware: '2.1.0', tags: [] }, lastSequence, now: new Date() });

describe('lockdown order / lift (docs/emergency-response.md)', () => {
  it('writes a signed order the robots in scope accept, 0600; says what it wrote; the lift follows in sequence', async () => {
    const { dir, emergencyPem, emergencyId } = await fleetStore(fresh, );
    const lock = fresh('lock');
    const made = ok(await cli(['lockdown', 'order', '--site', 'Plant 1', '--reason', 'site drill', '--order-actions', 'safe_mode', '--out', lock, '--data-dir', dir]));
    const order = robotCheck(lock, emergencyPem, 'uv-002', 0);
    expect(order).toMatchObject({ kind: 'lockdown', actions: ['safe_mode'] });
    expect(statSync(lock).mode & 0o777).toBe(0o600);
    // the human line names the kind, the sequence, the signing key and where the file went
    expect(made.stdout).toMatch(new RegExp(`^lockdown order ${order.sequence} \\(\\S+\\) signed with key ${emergencyId} v1, valid until \\S+; written to ${escapeRegExp(lock)}\\n$`));

    const lift = fresh('lift');
    const lifted = JSON.parse(ok(await cli(['lockdown', 'lift', '--site', 'Plant 1', '--reason', 'drill over', '--out', lift, '--json', '--data-dir', dir])).stdout) as { kind: string; sequence: number };
    expect(lifted).toMatchObject({ kind: 'lift', sequence: order.sequence + 1 });
    expect(robotCheck(lift, emergencyPem, 'uv-002', order.sequence).kind).toBe('lift');
  });

  it('an existing file is kept without --force (exit 1) and replaced, made 0600, with it', async () => {
    const { dir, emergencyPem } = await fleetStore(fresh, );
    const file = fresh('lock');
    writeFileSync(file, 'the old content', { mode: 0o644 });
    refused(await cli(['lockdown', 'order', '--robot', 'uv-001', '--reason', 'x', '--out', file, '--data-dir', dir]), 'invalid_input');
    expect(readFileSync(file, 'utf8')).toBe('the old content');
    // refused before the console was asked: nothing signed, no order recorded, the refusal audited (docs/lockdown-orders.md)
    expect(auditRows(dir).filter((r) => r.action === 'lockdown.order').map((r) => [r.actor, r.outcome, r.details.code, r.details.field, r.details.signed, r.details.refusedBy]))
      .toEqual([['alice', 'failure', 'invalid_input', 'out', false, 'cli']]);
    ok(await cli(['lockdown', 'order', '--robot', 'uv-001', '--reason', 'x', '--out', file, '--force', '--data-dir', dir]));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // the first order of the store: sequence MAX + 1 = 1, none burnt by the refused attempt
    expect(robotCheck(file, emergencyPem, 'uv-001', 0)).toMatchObject({ kind: 'lockdown', sequence: 1 });
  });

  it('a viewer may not issue one (forbidden, no file)', async () => {
    const { dir } = await fleetStore(fresh, );
    const file = fresh('lock');
    refused(await cli(['lockdown', 'order', '--robot', 'uv-001', '--reason', 'x', '--out', file, '--data-dir', dir], { env: asBob() }), 'forbidden');
    expect(existsSync(file)).toBe(false);
  });
});

describe('emergency preview --limit (docs/cli.md: the sample of robots shown; the channel takes at most 500)', () => {
  it('--limit N shows N robots of the scope; a --limit above 500 shows at most 500 instead of being refused', async () => {
    const { dir } = await fleetStore(fresh, );
    const sampled = async (limit: string[]) => {
      const r = ok(await cli(['emergency', 'preview', '--site', 'Plant 1', ...limit, '--json', '--data-dir', dir]));
      const value = JSON.parse(r.stdout) as { robots: { total: number; sample: Array<{ deviceId: string }> } };
      return [value.robots.total, value.robots.sample.length];
    };
    expect(await sampled(['--limit', '1'])).toEqual([2, 1]);
    expect(await sampled(['--limit', '1000'])).toEqual([2, 2]);
    expect(await sampled([])).toEqual([2, 2]);
    // the human form counts the scope's robots by status, as cli-emergency.test.ts reads it ("robots: 3 (3 deployed)")
    const human = ok(await cli(['emergency', 'preview', '--site', 'Plant 1', '--data-dir', dir]));
    expect(human.stdout).toMatch(/^robots: 2 \(2 deployed\)$/m);
  });
});

describe('emergency preview --ca-id (docs/cli.md: the CA that --revoke-ca would revoke)', () => {
  it('a CA id that names no CA is not_found and a malformed one invalid_input (exit 1); without --ca-id the same preview runs', async () => {
    const { dir } = await fleetStore(fresh, );
    refused(await cli(['emergency', 'preview', '--site', 'Plant 1', '--ca-id', '00000000-0000-4000-8000-000000000000', '--data-dir', dir]), 'not_found');
    refused(await cli(['emergency', 'preview', '--site', 'Plant 1', '--ca-id', 'no-such-ca', '--data-dir', dir]), 'invalid_input');
    ok(await cli(['emergency', 'preview', '--site', 'Plant 1', '--data-dir', dir]));
  });
});

describe('emergency execute / retry: exit 1 while an action failed, the lockdown order file (docs/cli.md)', () => {
  it('a failed action exits 1 and prints the run; the retry, once it can succeed, exits 0 and writes the order to --out', async () => {
    const { dir, emergencyPem, emergencyId } = await fleetStore(fresh, { siteKey: true });
    // no active emergency key: the lockdown step cannot sign
    await withConsole(dir, (c) => c.handlers['keys:setState']({ keyId: emergencyId, state: 'suspended', reason: 'drill' }, TEST_CTX));
    const failedOut = fresh('never-written');
    const failed = await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--lockdown', '--reason', 'drill', '--out', failedOut, '--data-dir', dir]);
    expect([failed.code, failed.stderr]).toEqual([1, '']);
    expect(failed.stdout).toMatch(/lockdown: failed/);
    expect(failed.stdout).not.toMatch(/lockdown order written/);
    expect(existsSync(failedOut)).toBe(false);
    const runId = /^run (\S+): failed /m.exec(failed.stdout)?.[1] ?? '';
    expect(runId).not.toBe('');

    await withConsole(dir, (c) => c.handlers['keys:setState']({ keyId: emergencyId, state: 'active', reason: 'drill over' }, TEST_CTX));
    const out = fresh('retry-order');
    const retried = ok(await cli(['emergency', 'retry', runId, '--out', out, '--data-dir', dir]));
    expect(retried.stdout).toMatch(/lockdown: done/);
    expect(retried.stdout.endsWith(`\nlockdown order written to ${out}\n`)).toBe(true);
    expect(robotCheck(out, emergencyPem, 'uv-001', 0).scope).toEqual({ deviceIds: ['uv-001'] });
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('execute --json on one robot: the run is done (exit 0) and the order is written; without --out nothing is written', async () => {
    const { dir, emergencyPem } = await fleetStore(fresh, { siteKey: true });
    const out = fresh('order');
    const value = JSON.parse(ok(await cli(['emergency', 'execute', '--robot', 'uv-002', '--quarantine', '--lockdown', '--reason', 'stolen', '--out', out, '--json', '--data-dir', dir])).stdout) as { run: { state: string } };
    expect(value.run.state).toBe('done');
    expect(robotCheck(out, emergencyPem, 'uv-002', 0).kind).toBe('lockdown');
    const human = ok(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--lockdown', '--reason', 'stolen', '--data-dir', dir]));
    expect(human.stdout).not.toMatch(/written to/);
    // docs/cli.md: the run's line, one line per action in the order they run, and nothing more without --out
    expect(human.stdout.replace(/^run \S+:/, 'run R:').split('\n')).toEqual([
      'run R: done (1 robot(s), by alice)',
      '  1. quarantine: done (1 done, 0 failed, 0 skipped; attempt 1)',
      '  2. lockdown: done (1 done, 0 failed, 0 skipped; attempt 1)',
      '',
    ]);
  });

  it('an existing --out file stops execute and retry before the console is asked: nothing run, nothing signed, no sequence used, the file kept, the refusal audited', async () => {
    const { dir, emergencyPem } = await fleetStore(fresh, { siteKey: true });
    const file = fresh('order');
    writeFileSync(file, 'the old content', { mode: 0o644 });
    const runs = () => withConsole(dir, async (c) => (await c.handlers['emergency:runs']({}, TEST_CTX)).runs);
    refused(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--lockdown', '--reason', 'drill', '--out', file, '--data-dir', dir]), 'invalid_input');
    expect(readFileSync(file, 'utf8')).toBe('the old content');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(await runs()).toEqual([]);
    // no emergency or lockdown record but the refusal's (an order signed and refused afterwards would leave lockdown.order)
    const records = () => auditRows(dir).filter((r) => /^(emergency|lockdown)\./.test(r.action)).map((r) => [r.action, r.outcome, r.details.code, r.details.field, r.details.refusedBy]);
    expect(records()).toEqual([['emergency.execute', 'failure', 'invalid_input', 'out', 'cli']]);
    // retry is checked the same way, before the run is looked up: an unknown run id still gives invalid_input (the file)
    refused(await cli(['emergency', 'retry', '00000000-0000-4000-8000-000000000000', '--out', file, '--data-dir', dir]), 'invalid_input');
    expect(readFileSync(file, 'utf8')).toBe('the old content');
    expect(records().slice(1)).toEqual([['emergency.retry', 'failure', 'invalid_input', 'out', 'cli']]);
    // with --force the same run goes through and its order is the store's first: sequence 1, none burnt above
    ok(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--lockdown', '--reason', 'drill', '--out', file, '--force', '--data-dir', dir]));
    expect(robotCheck(file, emergencyPem, 'uv-001', 0)).toMatchObject({ kind: 'lockdown', sequence: 1 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await runs()).toHaveLength(1);
  });

  it('--dry-run changes nothing and exits 0 (it has no run)', async () => {
    const { dir } = await fleetStore(fresh, { siteKey: true });
    const out = fresh('never-written');
    const dry = ok(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--lockdown', '--reason', 'drill', '--dry-run', '--out', out, '--json', '--data-dir', dir]));
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, run: null });
    expect(existsSync(out)).toBe(false);
    const human = ok(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--reason', 'drill', '--dry-run', '--data-dir', dir]));
    expect(human.stdout).toMatch(/^DRY RUN/);
  });

  it('a viewer may not execute (forbidden, nothing quarantined)', async () => {
    const { dir } = await fleetStore(fresh, );
    refused(await cli(['emergency', 'execute', '--robot', 'uv-001', '--quarantine', '--reason', 'x', '--data-dir', dir], { env: asBob() }), 'forbidden');
    expect(auditRows(dir).filter((r) => r.action.startsWith('emergency.') && r.outcome === 'success')).toEqual([]);
  });
});
