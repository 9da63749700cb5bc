// The specification's FactoryProvisioning.provision_robot_with_kms(device_id, storage_path, ca_cert_path, kms_config),
// for stations run from scripts (and the CLI's `provision` command). Every step goes through the console's router
// (providers:save, ca:status, ca:init, fleet:get, fleet:create), so it is validated and audited like the window's
// calls; the provisioning session itself runs on the console's station service for exactly this device id.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChannelName, ChannelOutput } from '../../shared/contract.ts';
import { ConsoleError, isConsoleError } from '../../shared/errors.ts';
import type { StationService } from '../services/station/stationService.ts';

/** Calls a channel through the router (ConsoleError on a failed envelope). */
export type RouterCall = <C extends ChannelName>(channel: C, input: unknown) => Promise<ChannelOutput<C>>;

export interface ProvisionRobotInput {
  call: RouterCall;
  station: StationService;
  deviceId: string;
  /** The serial port the robot is plugged into (e.g. /dev/ttyACM0, or one end of a socat pty pair). */
  portPath: string;
  /** Where the fleet CA certificate (PEM) is written for the robot image / station scripts. */
  caCertPath?: string | undefined;
  /** A folder receiving <device id>.json (the robot's registry record) and <device id>.cert.pem. */
  storagePath?: string | undefined;
  /** A provider configuration (providers:save semantics); the CA key is created there when no CA exists yet. */
  kmsConfig?: Record<string, unknown> | undefined;
  allowReprovision?: boolean | undefined;
}

export interface ProvisionRobotResult {
  deviceId: string;
  serial: string;
  notAfter: string;
  keyVersions: Array<{ keyId: string; version: number }>;
  caCertPath: string | null;
  recordPath: string | null;
  certificatePath: string | null;
  durationMs: number;
}

export async function provisionRobotWithKms(input: ProvisionRobotInput): Promise<ProvisionRobotResult> {
  const { call, deviceId } = input;
  let providerId = 'local';
  if (input.kmsConfig) providerId = (await call('providers:save', { config: input.kmsConfig })).id;
  let ca = await call('ca:status', {});
  if (!ca.initialized) ca = await call('ca:init', { providerId, algorithm: 'EC_P256', commonName: 'ECPS-UV Fleet CA' });
  // The CA certificate is written first: a station script flashes it on the robot even when this session fails.
  let caCertPath: string | null = null;
  if (input.caCertPath) {
    caCertPath = path.resolve(input.caCertPath);
    await mkdir(path.dirname(caCertPath), { recursive: true });
    await writeFile(caCertPath, ca.certificatePem ?? '', { mode: 0o644 });
  }
  try {
    await call('fleet:get', { deviceId });
  } catch (e) {
    if (!isConsoleError(e) || e.code !== 'not_found') throw e;
    await call('fleet:create', { deviceId, name: deviceId, model: 'unassigned', site: 'factory' });
  }

  const result = await input.station.provisionOnce(input.portPath, deviceId, { allowReprovision: input.allowReprovision === true });
  if (!result.ok) {
    const info = result.error.toInfo();
    throw new ConsoleError(info.code, `Provisioning ${deviceId} on ${input.portPath} failed at step ${result.step}: ${result.error.message}`, info.details);
  }

  const robot = await call('fleet:get', { deviceId });
  const cert = robot.certificates.filter((c) => c.status === 'active').sort((a, b) => b.notBefore.localeCompare(a.notBefore))[0];
  if (!cert) throw new ConsoleError('internal', `Robot ${deviceId} was provisioned but has no certificate on record.`);
  let recordPath: string | null = null;
  let certificatePath: string | null = null;
  if (input.storagePath) {
    const dir = path.resolve(input.storagePath);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    recordPath = path.join(dir, `${deviceId}.json`);
    certificatePath = path.join(dir, `${deviceId}.cert.pem`);
    // The record holds ids, versions and public certificates only: no key material leaves the console.
    await writeFile(recordPath, JSON.stringify(robot, null, 2) + '\n', { mode: 0o600 });
    await writeFile(certificatePath, cert.pem, { mode: 0o644 });
  }
  return { deviceId, serial: cert.serial, notAfter: cert.notAfter, keyVersions: result.keyVersions, caCertPath, recordPath, certificatePath, durationMs: result.durationMs };
}
