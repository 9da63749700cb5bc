// The blast-radius preview (emergency:preview, docs/emergency-response.md): what a playbook on the scope would touch,
// who learns of it now and later, which providers get called, what keeps working outside the scope.
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Box from '@cloudscape-design/components/box';
import Table from '@cloudscape-design/components/table';
import Alert from '@cloudscape-design/components/alert';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { describeScope, type EmergencyPreview } from '../../../shared/emergencyContract.ts';

const PLAN_WORDS: Readonly<Record<EmergencyPreview['keys'][number]['plan'], string>> = {
  compromise: 'Mark compromised, disable at every provider',
  rotate: 'Rotate (shared with robots outside)',
  none: 'Nothing to do',
};

function Figure({ label, value, testId }: { label: string; value: number | string; testId: string }) {
  return (
    <div>
      <Box variant="awsui-key-label">{label}</Box>
      <Box variant="awsui-value-large" data-testid={testId}>
        {value}
      </Box>
    </div>
  );
}

/** Counts the preview's figures the screen shows (and the confirmation repeats). */
export function previewCounts(p: EmergencyPreview) {
  return {
    robots: p.robots.total,
    certificates: p.certificates.total,
    compromise: p.keys.filter((k) => k.plan === 'compromise').length,
    rotate: p.keys.filter((k) => k.plan === 'rotate').length,
    now: p.reach.now.length,
    later: p.reach.later,
  };
}

export function BlastRadius({ preview }: { preview: EmergencyPreview }) {
  const c = previewCounts(preview);
  return (
    <Container header={<Header variant="h2" description={`What a playbook on ${describeScope(preview.scope)} would touch. Nothing has changed yet.`}>Blast radius</Header>}>
      <SpaceBetween size="l">
        {preview.approval === 'two_person' ? (
          <Alert type="warning" header="Two-person approval applies" statusIconAriaLabel="Warning">
            This scope is wider than a list of robots: executing it asks a second security officer (or an admin) to approve it under Approvals
            within an hour. When no one else can, break glass: it takes effect at once, raises a CRITICAL alert and a second officer must review
            the run afterwards.
          </Alert>
        ) : (
          <Alert type="info" statusIconAriaLabel="Info">
            Robot-level scope: one security officer may execute it.
          </Alert>
        )}
        <ColumnLayout columns={3} variant="text-grid">
          <Figure label="Robots in scope" value={c.robots} testId="blast-robots" />
          <Figure label="Active certificates" value={c.certificates} testId="blast-certificates" />
          <Figure label="Keys to compromise" value={c.compromise} testId="blast-compromise" />
          <Figure label="Shared keys to rotate" value={c.rotate} testId="blast-rotate" />
          <Figure label="Reachable now (at a station)" value={c.now} testId="blast-now" />
          <Figure label="Told later" value={c.later} testId="blast-later" />
        </ColumnLayout>
        <Box>
          <Box variant="awsui-key-label">Robots by status</Box>
          <span data-testid="blast-by-status">{preview.robots.byStatus.map((s) => `${s.status}: ${s.count}`).join(', ') || 'none'}</span>
        </Box>
        {c.later > 0 && (
          <Box>
            <Box variant="awsui-key-label">How robots not at a station learn of it</Box>
            <ul>
              {preview.reach.how.map((h) => (
                <li key={h}>{h}</li>
              ))}
            </ul>
          </Box>
        )}
        <Box>
          <Box variant="awsui-key-label">If the playbook revokes the fleet CA (whatever the scope)</Box>
          <span data-testid="blast-ca">
            {preview.ca
              ? `${preview.ca.subject} (${preview.ca.state}, ${preview.ca.providerId}): ${preview.ca.certificates} certificate(s) not revoked yet, held by ${preview.ca.robots} robot(s) that would need re-provisioning`
              : 'There is no fleet CA.'}
          </span>
        </Box>
        <Box>
          <Box variant="awsui-key-label">Outside the scope</Box>
          <span data-testid="blast-outside">{preview.outside.summary}</span>
        </Box>
        <Table
          variant="embedded"
          ariaLabels={{ tableLabel: 'Keys in scope' }}
          header={<Header variant="h3" counter={`(${preview.keys.length})`}>Keys and versions</Header>}
          items={preview.keys}
          trackBy="keyId"
          empty={<Box textAlign="center">No robot in scope holds a key.</Box>}
          columnDefinitions={[
            { id: 'key', header: 'Key', cell: (k) => k.label ?? k.keyId },
            { id: 'type', header: 'Type', cell: (k) => k.type ?? '—' },
            { id: 'versions', header: 'Versions (robots in scope)', cell: (k) => k.versions.map((v) => `v${v.version}: ${v.robotsInScope}`).join(', ') || '—' },
            { id: 'outside', header: 'Robots outside', cell: (k) => k.robotsOutside },
            { id: 'providers', header: 'Providers', cell: (k) => k.providers.join(', ') || '—' },
            { id: 'plan', header: 'Plan', cell: (k) => PLAN_WORDS[k.plan] },
          ]}
        />
        <Table
          variant="embedded"
          ariaLabels={{ tableLabel: 'Providers to be called' }}
          header={<Header variant="h3" counter={`(${preview.providers.length})`}>Providers to be called</Header>}
          items={preview.providers}
          trackBy="providerId"
          empty={<Box textAlign="center">No provider would be called.</Box>}
          columnDefinitions={[
            { id: 'provider', header: 'Provider', cell: (p) => p.providerId },
            { id: 'purposes', header: 'For', cell: (p) => p.purposes.join('; ') },
            {
              id: 'state',
              header: 'State',
              cell: (p) =>
                !p.configured ? (
                  <StatusIndicator type="error">Not configured here</StatusIndicator>
                ) : p.reachable ? (
                  <StatusIndicator type="success">Reachable</StatusIndicator>
                ) : (
                  <StatusIndicator type="warning">Looks unreachable</StatusIndicator>
                ),
            },
          ]}
        />
        <Table
          variant="embedded"
          ariaLabels={{ tableLabel: 'Robots in scope' }}
          header={<Header variant="h3" counter={`(${preview.robots.sample.length} of ${preview.robots.total})`}>Robots</Header>}
          items={preview.robots.sample}
          trackBy="deviceId"
          empty={<Box textAlign="center">No robot in scope.</Box>}
          columnDefinitions={[
            { id: 'id', header: 'Device id', cell: (r) => r.deviceId },
            { id: 'name', header: 'Name', cell: (r) => r.name },
            { id: 'site', header: 'Site', cell: (r) => r.site },
            { id: 'model', header: 'Model', cell: (r) => r.model },
            { id: 'firmware', header: 'Firmware', cell: (r) => r.firmware },
            { id: 'status', header: 'Status', cell: (r) => r.status },
            { id: 'reach', header: 'Reach', cell: (r) => (preview.reach.now.includes(r.deviceId) ? 'At a station now' : 'Later') },
          ]}
        />
      </SpaceBetween>
    </Container>
  );
}
