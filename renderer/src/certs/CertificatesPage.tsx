// Fleet CA and certificates on the design system: the CA's status (or the form creating it), every CA the store has
// had (current, retired, compromised; CaListPanel), the picked CA's certificate inventory with find, filter and sort, the "expiring within N days" filter (the dashboard's links; a value that is
// not a whole number of days is refused beside the field, never silently ignored), revocation and the CRL download.
import { useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Container from '@cloudscape-design/components/container';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Box from '@cloudscape-design/components/box';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Pagination from '@cloudscape-design/components/pagination';
import { useCollection } from '@cloudscape-design/collection-hooks';
import type { CertificateInfo } from '../../../shared/stationContract.ts';
import type { CaHistoryEntry } from '../../../shared/caContract.ts';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CreateCaForm } from './CreateCaForm.tsx';
import { RevokeDialog } from './RevokeDialog.tsx';
import { CaTransitionDialog, type CaTransitionKind } from './CaTransitionDialog.tsx';
import { CaListPanel } from './CaListPanel.tsx';
import { downloadText } from '../download.ts';
import { formatTime } from '../format.ts';
import { useUiStore } from '../state/uiStore.ts';
import { useMayCall } from '../session/permissions.ts';
import Alert from '@cloudscape-design/components/alert';

export const MAX_WITHIN_DAYS = 36_500;

/** "expiring within" as typed: '' (no filter), a whole number of days, or the reason it is refused. */
export function parseWithin(value: string): { days: number | null } | { refused: string } {
  const text = value.trim();
  if (text === '') return { days: null };
  if (!/^\d+$/.test(text)) return { refused: `“${text}” is not a number of days: give a whole number from 1 to ${MAX_WITHIN_DAYS.toLocaleString('en')}.` };
  const days = Number(text);
  if (days < 1 || days > MAX_WITHIN_DAYS) return { refused: `Give a whole number of days from 1 to ${MAX_WITHIN_DAYS.toLocaleString('en')}.` };
  return { days };
}

function CertStatus({ cert }: { cert: CertificateInfo }) {
  if (cert.status === 'revoked') return <StatusIndicator type="error">{`revoked (${cert.revocationReason ?? 'unspecified'})`}</StatusIndicator>;
  if (cert.status === 'expired') return <StatusIndicator type="stopped">expired</StatusIndicator>;
  return <StatusIndicator type={cert.daysToExpiry <= 30 ? 'warning' : 'success'}>valid</StatusIndicator>;
}

/** `caId`: another CA than the current one (a retired or compromised CA's certificates and CRL). */
function Inventory({ initialWithin, caId }: { initialWithin: string; caId?: string }) {
  const [within, setWithin] = useState(initialWithin);
  const parsed = parseWithin(within);
  const days = 'days' in parsed ? parsed.days : null;
  // A refused value filters nothing and fetches nothing new: the list stays as the last valid filter showed it.
  const [applied, setApplied] = useState<number | null>(days);
  if ('days' in parsed && parsed.days !== applied) setApplied(parsed.days);
  const byCa = caId === undefined ? {} : { caId };
  const certs = useChannelQuery('certs:list', applied !== null ? { ...byCa, expiringWithinDays: applied } : byCa);
  const [revoking, setRevoking] = useState<CertificateInfo | null>(null);
  // certs:revoke and signing a fresh CRL (ca:crl, a CA key operation) are the security officer's. Every other role
  // downloads the last published CRL (ca:publishedCrl: a CRL is public, RFC 5280); the main process refuses the rest.
  const maySignCrl = useMayCall('ca:crl');
  const mayRevoke = useMayCall('certs:revoke');
  const save = (r: { fileName: string; pem: string }) => downloadText(r.fileName, r.pem, 'application/pkix-crl');
  const signed = useChannelMutation('ca:crl', save);
  const published = useChannelMutation('ca:publishedCrl', save);
  const crl = maySignCrl ? signed : published;
  const list = certs.data?.certificates ?? [];
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(list, {
    filtering: {
      fields: ['serial', 'deviceId', 'subject', 'status'],
      empty: <Box textAlign="center">{applied !== null ? 'No certificates expiring in that window.' : 'No certificates issued yet.'}</Box>,
      noMatch: <Box textAlign="center">No certificate matches.</Box>,
    },
    sorting: { defaultState: { sortingColumn: { sortingField: 'daysToExpiry' } } },
    pagination: { pageSize: 50 },
  });

  return (
    <SpaceBetween size="m">
      <ErrorMessage error={crl.error ?? certs.error} />
      <Table
        {...collectionProps}
        ariaLabels={{ tableLabel: 'Certificate inventory' }}
        items={items}
        trackBy="serial"
        loading={certs.isPending}
        loadingText="Loading certificates"
        wrapLines
        header={
          <Header
            variant="h2"
            counter={`(${list.length})`}
            actions={
              <SpaceBetween direction="horizontal" size="xs" alignItems="center">
                {crl.data && (
                  <span role="status">
                    CRL #{crl.data.crlNumber} ({crl.data.revoked} revoked{!maySignCrl && published.data ? `, published ${formatTime(published.data.thisUpdate)}` : ''}) saved as{' '}
                    <Box variant="code">{crl.data.fileName}</Box>.
                  </span>
                )}
                <Button iconName="download" onClick={() => crl.mutate(byCa)} loading={crl.isPending}>
                  Download CRL
                </Button>
              </SpaceBetween>
            }
          >
            {caId === undefined ? 'Certificates' : 'Certificates of the picked CA'}
          </Header>
        }
        filter={
          <SpaceBetween direction="horizontal" size="m">
            <FormField label="Find">
              <TextFilter {...filterProps} filteringPlaceholder="Serial, robot, subject or status" filteringAriaLabel="Find certificates" countText={`${filteredItemsCount ?? 0} matches`} />
            </FormField>
            <FormField label="Expiring within (days)" errorText={'refused' in parsed ? parsed.refused : undefined} constraintText="Empty: every certificate.">
              <Input value={within} onChange={(e) => setWithin(e.detail.value)} inputMode="numeric" ariaLabel="Expiring within days" invalid={'refused' in parsed} />
            </FormField>
          </SpaceBetween>
        }
        pagination={<Pagination {...paginationProps} ariaLabels={{ nextPageLabel: 'Next page', previousPageLabel: 'Previous page', pageLabel: (n) => `Page ${n}` }} />}
        columnDefinitions={[
          { id: 'serial', header: 'Serial', sortingField: 'serial', cell: (c) => <Box variant="code"><span data-serial={c.serial}>{c.serial}</span></Box> },
          { id: 'robot', header: 'Robot', sortingField: 'deviceId', cell: (c) => c.deviceId },
          { id: 'notAfter', header: 'Not after', sortingField: 'notAfter', cell: (c) => c.notAfter.slice(0, 10) },
          { id: 'days', header: 'Days left', sortingField: 'daysToExpiry', cell: (c) => c.daysToExpiry },
          { id: 'status', header: 'Status', sortingField: 'status', cell: (c) => <CertStatus cert={c} /> },
          {
            id: 'actions',
            header: 'Actions',
            cell: (c) =>
              mayRevoke &&
              c.status !== 'revoked' && (
                <Button variant="inline-link" onClick={() => setRevoking(c)}>
                  Revoke…
                </Button>
              ),
          },
        ]}
      />
      {revoking && <RevokeDialog cert={revoking} onClose={() => setRevoking(null)} />}
    </SpaceBetween>
  );
}

export function CertificatesPage() {
  const ca = useChannelQuery('ca:status', {});
  // A new route (a dashboard link, back/forward) starts the inventory again with that route's filter.
  const routeSeq = useUiStore((s) => s.routeSeq);
  const routeParams = useUiStore((s) => s.routeParams);
  const [transition, setTransition] = useState<{ kind: CaTransitionKind; caId?: string } | null>(null);
  // Read afresh at each visit: a CA made or replaced since the last one changes the list (and which CA is current).
  const history = useChannelQuery('ca:history', {}, { staleTime: 0 });
  const cas = history.data?.cas ?? [];
  const [picked, setPicked] = useState<string | null>(null);
  const mayInit = useMayCall('ca:init');
  const mayReplace = useMayCall('ca:replace');
  const mayRevokeCa = useMayCall('ca:revoke');
  const selected = cas.find((c) => c.id === picked) ?? cas.find((c) => c.state === 'current') ?? cas[0] ?? null;
  return (
    <ContentLayout header={<Header variant="h1" description="The fleet CA that signs robot certificates, and every certificate it issued.">Fleet CA and certificates</Header>}>
      <SpaceBetween size="l">
        {ca.isError && <ErrorMessage error={ca.error} />}
        {history.isError && <ErrorMessage error={history.error} />}
        {ca.data && !ca.data.initialized && (mayInit ? <CreateCaForm /> : <Alert type="info" header="No fleet CA yet">A security officer creates the fleet CA.</Alert>)}
        {ca.data?.initialized && (
          <>
            <Container
              header={
                <Header
                  variant="h2"
                  actions={
                    <SpaceBetween direction="horizontal" size="xs">
                      <Button iconName="download" onClick={() => downloadText('fleet-ca.pem', ca.data.certificatePem ?? '', 'application/x-pem-file')}>
                        Download CA certificate
                      </Button>
                      {mayReplace && <Button onClick={() => setTransition({ kind: 'replace' })}>Replace CA…</Button>}
                      {mayRevokeCa && <Button onClick={() => setTransition({ kind: 'revoke' })}>Revoke CA…</Button>}
                    </SpaceBetween>
                  }
                >
                  Fleet CA
                </Header>
              }
            >
              <KeyValuePairs
                columns={3}
                items={[
                  { label: 'Subject', value: <span data-testid="ca-subject">{ca.data.subject}</span> },
                  {
                    label: 'Signing key',
                    value: (
                      <>
                        {ca.data.providerId} · <Box variant="code">{ca.data.keyRef}</Box>
                      </>
                    ),
                  },
                  { label: 'Valid until', value: ca.data.notAfter?.slice(0, 10) ?? '' },
                ]}
              />
            </Container>
          </>
        )}
        {cas.length > 0 && <CaListPanel cas={cas} selected={selected} onSelect={setPicked} {...(mayRevokeCa ? { onRevoke: (c: CaHistoryEntry) => setTransition({ kind: 'revoke', caId: c.id }) } : {})} />}
        {/* The current CA's inventory also before the CA list has come back (or when it could not be read). */}
        {(selected || ca.data?.initialized) && (
          <Inventory
            key={`${routeSeq}-${selected?.id ?? 'current'}`}
            initialWithin={routeParams.expiringWithinDays ?? ''}
            {...(selected && selected.state !== 'current' ? { caId: selected.id } : {})}
          />
        )}
        {/* Outside the CA block: after a revocation the store has no CA, and the dialog still says what happened. */}
        {transition && <CaTransitionDialog kind={transition.kind} {...(transition.caId ? { caId: transition.caId } : {})} onClose={() => setTransition(null)} />}
      </SpaceBetween>
    </ContentLayout>
  );
}
