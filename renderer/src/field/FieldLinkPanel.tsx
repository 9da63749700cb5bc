// The field link (docs/field-link.md) on the Station screen: start it on an address (the fleet CA issues its server
// certificate), stop it, whether it starts when the console unlocks (FieldAutostartForm.tsx), and the robots that
// polled it: when last seen, from where, how their last poll ended.
import { useCallback } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import type { FieldContact, FieldStatus } from '../../../shared/fieldContract.ts';
import { channelKey, useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { AddressForm, useAddressDraft } from './AddressForm.tsx';
import { FieldAutostartForm } from './FieldAutostartForm.tsx';

const START_FIELD_LABELS = { host: 'Listen address', port: 'Port' };
const START_DEFAULTS = { host: '0.0.0.0', port: '8443' };

/** A poll's outcome in words, with its status type. */
function resultIndicator(result: string) {
  if (result === 'installed') return <StatusIndicator type="success">Installed</StatusIndicator>;
  if (result === 'up_to_date') return <StatusIndicator type="success">Up to date</StatusIndicator>;
  if (result === 'session') return <StatusIndicator type="in-progress">Session</StatusIndicator>;
  return <StatusIndicator type="error">{result}</StatusIndicator>;
}

export function FieldLinkPanel() {
  const status = useChannelQuery('field:status', {}, { refetchInterval: 5_000 });
  const s = status.data;
  return (
    <Container
      header={
        <Header variant="h2" description="Robots reachable only over the network poll this console over mutual TLS for due key versions, lockdown orders and the CRL.">
          Field link
        </Header>
      }
    >
      <SpaceBetween size="m">
        <ErrorMessage error={status.error} header="The field link's status could not be read" />
        {s && (s.running ? <Running status={s} /> : <StartForm />)}
        <FieldAutostartForm />
        {s && <Contacts contacts={s.contacts} />}
      </SpaceBetween>
    </Container>
  );
}

function useShowFieldStatus() {
  const client = useQueryClient();
  return useCallback((value: FieldStatus) => client.setQueryData(channelKey('field:status', {}), value), [client]);
}

function StartForm() {
  const draft = useAddressDraft(START_DEFAULTS);
  const start = useChannelMutation('field:start', useShowFieldStatus());
  return (
    <AddressForm
      name="Start the field link"
      labels={START_FIELD_LABELS}
      draft={draft}
      onSubmit={() => start.mutate({ host: draft.host.trim(), port: Number(draft.port) })}
      error={start.error}
      portDescription="A free TCP port from 1 to 65535 (0 takes any free port)."
      actions={
        <Button variant="primary" formAction="submit" loading={start.isPending} disabled={start.isPending}>
          Start field link
        </Button>
      }
    />
  );
}

function Running({ status: s }: { status: FieldStatus }) {
  const stop = useChannelMutation('field:stop', useShowFieldStatus());
  return (
    <SpaceBetween size="s">
      <StatusIndicator type="in-progress">
        <span role="status" data-testid="field-listening">
          Listening on {s.host}:{s.port}
        </span>
      </StatusIndicator>
      {s.certificate && (
        <Box variant="small">
          Server certificate {s.certificate.serial}, valid until {s.certificate.notAfter}
        </Box>
      )}
      <Button onClick={() => stop.mutate({})} disabled={stop.isPending} loading={stop.isPending}>
        Stop field link
      </Button>
      <ErrorMessage error={stop.error} header="The field link did not stop" />
    </SpaceBetween>
  );
}

function Contacts({ contacts }: { contacts: FieldContact[] }) {
  return (
    <Table
      variant="embedded"
      ariaLabels={{ tableLabel: 'Robots seen over the field link' }}
      header={<Header variant="h3" counter={`(${contacts.length})`}>Robots seen over the link</Header>}
      items={contacts}
      empty={<Box color="text-body-secondary">No robot has polled the field link yet.</Box>}
      columnDefinitions={[
        { id: 'deviceId', header: 'Robot', cell: (c) => c.deviceId },
        { id: 'lastSeen', header: 'Last seen', cell: (c) => c.lastSeen },
        { id: 'address', header: 'From', cell: (c) => c.lastAddress },
        { id: 'result', header: 'Last poll', cell: (c) => resultIndicator(c.lastResult) },
        { id: 'polls', header: 'Polls', cell: (c) => c.polls },
      ]}
    />
  );
}
