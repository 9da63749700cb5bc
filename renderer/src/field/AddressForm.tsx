// The field link's address form (host and port), shared by the panel's start form and its "start at unlock" setting:
// each field carries its own refusal in words, the rest of the refusal sits in the form's error (components/errorWords.ts).
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import type { ErrorWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';

export interface AddressLabels {
  host: string;
  port: string;
}

export function AddressForm(props: {
  /** The form's accessible name. */
  name: string;
  labels: AddressLabels;
  host: string;
  port: string;
  onHost(value: string): void;
  onPort(value: string): void;
  onSubmit(): void;
  refusal: ErrorWords;
  portDescription: string;
  actions: React.ReactNode;
}) {
  const { labels, refusal } = props;
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
            <Input value={props.host} onChange={(e) => props.onHost(e.detail.value)} invalid={!!errors.host} />
          </FormField>
          <FormField label={labels.port} description={props.portDescription} errorText={errors.port}>
            <Input value={props.port} inputMode="numeric" onChange={(e) => props.onPort(e.detail.value)} invalid={!!errors.port} />
          </FormField>
        </ColumnLayout>
      </Form>
    </form>
  );
}

/** The port as typed, for the contract (its schema refuses what is not a whole number, in words beside the field). */
export const portNumber = (text: string): number => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN);
