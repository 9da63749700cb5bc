// What each section of the compliance report evidences: SOC 2 Trust Services Criteria (CC6 logical access, CC7 system
// operations) and ISO/IEC 27001:2022 Annex A controls, each with a one-line reason. Printed in the PDF and the CSV, and
// written down in docs/compliance-report.md. The choice is the console's claim of what its records show; an auditor
// decides whether they suffice.

export const REPORT_SECTIONS = ['inventory', 'rotation', 'usage', 'certificates', 'incidents', 'operators', 'access', 'audit'] as const;
export type ReportSectionId = (typeof REPORT_SECTIONS)[number];

export const SECTION_TITLES: Readonly<Record<ReportSectionId, string>> = {
  inventory: 'Key inventory',
  rotation: 'Rotation compliance',
  usage: 'Usage against limits',
  certificates: 'Fleet certificates',
  incidents: 'Compromise and revocation actions',
  operators: 'Operators, roles and two-person approvals',
  access: 'Denied access and failed sign-ins',
  audit: 'Audit log verification',
};

export interface ControlMapping {
  framework: 'SOC 2' | 'ISO/IEC 27001:2022';
  control: string;
  reason: string;
}

const soc2 = (control: string, reason: string): ControlMapping => ({ framework: 'SOC 2', control, reason });
const iso = (control: string, reason: string): ControlMapping => ({ framework: 'ISO/IEC 27001:2022', control, reason });

export const CONTROL_MAP: Readonly<Record<ReportSectionId, readonly ControlMapping[]>> = {
  inventory: [
    soc2('CC6.1', 'Inventory of the encryption keys protecting information assets, with where each is held.'),
    iso('A.8.24', 'Use of cryptography: every key, its algorithm, lifecycle state and provider.'),
  ],
  rotation: [
    soc2('CC6.1', 'Encryption keys are changed on the schedule the key management policy sets.'),
    iso('A.8.24', 'Key management: keys are rotated per policy; late and missed rotations are shown.'),
  ],
  usage: [
    soc2('CC6.1', 'Key versions are retired before they exceed the usage the policy allows.'),
    iso('A.8.24', 'Key management: usage limits per key version enforced by rotation.'),
  ],
  certificates: [
    soc2('CC6.1', 'Robots authenticate with certificates issued by the fleet CA.'),
    soc2('CC6.2', 'Device credentials are issued on registration and revoked when no longer authorised.'),
    iso('A.8.5', 'Secure authentication of robots by certificate.'),
    iso('A.8.24', 'Public key infrastructure: issuance, revocation and expiry of certificates.'),
  ],
  incidents: [
    soc2('CC7.4', 'Responses to security incidents: keys marked compromised, certificates and robots revoked, lockdowns.'),
    soc2('CC6.2', 'Credentials of compromised robots and keys are removed from use.'),
    iso('A.8.24', 'Key management: compromised keys are withdrawn and revoked.'),
  ],
  operators: [
    soc2('CC6.1', 'Access to the console is restricted to named operators, each with a role.'),
    soc2('CC6.2', 'Operators are registered and removed by an admin; every change is audited.'),
    soc2('CC6.3', 'Role-based access with least privilege and segregation of duties (two-person approvals).'),
    iso('A.5.15', 'Access control rules: the role each operator holds and what it permits.'),
    iso('A.5.18', 'Access rights: provisioning, change and removal of operators in the period.'),
  ],
  access: [
    soc2('CC6.1', 'The console refuses channels a role does not hold, before any handler runs.'),
    soc2('CC7.2', 'Denied calls and failed sign-ins are recorded and monitored as anomalies.'),
    iso('A.5.15', 'Access control enforced: refused calls by operator and channel.'),
    iso('A.8.5', 'Secure authentication: failed sign-ins recorded and throttled per operator.'),
  ],
  audit: [
    soc2('CC7.2', 'The audit trail used to monitor the system is verified intact (hash chain, signed checkpoints).'),
    iso('A.8.15', 'Logging: logs protected against tampering and verified; checkpoint heads listed.'),
  ],
};
