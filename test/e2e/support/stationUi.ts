// The provisioning station in end-to-end tests: a console prepared for provisioning (keys, robots, fleet CA), the
// Station screen driven by role and label, and what the registry, the certificate inventory and the audit log say
// about a robot afterwards. The robots are the simulator on socat pty pairs (test/robot-sim/harness.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import type { AuditRecord, CallContext, Handlers } from '../../../shared/contract.ts';
import { clickNav, completeFirstRun, openConsole } from './ui.ts';
import { openRobotFromGrid, robotRow } from './fleetUi.ts';

export const CTX: CallContext = { transport: 'test' };
const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/**
 * True once this process holds `file` open: the station has opened its end of the cable. `file` may be a cable's
 * symbolic link (test/robot-sim/harness.ts): what the process holds open is the pty it points to.
 */
export function holds(file: string): boolean {
  let target: string;
  try {
    target = realpathSync(file);
  } catch {
    return false; // unplugged: nothing to hold
  }
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === target;
    } catch {
      return false;
    }
  });
}

/**
 * First run in the window, then (through the handlers, as setup) the communication and storage keys the station
 * delivers, the robots in the registry as manufactured, and a fleet CA on `local` whose certificate is written to
 * `work/ca.pem` for the simulators. Returns that file.
 */
export async function prepareStation(page: Page, url: string, h: Handlers, work: string, deviceIds: string[]): Promise<string> {
  await openConsole(page, url);
  await completeFirstRun(page);
  await h['keys:create']({ type: 'communication', label: 'fleet comm', algorithm: 'AES_256' }, CTX);
  await h['keys:create']({ type: 'storage', label: 'fleet storage', algorithm: 'AES_256' }, CTX);
  for (const deviceId of deviceIds) {
    await h['fleet:create']({ deviceId, name: `Robot ${deviceId}`, model: 'UV-7', site: 'Plant 1', firmware: '', tags: [], status: 'manufactured' }, CTX);
  }
  const ca = await h['ca:init']({ providerId: 'local', algorithm: 'EC_P256', commonName: 'E2E Fleet CA' }, CTX);
  const file = join(work, 'ca.pem');
  writeFileSync(file, ca.certificatePem ?? '');
  return file;
}

export async function goToStation(page: Page): Promise<void> {
  await clickNav(page, 'Station');
  await expect(page.getByRole('heading', { name: 'Provisioning station' })).toBeVisible();
}

/** Starts the station from its form on explicit port paths, in a mode when given; waits until it holds every port. */
export async function startStation(page: Page, paths: string[], mode?: 'provision' | 'distribute'): Promise<void> {
  await goToStation(page);
  const form = page.getByRole('form', { name: 'Start the station' });
  if (mode) await form.getByRole('radio', { name: mode === 'provision' ? /Provision robots/ : /Distribute keys/ }).check();
  await form.getByLabel(/Serial port paths/).fill(paths.join(' '));
  await form.getByRole('button', { name: 'Start station' }).click();
  await expect(page.getByRole('button', { name: 'Stop station' })).toBeVisible();
  await expect.poll(() => paths.every(holds), { timeout: 10_000 }).toBe(true);
}

export async function stopStation(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Stop station' }).click();
  await expect(page.getByRole('button', { name: 'Start station' })).toBeVisible({ timeout: 20_000 });
}

/** A port's row in the Station ports table (its first cell holds the path, state and mode as data attributes). */
export function portRow(page: Page, path: string): Locator {
  return page.getByRole('table', { name: 'Station ports' }).locator('tbody tr').filter({ has: page.locator(`[data-port="${path}"]`) });
}

/** The element of a port's row that carries data-state (queued/active/done/failed) and data-mode. */
export function portState(row: Locator): Locator {
  return row.locator('[data-port]');
}

/** The station.provision records of the audit log (newest first), optionally only one outcome. */
export async function provisionAudits(h: Handlers, outcome?: 'success' | 'failure'): Promise<AuditRecord[]> {
  const { records } = await h['audit:query']({ action: 'station.provision', offset: 0, limit: 1000 }, CTX);
  return outcome ? records.filter((r) => r.outcome === outcome) : records;
}

/** The robot is not provisioned: still manufactured in the registry (or not in it at all) and without a valid certificate. */
export async function expectNotProvisioned(h: Handlers, deviceId: string, inRegistry = true): Promise<void> {
  if (inRegistry) {
    const robot = await h['fleet:get']({ deviceId }, CTX);
    expect(robot.status, `${deviceId} status`).toBe('manufactured');
    expect(robot.keys, `${deviceId} key versions`).toEqual([]);
    expect(robot.certificates.filter((c) => c.status === 'active'), `${deviceId} active certificates in the registry`).toEqual([]);
  } else {
    await expect(h['fleet:get']({ deviceId }, CTX)).rejects.toMatchObject({ code: 'not_found' });
  }
  const { certificates } = await h['certs:list']({}, CTX);
  expect(certificates.filter((c) => c.deviceId === deviceId && c.status === 'valid'), `${deviceId} valid certificates`).toEqual([]);
}

/**
 * Provisions one robot from the Station screen: the simulator (booted, waiting) on `pair` is powered on once the
 * station holds the port; returns when the port is done and the station stopped. `keystore` keeps the robot's
 * identity key, certificate and keys for later sessions.
 */
export async function provisionFromUi(page: Page, pair: { consolePath: string; robotPath: string }, robot: { ready: Promise<void>; powerOn(): void; result: Promise<{ exitCode: number | null }> }): Promise<void> {
  await robot.ready;
  await startStation(page, [pair.consolePath]);
  robot.powerOn();
  await expect(portState(portRow(page, pair.consolePath))).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  expect((await robot.result).exitCode).toBe(0);
  await stopStation(page);
}

/** Opens a robot's detail (the split panel) from the Fleet screen, searching for it so it is on the page in view. */
export async function openRobot(page: Page, deviceId: string): Promise<Locator> {
  await clickNav(page, 'Fleet');
  await page.getByRole('searchbox', { name: 'Search' }).fill(deviceId);
  await expect(robotRow(page, deviceId)).toBeVisible();
  return openRobotFromGrid(page, deviceId);
}

/** One of the simulator's one-shot commands (--install-bundle, --operate, --check-peer, ...): its exit code and JSON line. */
export function simulatorSays<T = Record<string, unknown>>(args: string[]): { exitCode: number | null; json: T } {
  const out = spawnSync(process.execPath, ['test/robot-sim/robot.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { exitCode: out.status, json: JSON.parse(out.stdout.trim().split('\n').pop() ?? 'null') as T };
}

/** The simulator installs a bundle file into its key store (test/robot-sim/installBundle.ts); its JSON result line. */
export function installWithSimulator(file: string, o: { deviceId: string; keystore: string; caCertFile: string }): { exitCode: number | null; json: { ok: boolean; code?: string; sequence?: number; installed?: Array<{ keyId: string; version: number }> } } {
  return simulatorSays(['--install-bundle', file, '--device-id', o.deviceId, '--keystore', o.keystore, '--ca-cert', o.caCertFile]);
}

/** The key versions the simulator holds (keys.json), without their material. */
export function robotKeyVersions(keystore: string): Array<{ keyId: string; version: number }> {
  const keys = JSON.parse(readFileSync(join(keystore, 'keys.json'), 'utf8')) as Array<{ keyId: string; version: number }>;
  return keys.map((k) => ({ keyId: k.keyId, version: k.version })).sort((a, b) => a.keyId.localeCompare(b.keyId) || a.version - b.version);
}
