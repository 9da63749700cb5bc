// One robot provisioned end to end over a real socat pty pair, serialport on both ends, the simulator as a child process.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { realDeps } from '../robot-sim/harness.ts';
import { provisionOnce, robotState, robotStoredKeys } from '../robot-sim/scenario.ts';
import { useTestCaBench } from './support/testCaBench.ts';

const bench = useTestCaBench();

describe('station: one robot end to end', () => {
  for (const keyType of ['ec', 'rsa'] as const) {
    it(`provisions a robot with an ${keyType} identity key generated on the robot`, async () => {
      const { deps, commits, audits, delivered } = realDeps(bench.ca, ['R-100']);
      const out = await provisionOnce({ deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-100', keyType });
      expect(out.result.ok, JSON.stringify(out.result)).toBe(true);
      expect(out.robot.exitCode).toBe(0);
      expect(out.steps).toEqual(['hello', 'challenge', 'csr', 'certificate', 'keys', 'confirm', 'commit', 'done']);

      // Committed exactly once, with what the console delivered.
      expect(commits).toHaveLength(1);
      const commit = commits[0]!;
      expect(commit.deviceId).toBe('R-100');
      expect(commit.keyVersions).toEqual([{ keyId: 'comm-R-100', version: 1 }, { keyId: 'storage-R-100', version: 3 }]);

      // The robot's key store holds exactly the delivered material, and the certificate the CA issued for its key.
      const sent = delivered.get('R-100')!;
      expect(robotStoredKeys(out.keystore)).toEqual(sent.map((k) => ({ keyId: k.keyId, version: k.version, material: k.material.toString('base64') })));
      const robotCert = new X509Certificate(readFileSync(path.join(out.keystore, 'identity.cert.pem')));
      expect(robotCert.raw.equals(commit.certificate)).toBe(true);
      expect(robotCert.verify(new X509Certificate(bench.ca.caCertDer).publicKey)).toBe(true);
      const robotKey = readFileSync(path.join(out.keystore, 'identity.key.pem'), 'utf8');
      expect(robotCert.checkPrivateKey((await import('node:crypto')).createPrivateKey(robotKey))).toBe(true);
      expect(robotCert.publicKey.asymmetricKeyType).toBe(keyType);

      // Both sides saw the same transcript; the robot verified the console's DONE MAC, the console the robot's CONFIRM.
      expect(robotState(out.keystore)).toEqual({ provisioned: true, transcriptHash: commit.transcriptHash });

      // Audited once as a success; no key material in the audit or the log.
      expect(audits).toEqual([expect.objectContaining({ action: 'station.provision', outcome: 'success', deviceId: 'R-100', step: 'done' })]);
      const visible = JSON.stringify({ audits, logs: out.logs });
      for (const k of sent) {
        expect(visible).not.toContain(k.material.toString('hex'));
        expect(visible).not.toContain(k.material.toString('base64'));
      }
    });
  }
});
