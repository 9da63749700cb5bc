// Compliance reports (issue 14, docs/compliance-report.md): a period, a format, Generate. The main process builds the
// report and signs it with the audit key (report:generate); the window saves the file, its detached signature and the
// audit public key through the download helper, and shows how to verify them with openssl. Security officers and
// admins only (the shell hides the screen from the other roles; the main process refuses them anyway).
import { useState } from 'react';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import FormField from '@cloudscape-design/components/form-field';
import DateInput from '@cloudscape-design/components/date-input';
import SegmentedControl from '@cloudscape-design/components/segmented-control';
import Button from '@cloudscape-design/components/button';
import Box from '@cloudscape-design/components/box';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { ReportFormat, ReportGenerated } from '../../../shared/reportContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { downloadBase64, downloadText } from '../download.ts';

const MIME: Readonly<Record<ReportFormat, string>> = { pdf: 'application/pdf', csv: 'text/csv' };

/** The first day of the current quarter and today, as the default period (UTC dates). */
function defaultPeriod(): { from: string; to: string } {
  const now = new Date();
  const quarterStart = new Date(Date.UTC(now.getUTCFullYear(), Math.floor(now.getUTCMonth() / 3) * 3, 1));
  return { from: quarterStart.toISOString().slice(0, 10), to: now.toISOString().slice(0, 10) };
}

/** The dates as the DateInput holds them (YYYY/MM/DD) to what the channel takes (YYYY-MM-DD). */
const isoDate = (value: string) => value.replace(/\//g, '-');

export function ReportsPage() {
  const [period, setPeriod] = useState(defaultPeriod);
  const [format, setFormat] = useState<ReportFormat>('pdf');
  const [saved, setSaved] = useState<ReportGenerated | null>(null);
  const generate = useChannelMutation('report:generate', (r) => {
    downloadBase64(r.fileName, r.content, MIME[r.format]);
    downloadBase64(r.signatureFileName, r.signature, 'application/octet-stream');
    downloadText(`${r.fileName}.audit-key.pem`, r.publicKeyPem, 'application/x-pem-file');
    setSaved(r);
  });
  const verifyCommand = saved
    ? `openssl pkeyutl -verify -pubin -inkey ${saved.fileName}.audit-key.pem -rawin -in ${saved.fileName} -sigfile ${saved.signatureFileName}`
    : '';

  return (
    <ContentLayout header={<Header variant="h1" description="A signed PDF or CSV of a period, mapped to SOC 2 (CC6, CC7) and ISO/IEC 27001:2022 Annex A.">Compliance reports</Header>}>
      <SpaceBetween size="l">
        <Container header={<Header variant="h2">Generate a report</Header>}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setSaved(null);
              generate.mutate({ from: isoDate(period.from), to: isoDate(period.to), format });
            }}
          >
            <SpaceBetween size="m">
              <ColumnLayout columns={3}>
                <FormField label="From" description="First day (UTC), included">
                  <DateInput value={period.from} onChange={({ detail }) => setPeriod((p) => ({ ...p, from: detail.value }))} placeholder="YYYY/MM/DD" ariaLabel="From" />
                </FormField>
                <FormField label="To" description="Last day (UTC), included">
                  <DateInput value={period.to} onChange={({ detail }) => setPeriod((p) => ({ ...p, to: detail.value }))} placeholder="YYYY/MM/DD" ariaLabel="To" />
                </FormField>
                <FormField label="Format">
                  <SegmentedControl
                    selectedId={format}
                    onChange={({ detail }) => setFormat(detail.selectedId as ReportFormat)}
                    label="Format"
                    options={[{ id: 'pdf', text: 'PDF' }, { id: 'csv', text: 'CSV' }]}
                  />
                </FormField>
              </ColumnLayout>
              <Button variant="primary" formAction="submit" loading={generate.isPending}>
                Generate
              </Button>
              <ErrorMessage error={generate.error} header="The report was not generated" />
            </SpaceBetween>
          </form>
        </Container>
        {saved && (
          <Container header={<Header variant="h2">Saved</Header>}>
            <SpaceBetween size="s">
              <span role="status">
                <StatusIndicator type="success">{`Saved ${saved.fileName}, its signature ${saved.signatureFileName} and the audit key.`}</StatusIndicator>
              </span>
              <Box variant="awsui-key-label">Period</Box>
              <div>{`${saved.from} to ${saved.to}`}</div>
              <Box variant="awsui-key-label">SHA-256 of the report</Box>
              <Box variant="code">{saved.sha256}</Box>
              <Box variant="awsui-key-label">Audit key fingerprint (compare with the one on the Audit screen)</Box>
              <Box variant="code">{saved.keyFingerprint}</Box>
              <Box variant="awsui-key-label">Verify with OpenSSL 3</Box>
              <Box variant="code">{verifyCommand}</Box>
              <CopyButton text={verifyCommand} label="Copy the command" />
            </SpaceBetween>
          </Container>
        )}
      </SpaceBetween>
    </ContentLayout>
  );
}
