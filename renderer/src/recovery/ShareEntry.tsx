// Typing or pasting shares, one per line, with the list of what was entered (whose share, which number, of which set:
// the fields that are not secret) and the main process's refusal next to the share it names. Used by the recovery
// ceremony and by a restore from the backup key's shares.
import Box from '@cloudscape-design/components/box';
import FormField from '@cloudscape-design/components/form-field';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Textarea from '@cloudscape-design/components/textarea';
import { describeShare, type ShareLabel, type ShareRefusal } from './shareLines.ts';

export interface SentShare {
  position: number;
  label: ShareLabel | null;
}

/** The labels of the lines sent (kept after the shares themselves are cleared from the form). */
export const sentShares = (lines: readonly string[]): SentShare[] => lines.map((l, i) => ({ position: i + 1, label: describeShare(l) }));

export function ShareEntry({ value, onChange, sent, refusal, label = 'Shares' }: {
  value: string;
  onChange(text: string): void;
  /** The shares of the last attempt, to show which one was refused. */
  sent: readonly SentShare[];
  refusal: ShareRefusal | null;
  label?: string;
}) {
  const listWide = refusal !== null && refusal.share === null;
  return (
    <>
      <FormField
        label={label}
        description="One share per line, each as its custodian received it (ecps-share1:…). Paste or type them; they are cleared from the form once sent."
        errorText={listWide ? refusal.message : undefined}
      >
        <Textarea value={value} onChange={(e) => onChange(e.detail.value)} rows={4} invalid={listWide} spellcheck={false} autoComplete={false} />
      </FormField>
      {sent.length > 0 && (
        <Table
          variant="embedded"
          header={<Box variant="h3">Shares sent</Box>}
          items={[...sent]}
          trackBy="position"
          columnDefinitions={[
            { id: 'position', header: 'Line', cell: (s) => s.position },
            { id: 'whose', header: 'Share', cell: (s) => (s.label ? `number ${s.label.index} of ${s.label.count}, ${s.label.custodian} (set ${s.label.setId}, ${s.label.threshold} needed)` : 'not a share') },
            {
              id: 'check',
              header: 'Check',
              cell: (s) =>
                refusal?.share === s.position ? (
                  <span data-testid={`share-refusal-${s.position}`}>
                    <StatusIndicator type="error">{refusal.message}</StatusIndicator>
                  </span>
                ) : (
                  <StatusIndicator type={refusal ? 'stopped' : 'pending'}>{refusal ? 'Not refused' : 'Sent'}</StatusIndicator>
                ),
            },
          ]}
        />
      )}
    </>
  );
}
