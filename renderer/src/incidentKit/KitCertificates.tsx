// The kit's certificates (as exported) and the serials of the CRL published at export.
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { useState } from 'react';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useKitQuery } from './kitApi.ts';
import { formatWhen } from './kitWords.ts';

export function KitCertificatesView() {
  const certs = useKitQuery('kitOffline:certificates');
  const [text, setText] = useState('');
  const all = certs.data?.certificates ?? [];
  const needle = text.trim().toLowerCase();
  const shown = needle === '' ? all : all.filter((c) => `${c.serial} ${c.deviceId} ${c.subject} ${c.status}`.toLowerCase().includes(needle));
  const crl = certs.data?.crl ?? null;
  return (
    <SpaceBetween size="m">
      <ErrorMessage error={certs.error} />
      <Table
        ariaLabels={{ tableLabel: 'Certificates in the kit' }}
        items={shown}
        trackBy="serial"
        loading={certs.isPending}
        loadingText="Reading the kit"
        header={<Header variant="h2" counter={`(${all.length})`}>Certificates</Header>}
        filter={<TextFilter filteringText={text} onChange={(e) => setText(e.detail.filteringText)} filteringPlaceholder="Find by serial, device or subject" filteringAriaLabel="Find certificates" countText={`${shown.length} matches`} />}
        empty={<Box textAlign="center">No certificates in the kit.</Box>}
        columnDefinitions={[
          { id: 'serial', header: 'Serial', cell: (c) => <code>{c.serial}</code> },
          { id: 'device', header: 'Device', cell: (c) => c.deviceId },
          { id: 'subject', header: 'Subject', cell: (c) => c.subject },
          { id: 'valid', header: 'Valid until', cell: (c) => formatWhen(c.notAfter) },
          { id: 'status', header: 'Status', cell: (c) => c.status },
        ]}
      />
      <section aria-label="Certificate revocation list" data-testid="kit-crl">
        <Header variant="h2" description={crl ? `CRL number ${crl.crlNumber}, published at export.` : 'The fleet had no CA at export: no CRL.'}>CRL</Header>
        {crl && (crl.serials.length === 0 ? <Box>The CRL revokes no certificate.</Box> : <ul>{crl.serials.map((s) => <li key={s}><code>{s}</code></li>)}</ul>)}
      </section>
    </SpaceBetween>
  );
}
