// The field link's address form (host and port), shared by the panel's start form and its "start at unlock" setting:
// each field carries its own refusal in words, the rest of the refusal sits in the form's error (components/errorWords.ts).
// What is typed lives in an AddressDraft (useAddressDraft), so each form keeps only its own defaults and actions.
import { useState } from 'react';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';

export type AddressLabels = Readonly<{ host: string; port: string }>;

/** The host and port as typed, else as `shown`. */
export interface AddressDraft {
  host: string;
  port: string;
  onHost(value: string): void;
  onPort(value: string): void;
  /** Back to what is shown (after a save). */
  reset(): void;
}

/** What is typed; until a field is typed in, `shown` (a stored setting a refetch may change under an untouched form). */
export function useAddressDraft(shown: { host: string; port: string }): AddressDraft {
  const [host, setHost] = useState<string | null>(null);
  const [port, setPort] = useState<string | null>(null);
  return {
    host: host ?? shown.host,
    port: port ?? shown.port,
    onHost: setHost,
    onPort: setPort,
    reset() {
      setHost(null);
      setPort(null);
    },
  };
}

export function AddressForm(props: {
  /** The form's accessible name. */
  name: string;
  labels: AddressLabels;
  draft: AddressDraft;
  onSubmit(): void;
  /** The refusal of the last submission (shown in words, each field's beside it). */
  error: unknown;
  portDescription: string;
  actions: React.ReactNode;
}) {
  const { labels, draft } = props;
  const refusal = errorInWords(props.error, labels);
  const errors = refusal.fields;
  return (
    <form
      aria-label={props.name}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <Form actions={props.actions} errorText={formErrorText(refusal)} errorIconAriaLabel="Error">
        <ColumnLayout columns={2}>
          <FormField label={labels.host} description="A host name or an IP address the robots can reach, e.g. 0.0.0.0 or 10.1.2.3." errorText={errors.host}>
            <Input value={draft.host} onChange={(e) => draft.onHost(e.detail.value)} invalid={!!errors.host} />
          </FormField>
          <FormField label={labels.port} description={props.portDescription} errorText={errors.port}>
            <Input value={draft.port} inputMode="numeric" onChange={(e) => draft.onPort(e.detail.value)} invalid={!!errors.port} />
          </FormField>
        </ColumnLayout>
      </Form>
    </form>
  );
}

/** The port as typed, for the contract (its schema refuses what is not a whole number, in words beside the field). */
export const portNumber = (text: string): number => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN);
