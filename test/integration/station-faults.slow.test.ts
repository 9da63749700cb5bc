// Each misbehaviour of the robot (and each refusal by the console) ends with its typed error, a failure audit
// entry, and nothing committed. Real socat pty pairs, serialport on both ends, the simulator as a child process.
import { describe, expect, it } from 'vitest';
import { realDeps, tempDir } from '../robot-sim/harness.ts';
import { provisionOnce, robotState } from '../robot-sim/scenario.ts';
import { useTestCaBench } from './support/testCaBench.ts';

const bench = useTestCaBench();

// `reason` tells apart the checks that share a code (the CSR's own signature, its subject, the nonce signature).
// The stall case's 1.5 s step timeout starts only once the simulator said it is ready (provisionOnce, --wait-signal).
const cases: Array<{ misbehave: string; code: string; step: string; robotCode: string; reason?: string; stepTimeoutMs?: number }> = [
  { misbehave: 'corrupt-frame', code: 'bad_crc', step: 'csr', robotCode: 'robot_error' },
  { misbehave: 'stall', code: 'timeout', step: 'csr', robotCode: 'robot_error', stepTimeoutMs: 1500 },
  { misbehave: 'drop', code: 'disconnected', step: 'csr', robotCode: 'disconnected' },
  { misbehave: 'forged-csr', code: 'forged_csr', step: 'csr', robotCode: 'robot_error', reason: 'csr_signature_invalid' },
  { misbehave: 'wrong-nonce-key', code: 'forged_csr', step: 'csr', robotCode: 'robot_error', reason: 'nonce_signature_invalid' },
  { misbehave: 'wrong-id', code: 'forged_csr', step: 'csr', robotCode: 'robot_error', reason: 'csr_subject_mismatch' },
  { misbehave: 'replay', code: 'replayed_message', step: 'csr', robotCode: 'robot_error' },
  { misbehave: 'bad-confirm', code: 'key_confirmation_failed', step: 'confirm', robotCode: 'robot_error' },
];

describe('station: robot misbehaviour', () => {
  for (const c of cases) {
    it(`${c.misbehave} -> ${c.code}${c.reason ? ` (${c.reason})` : ''}, audited, nothing committed`, async () => {
      const { deps, commits, audits, issued } = realDeps(bench.ca, ['R-200']);
      const out = await provisionOnce({ deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-200', misbehave: c.misbehave, stepTimeoutMs: c.stepTimeoutMs ?? 8000 });
      expect(out.result.ok).toBe(false);
      if (out.result.ok) return;
      expect(out.result.error.code).toBe(c.code);
      expect(out.result.step).toBe(c.step);
      expect(out.result.deviceId).toBe('R-200');
      if (c.reason) expect(out.result.error.details?.reason).toBe(c.reason);
      expect(commits).toEqual([]);
      // Refused at the CSR: the CA was never asked for a certificate.
      if (c.step === 'csr') expect(issued).toEqual([]);
      expect(audits).toEqual([expect.objectContaining({ action: 'station.provision', outcome: 'failure', deviceId: 'R-200', step: c.step, code: c.code })]);
      if (c.reason) expect(audits[0]?.details).toMatchObject({ reason: c.reason });
      expect(audits[0]?.message).toBe(out.result.error.message);
      // The robot heard about it (an ERROR frame) unless it was gone; it never counts itself provisioned.
      expect(out.robot.json?.code).toBe(c.robotCode);
      expect(robotState(out.keystore)?.provisioned ?? false).toBe(false);
      expect(out.result.error.toInfo().details.stationCode).toBe(c.code);
    });
  }

  it('replay of a CSR frame recorded in an earlier session is refused, even with re-provisioning confirmed', async () => {
    const keystore = tempDir('robot-ks-', bench.root);
    const first = realDeps(bench.ca, ['R-300']);
    const ok = await provisionOnce({ deps: first.deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-300', keystore });
    expect(ok.result.ok).toBe(true);
    const second = realDeps(bench.ca, ['R-300'], ['R-300']);
    const out = await provisionOnce({ deps: second.deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-300', keystore, misbehave: 'replay', allowReprovision: true });
    expect(out.result.ok).toBe(false);
    if (out.result.ok) return;
    expect(out.result.error.code).toBe('replayed_message');
    expect(out.result.error.message).toMatch(/another session/);
    expect(second.commits).toEqual([]);
    expect(second.audits[0]).toMatchObject({ outcome: 'failure', code: 'replayed_message' });
  });
});

describe('station: registry refusals', () => {
  it('an unknown robot is refused at HELLO', async () => {
    const { deps, commits, audits } = realDeps(bench.ca, ['R-other']);
    const out = await provisionOnce({ deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-400' });
    expect(out.result.ok ? 'ok' : out.result.error.code).toBe('unknown_robot');
    expect(commits).toEqual([]);
    expect(audits).toEqual([expect.objectContaining({ outcome: 'failure', code: 'unknown_robot', step: 'hello', deviceId: 'R-400' })]);
    expect(out.robot.json?.code).toBe('robot_error');
  });

  it('an already provisioned robot is refused unless re-provisioning is confirmed', async () => {
    const refused = realDeps(bench.ca, ['R-500'], ['R-500']);
    const out = await provisionOnce({ deps: refused.deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-500' });
    expect(out.result.ok ? 'ok' : out.result.error.code).toBe('already_provisioned');
    expect(refused.commits).toEqual([]);
    expect(refused.audits[0]).toMatchObject({ outcome: 'failure', code: 'already_provisioned' });

    const confirmed = realDeps(bench.ca, ['R-500'], ['R-500']);
    const again = await provisionOnce({ deps: confirmed.deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-500', allowReprovision: true });
    expect(again.result.ok).toBe(true);
    expect(confirmed.commits).toHaveLength(1);
  });

  it('a failing commit leaves nothing recorded and is reported as commit_failed', async () => {
    const { deps, audits } = realDeps(bench.ca, ['R-600']);
    deps.commitProvisioned = async () => {
      throw new Error('database is locked');
    };
    const out = await provisionOnce({ deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-600' });
    expect(out.result.ok ? 'ok' : out.result.error.code).toBe('commit_failed');
    expect(audits[0]).toMatchObject({ outcome: 'failure', code: 'commit_failed', step: 'commit' });
    expect(robotState(out.keystore)?.provisioned).toBe(false);
  });

  it('a CA that answers with a certificate for another key is refused before CERT is sent: certificate_rejected', async () => {
    // The console checks that the issued certificate carries the key of the robot's CSR. A correct CA never does
    // otherwise and the robot cannot make it, so the fault is the CA's: a faulty issuer in the session's deps.
    const { deps, commits, audits } = realDeps(bench.ca, ['R-800']);
    deps.issueCertificate = (csr, id) => bench.ca.issueForAnotherKey(csr, id);
    const out = await provisionOnce({ deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-800' });
    expect(out.result.ok).toBe(false);
    if (out.result.ok) return;
    expect([out.result.error.code, out.result.step, out.result.error.details?.reason]).toEqual(['certificate_rejected', 'certificate', 'certificate_key_mismatch']);
    expect(commits).toEqual([]);
    expect(audits).toEqual([
      expect.objectContaining({ outcome: 'failure', deviceId: 'R-800', step: 'certificate', code: 'certificate_rejected', details: expect.objectContaining({ reason: 'certificate_key_mismatch' }) }),
    ]);
    // The robot never saw that certificate: it heard the console's ERROR while waiting for CERT (a robot that got it
    // would refuse it itself, as certificate_rejected, after the console had already sent its keys).
    expect(out.robot.json?.code).toBe('robot_error');
    expect(out.steps).not.toContain('keys');
    expect(robotState(out.keystore)).toBeUndefined();
  });

  it('a CA that refuses the CSR ends the session with certificate_rejected', async () => {
    const { deps, commits, audits } = realDeps(bench.ca, ['R-700']);
    deps.issueCertificate = async () => {
      throw new Error('policy: device not allowed');
    };
    const out = await provisionOnce({ deps, caCertFile: bench.caFile, workDir: bench.root, deviceId: 'R-700' });
    expect(out.result.ok ? 'ok' : out.result.error.code).toBe('certificate_rejected');
    expect(commits).toEqual([]);
    expect(audits[0]).toMatchObject({ outcome: 'failure', code: 'certificate_rejected', step: 'certificate' });
  });
});
