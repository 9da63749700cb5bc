// Provisioning station: start it in a mode (provision robots, or distribute key bundles to provisioned robots) on
// explicit port paths (fixed cables, socat ptys) or on USB vendor/product ids, watch each robot's progress live,
// retry a failed port, confirm one robot's re-provisioning, and count the shift. On the design system (issue 12).
import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { StationMode, StationStatus } from '../../../shared/stationContract.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { FieldLinkPanel } from '../field/FieldLinkPanel.tsx';
import { StationPorts } from './StationPorts.tsx';
import { useShowStationStatus, useStationEvents } from './useStationEvents.ts';

const words = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

const MODE_CHOICES: Array<{ mode: StationMode; label: string; hint: string }> = [
  { mode: 'provision', label: 'Provision robots', hint: 'new robots get their identity certificate and first keys' },
  { mode: 'distribute', label: 'Distribute keys', hint: 'provisioned robots get a key bundle with their assigned key versions' },
];
const RUNNING_TEXT: Record<StationMode, string> = { provision: 'provisioning robots', distribute: 'distributing keys' };

/** The start form's fields the main process may name (invalid_input): their labels, for the one wording rule. */
const START_FIELD_LABELS: Readonly<Record<string, string>> = {
  paths: 'Serial port paths',
  vendorIds: 'USB vendor ids (hex)',
  productIds: 'USB product ids (hex)',
};

export function StationPage() {
  useStationEvents();
  const status = useChannelQuery('station:status', {}, { refetchInterval: 2_000 });
  const ca = useChannelQuery('ca:status', {});
  const s = status.data;

  return (
    <ContentLayout
      header={
        <Header variant="h1" description="Provision new robots or distribute key bundles over serial cables; every session is audited.">
          Provisioning station
        </Header>
      }
    >
      <SpaceBetween size="l">
        {ca.data && !ca.data.initialized && (
          <Alert type="warning" header="No fleet CA yet">
            Create it on the Certificates page before provisioning robots.
          </Alert>
        )}
        <ErrorMessage error={status.error} header="The station's status could not be read" />
        {s && <ShiftCounter status={s} />}
        {s && !s.running && <StartForm lastMode={s.mode} />}
        {s?.running && <RunningBar status={s} />}
        {s && <StationPorts ports={s.ports} running={s.running} mode={s.mode} />}
        <FieldLinkPanel />
      </SpaceBetween>
    </ContentLayout>
  );
}

function ShiftCounter({ status: s }: { status: StationStatus }) {
  const figure = (testId: string, value: number) => (
    <Box variant="awsui-value-large">
      <span data-testid={testId}>{value}</span>
    </Box>
  );
  return (
    <Container header={<Header variant="h2">This shift</Header>}>
      <div role="status" aria-label="Shift counter">
        <ColumnLayout columns={3} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">Provisioned</Box>
            {figure('shift-provisioned', s.provisionedThisShift)}
          </div>
          <div>
            <Box variant="awsui-key-label">Distributed</Box>
            {figure('shift-distributed', s.distributedThisShift)}
          </div>
          <div>
            <Box variant="awsui-key-label">Failed</Box>
            {figure('shift-failed', s.failedThisShift)}
          </div>
        </ColumnLayout>
      </div>
    </Container>
  );
}

function StartForm({ lastMode }: { lastMode: StationMode }) {
  const [mode, setMode] = useState<StationMode>(lastMode);
  const [paths, setPaths] = useState('');
  const [vendorIds, setVendorIds] = useState('');
  const [productIds, setProductIds] = useState('');
  const start = useChannelMutation('station:start', useShowStationStatus());
  const refusal = errorInWords(start.error, START_FIELD_LABELS);
  const fieldError = (name: string) => refusal.fields[name];

  const onStart = (e: React.FormEvent) => {
    e.preventDefault();
    const p = words(paths);
    const v = words(vendorIds);
    const pr = words(productIds);
    start.mutate({ mode, ...(p.length ? { paths: p } : {}), ...(v.length ? { vendorIds: v } : {}), ...(pr.length ? { productIds: pr } : {}) });
  };

  return (
    <form onSubmit={onStart} aria-label="Start the station">
      <Form
        actions={
          <Button variant="primary" formAction="submit" loading={start.isPending} disabled={start.isPending}>
            Start station
          </Button>
        }
        errorText={formErrorText(refusal)}
        errorIconAriaLabel="Error"
      >
        <Container header={<Header variant="h2" description="A robot that is already provisioned is refused; its port then offers to re-provision that one robot after a confirmation.">Start the station</Header>}>
          <SpaceBetween size="m">
            <FormField label="Mode">
              <RadioGroup
                value={mode}
                onChange={(e) => setMode(e.detail.value as StationMode)}
                items={MODE_CHOICES.map((c) => ({ value: c.mode, label: c.label, description: c.hint }))}
              />
            </FormField>
            <FormField label="Serial port paths" description="Space or comma separated; or leave empty and give USB ids below." errorText={fieldError('paths')}>
              <Input value={paths} onChange={(e) => setPaths(e.detail.value)} placeholder="/dev/ttyACM0 /dev/ttyACM1" />
            </FormField>
            <ColumnLayout columns={2}>
              <FormField label="USB vendor ids (hex)" errorText={fieldError('vendorIds')}>
                <Input value={vendorIds} onChange={(e) => setVendorIds(e.detail.value)} placeholder="2e8a" />
              </FormField>
              <FormField label="USB product ids (hex)" errorText={fieldError('productIds')}>
                <Input value={productIds} onChange={(e) => setProductIds(e.detail.value)} placeholder="000a" />
              </FormField>
            </ColumnLayout>
          </SpaceBetween>
        </Container>
      </Form>
    </form>
  );
}

function RunningBar({ status: s }: { status: StationStatus }) {
  const stop = useChannelMutation('station:stop', useShowStationStatus());
  return (
    <Container
      header={
        <Header
          variant="h2"
          actions={
            <Button onClick={() => stop.mutate({})} disabled={stop.isPending} loading={stop.isPending}>
              {stop.isPending ? 'Stopping…' : 'Stop station'}
            </Button>
          }
        >
          Station
        </Header>
      }
    >
      <SpaceBetween size="s">
        <StatusIndicator type="in-progress">
          <span role="status" data-testid="station-mode" data-mode={s.mode}>
            Station running: {RUNNING_TEXT[s.mode]}.
          </span>
        </StatusIndicator>
        <ErrorMessage error={stop.error} header="The station did not stop" />
        {s.reprovisionConfirmed.length > 0 && (
          <div role="status" aria-label="Re-provisioning confirmed">
            <Alert type="warning">
              Re-provisioning confirmed, waiting for the robot&apos;s next session:{' '}
              {s.reprovisionConfirmed.map((id, i) => (
                <span key={id}>
                  {i > 0 ? ', ' : ''}
                  <strong>{id}</strong>
                </span>
              ))}
            </Alert>
          </div>
        )}
      </SpaceBetween>
    </Container>
  );
}
